"""The stack's maintenance window as the commands report it: an `until` that has passed is an overrun."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from . import PROGRAM


def overrun(until: Optional[datetime], stack: str, now: datetime) -> Optional[str]:
    """What to tell the operator once the window's planned end has passed; None before then or without one."""
    if until is None or until > now:
        return None
    return (f"the window has overrun: until ({until:%Y-%m-%d %H:%M} UTC) has passed. Update the message and "
            f"the new end: {PROGRAM} message {stack} '...' --until YYYY-MM-DDTHH:MM:SSZ")
