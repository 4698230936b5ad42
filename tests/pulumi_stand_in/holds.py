"""Holds: a test stops the stand-in at an exact phase of a preview or an up, then lets it go on.

A hold is a file `DIR/holds/<point>.hold` naming the stack; the stand-in that reaches that point for
that stack turns it into `<point>.waiting` holding its pid, and waits (polling every 20 ms) until the
test removes that file. A hold serves one operation: the next preview or up of the stack. Points:

    preview                 the program has run, before any step is reported
    up:start                the lock is taken, before the program runs
    up:during:<type>        that resource's step has begun (resourcePreEvent sent, pending operation
                            saved in the state), before it is applied
    up:after:<type>         that step is applied and the state saved, before the next step or the end

Nothing here models Pulumi: this is the test's remote control.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import quote

POLL_SECONDS = 0.02


def _path(folder: Path, point: str, suffix: str) -> Path:
    # A resource type holds ':' and '/', which a file name must not.
    return folder / f"{quote(point, safe='')}.{suffix}"


def hold(folder: Path, stack: str, point: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _path(folder, point, "hold").write_text(stack, encoding="utf-8")


def wait_held(folder: Path, point: str, timeout: float) -> int:
    waiting = _path(folder, point, "waiting")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            text = waiting.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        if text:
            return int(text)
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"the stand-in did not stop at {point!r} within {timeout:g}s")


def release(folder: Path, point: str) -> None:
    for suffix in ("hold", "waiting"):
        _path(folder, point, suffix).unlink(missing_ok=True)


def stop_here(folder: Path, stack: str, point: str) -> None:
    """In the stand-in: waits at `point` if the test holds it for this stack."""
    held = _path(folder, point, "hold")
    try:
        if held.read_text(encoding="utf-8") != stack:
            return
    except FileNotFoundError:
        return
    waiting = _path(folder, point, "waiting")
    temporary = waiting.with_suffix(".tmp")
    temporary.write_text(str(os.getpid()), encoding="utf-8")
    temporary.replace(waiting)
    held.unlink(missing_ok=True)
    while waiting.exists():
        time.sleep(POLL_SECONDS)
