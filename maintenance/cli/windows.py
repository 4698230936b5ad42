"""Past maintenance windows, built from a stack's update history: pure functions, no Pulumi.

Each update of `pulumi stack history --json` carries the config it deployed, its message and the
environment Pulumi recorded (pkg/cmd/pulumi/stack/stack_history.go, updateInfoJSON). A window is a
succeeded update that deployed `maintenance: true` after one that deployed false (or the stack's first
update), up to the next succeeded update that deployed false; the updates in between (a changed
message, a re-run `on`) belong to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Mapping, Optional

from ..settings import PROJECT, parse_value

# What Pulumi records about who and where ran an update (pulumi/pulumi pkg/backend/updates.go, "Keys we use
# for values put into UpdateInfo.Environment"; set by getUpdateMetadata in pkg/cmd/pulumi: addGitMetadata,
# addCIMetadataToEnvironment, addExecutionMetadataToEnvironment). The git keys describe the commit at HEAD
# of the checkout the update ran from: its author is who wrote that commit, the nearest Pulumi comes to who
# ran the update outside Pulumi Cloud.
WHO_KEYS = ("git.author", "git.author.email", "git.committer", "git.committer.email", "git.head", "git.headName",
            "git.dirty", "vcs.owner", "vcs.repo", "ci.system", "ci.build.id", "ci.build.number", "ci.build.url",
            "exec.kind", "exec.agent")
# The messages the window commands give their updates: `maintenance on: REASON` and so on.
COMMAND_PREFIX = "maintenance "
COMMANDS = ("on", "off", "message")


@dataclass(frozen=True)
class Update:
    """One entry of the stack's history, as far as windows go."""

    version: Optional[int]
    kind: str  # update, refresh, destroy, ...
    result: str  # succeeded, failed, in-progress
    start: datetime
    end: Optional[datetime]
    message: str
    environment: Mapping[str, str]
    maintenance: Optional[bool]  # what it deployed; None when the config does not say (a secret, a bad value)
    until: Optional[datetime]

    @property
    def time(self) -> datetime:
        """When the update took effect: its end (the record changes during it), else its start."""
        return self.end or self.start

    @property
    def switches(self) -> bool:
        return self.kind == "update" and self.result == "succeeded" and self.maintenance is not None

    @property
    def command(self) -> Optional[str]:
        """`on`, `off` or `message` when one of the window commands made it (by its message)."""
        word = self.message[len(COMMAND_PREFIX):].split(":", 1)[0] if self.message.startswith(COMMAND_PREFIX) else ""
        return word if word in COMMANDS else None


def _utc(moment: Optional[datetime]) -> Optional[datetime]:
    # The SDK parses the CLI's UTC times without a zone (automation/_stack.py, _DATETIME_FORMAT ends in Z).
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _config_text(config: Mapping[str, object], key: str) -> Optional[str]:
    value = config.get(f"{PROJECT}:{key}")
    if value is None:
        return None
    # A ConfigValue from the SDK, or the plain dict of the CLI's JSON.
    if isinstance(value, Mapping):
        return None if value.get("secret") else value.get("value")
    return None if getattr(value, "secret", False) else getattr(value, "value", None)


def update_from(*, version: Optional[int], kind: str, result: str, start: datetime, end: Optional[datetime],
                message: Optional[str], environment: Optional[Mapping[str, str]],
                config: Mapping[str, object]) -> Update:
    """An Update from an UpdateSummary's fields (pulumi.automation UpdateSummary)."""
    text = _config_text(config, "maintenance")
    try:
        # Unset is the program's default, live.
        maintenance = False if text is None else bool(parse_value("maintenance", text))
    except ValueError:
        maintenance = None
    until_text = _config_text(config, "until")
    try:
        until = None if until_text is None else parse_value("until", until_text)
    except ValueError:
        until = None
    return Update(version, kind, result, _utc(start), _utc(end), message or "", dict(environment or {}),
                  maintenance, until)


@dataclass
class Window:
    updates: list[Update] = field(default_factory=list)  # the switch on, changes in maintenance, the switch off
    closed: bool = False

    @property
    def start(self) -> datetime:
        return self.updates[0].time

    @property
    def end(self) -> Optional[datetime]:
        return self.updates[-1].time if self.closed else None

    def duration(self, now: datetime) -> timedelta:
        return (self.end or now) - self.start

    def overrun(self, now: datetime) -> Optional[tuple[datetime, timedelta]]:
        """The last `until` that passed while the window was open, and by how much it was passed."""
        in_maintenance = self.updates[:-1] if self.closed else self.updates
        found = None
        for index, update in enumerate(in_maintenance):
            replaced = self.updates[index + 1].time if index + 1 < len(self.updates) else now
            if update.until is not None and update.until < replaced:
                found = (update.until, replaced - update.until)
        return found


def build_windows(updates: list[Update], complete: bool = True) -> list[Window]:
    """The windows in updates, oldest first (updates oldest first).

    With complete=False the updates are the newest part of a longer history: a window already open at
    the oldest update read started at a time not read, and is left out.
    """
    windows: list[Window] = []
    current: Optional[Window] = None
    start_unknown = False
    seen = False
    for update in updates:
        if not update.switches:
            continue
        if update.maintenance:
            if current is None:
                current = Window()
                start_unknown = not complete and not seen
            current.updates.append(update)
        elif current is not None:
            current.updates.append(update)
            current.closed = True
            if not start_unknown:
                windows.append(current)
            current = None
        seen = True
    if current is not None and not start_unknown:
        windows.append(current)
    return windows


# --- how a window is shown -----------------------------------------------------------------


def who(environment: Mapping[str, str]) -> Optional[str]:
    """Who and where, from what Pulumi recorded, each part labelled with its key; None when nothing is."""
    parts = []
    author, email = environment.get("git.author"), environment.get("git.author.email")
    if author or email:
        name = f"{author} <{email}>" if author and email else author or f"<{email}>"
        head = environment.get("git.head", "")[:7]
        parts.append(f"{name} (git.author{', HEAD ' + head if head else ''})")
    if environment.get("ci.system"):
        build = environment.get("ci.build.url") or environment.get("ci.build.id")
        parts.append(f"ci.system {environment['ci.system']}" + (f" {build}" if build else ""))
    if environment.get("exec.kind"):
        parts.append(f"exec.kind {environment['exec.kind']}")
    return ", ".join(parts) or None


def duration_text(span: timedelta) -> str:
    """`45s`, `52m 41s`, `3h 05m`, `2d 4h`: to the second under an hour, coarser above."""
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {seconds:02d}s"
    return f"{seconds}s"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _label(update: Update, window: Window) -> str:
    if update.command:
        return update.command
    if update is window.updates[0]:
        return "on"
    return "off" if window.closed and update is window.updates[-1] else "update"


def report(stack: str, windows: list[Window], updates_read: int, now: datetime) -> str:
    """The text listing: each window's span, its updates with their messages and who ran them, overruns."""
    if not windows:
        return f"history {stack}: no maintenance window in the {updates_read} updates read"
    plural = "window" if len(windows) == 1 else "windows"
    lines = [f"history {stack}: {len(windows)} {plural}, oldest first ({updates_read} updates read)"]
    for number, window in enumerate(windows, 1):
        span = duration_text(window.duration(now))
        end = _when(window.end) if window.end else f"still open ({span} so far)"
        lines.append(f"window {number}: {_when(window.start)} -> {end}" + (f" ({span})" if window.end else ""))
        for update in window.updates:
            by = who(update.environment)
            message = repr(update.message) if update.message else "(no message)"
            lines.append(f"  {_label(update, window):<7} {_when(update.time)}  {message}" + (f"  by {by}" if by else ""))
        overrun = window.overrun(now)
        if overrun:
            until, late = overrun
            after = "before it closed" if window.closed else "ago, and it is still open"
            lines.append(f"  overrun: until {until:%Y-%m-%d %H:%M} UTC passed {duration_text(late)} {after}")
    return "\n".join(lines)


def document(stack: str, windows: list[Window], updates_read: int, now: datetime) -> dict:
    """What --json prints: one document, every window with its updates."""
    def update_document(update: Update, window: Window) -> dict:
        return {
            "version": update.version, "command": _label(update, window), "time": _iso(update.time),
            "message": update.message, "maintenance": update.maintenance, "until": _iso(update.until),
            "by": who(update.environment),
            "environment": {key: update.environment[key] for key in WHO_KEYS if key in update.environment},
        }

    def window_document(window: Window) -> dict:
        overrun = window.overrun(now)
        return {
            "start": _iso(window.start), "end": _iso(window.end), "open": not window.closed,
            "durationSeconds": int(window.duration(now).total_seconds()),
            "overrun": overrun is not None,
            "overrunUntil": _iso(overrun[0]) if overrun else None,
            "overrunSeconds": int(overrun[1].total_seconds()) if overrun else None,
            "updates": [update_document(update, window) for update in window.updates],
        }

    return {"stack": stack, "exit": 0, "error": None, "updatesRead": updates_read,
            "windows": [window_document(window) for window in windows]}
