"""The Python this project needs: 3.11+, whose datetime.fromisoformat reads `until` ending in Z."""

from __future__ import annotations

import sys
from typing import Optional

MINIMUM = (3, 11)


def unsupported_python() -> Optional[str]:
    """Why this Python cannot run the project, or None."""
    running = sys.version_info
    if tuple(running[:2]) >= MINIMUM:
        return None
    return (
        f"api-maintenance needs Python {MINIMUM[0]}.{MINIMUM[1]} or newer, but this is Python "
        f"{running[0]}.{running[1]}.{running[2]}. Fix: install Python 3.11+ and recreate the virtualenv: "
        "rm -rf venv && python3.11 -m venv venv"
    )
