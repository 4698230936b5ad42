"""The diy backend's stack lock, as pkg/backend/diy/lock.go takes it for an `up` (never for a preview).

diyBackend.Update takes the lock before anything else and drops it when the update returns, however
it ends (backend.go, Update: Lock, then `defer b.Unlock`); a process that dies first leaves the file.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
import uuid
from pathlib import Path

from .backend import Backend


def _go_time(nanoseconds: int) -> str:
    """time.Time as encoding/json writes it (RFC 3339 with nanoseconds, trailing zeros dropped), local zone."""
    local = time.localtime(nanoseconds // 1_000_000_000)
    fraction = f"{nanoseconds % 1_000_000_000:09d}".rstrip("0")
    return time.strftime("%Y-%m-%dT%H:%M:%S", local) + (f".{fraction}" if fraction else "") + _zone(local)


def _zone(local: time.struct_time) -> str:
    offset = local.tm_gmtoff
    if offset == 0:
        return "Z"
    sign = "+" if offset > 0 else "-"
    return f"{sign}{abs(offset) // 3600:02d}:{abs(offset) % 3600 // 60:02d}"


def _rfc3339(timestamp: str) -> str:
    """l.Timestamp.Format(time.RFC3339): the same instant to the second."""
    zone = "Z" if timestamp.endswith("Z") else timestamp[-6:]
    return timestamp[:-len(zone)].partition(".")[0] + zone


class Locked(Exception):
    """checkForLock's error (lock.go), word for word."""


def check(backend: Backend, stack: str, own: Path | None = None) -> None:
    others = [path for path in backend.locks(stack) if path != own]
    if not others:
        return
    lines = [f"the stack is currently locked by {len(others)} lock(s). Either wait for the other "
             "process(es) to end or delete the lock file with `pulumi cancel`."]
    for path in others:
        content = json.loads(path.read_text(encoding="utf-8"))
        # lockURLForError joins the lock's key to the path of the backend's canonical URL, which
        # massageBlobPath made absolute and gave `?no_tmp_dir=true` (backend.go; pulumi/pulumi#15352).
        key = path.relative_to(backend.root).as_posix()
        where = f"file://{backend.root.resolve().as_posix()}/{key}?no_tmp_dir=true"
        lines.append(f"  {where}: created by {content['username']}@{content['hostname']} "
                     f"(pid {content['pid']}) at {_rfc3339(content['timestamp'])}")
    raise Locked("\n".join(lines))


def take(backend: Backend, stack: str) -> Path:
    """Lock: check, write lockContent (json.Marshal, compact), check again (another may have raced in)."""
    check(backend, stack)
    path = backend.lock_dir(stack) / f"{uuid.uuid4()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {"pid": os.getpid(), "username": getpass.getuser(), "hostname": socket.gethostname(),
               "timestamp": _go_time(time.time_ns())}
    path.write_text(json.dumps(content, separators=(",", ":")), encoding="utf-8")
    try:
        check(backend, stack, own=path)
    except Locked:
        path.unlink(missing_ok=True)
        raise
    return path


def cancel(backend: Backend, stack: str) -> None:
    """CancelCurrentUpdate (diy backend.go): deletes every lock file of the stack, and nothing else."""
    for path in backend.locks(stack):
        path.unlink(missing_ok=True)
