"""One window command at a time on a checkout: an advisory lock beside the stack file.

Pulumi's own lock covers an `up` only (pkg/backend/diy/backend.go: Update takes the lock of
lock.go, Preview does not), not a command's whole sequence of config set, preview and
up: two operators' `on` and `off` could interleave there. `fcntl.flock` is released by the
kernel when its holder ends, however it ends ("the lock is released ... when all file
descriptors referring to it are closed", flock(2)), so a kill -9 leaves nothing stale.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

# Long enough for a second command typed right behind the first's end, short enough to say at once who holds it.
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.1


class Held(Exception):
    """Another window command holds the stack file; the message names it."""


class Unwritable(Exception):
    """The lock file cannot be made beside the stack file (a read-only checkout)."""


def lock_path(folder: Path, stack: str) -> Path:
    return folder / f".Pulumi.{stack}.yaml.lock"


@dataclass(frozen=True)
class Holder:
    pid: int
    command: str
    started: str

    def __str__(self) -> str:
        return f"pid {self.pid}, `{self.command}`, started {self.started}"


def _holder(handle: IO[bytes]) -> str:
    handle.seek(0)
    try:
        return str(Holder(**json.loads(handle.read())))
    except (ValueError, TypeError):
        return "a command that has not said who it is yet"


@contextmanager
def checkout_lock(folder: Path, stack: str, command: str, wait: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the stack's lock for the block; Held after `wait` seconds if another command keeps it."""
    path = lock_path(folder, stack)
    try:
        # Unbuffered: a write that fails (a full disk) fails once, here, and not again when the file closes.
        handle = open(path, "a+b", buffering=0)
    except OSError as error:
        raise Unwritable(f"cannot make the checkout's lock {path}: {error.strerror}; run the command in a checkout "
                         "you can write to") from None
    with handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Held(f"another window command is running on {path.name[1:-5]} in this checkout: "
                               f"{_holder(handle)}; wait for it to end, then run this again") from None
                time.sleep(POLL_SECONDS)
        try:
            handle.truncate(0)
            handle.write(json.dumps({"pid": os.getpid(), "command": command,
                                     "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}).encode())
        except OSError:  # a full disk: the lock holds all the same, only its holder goes unnamed
            pass
        yield
