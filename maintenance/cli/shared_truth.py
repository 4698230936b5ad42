"""The stack file as a team's shared truth: a switch not yet committed lives in one checkout only.

`pulumi up` deploys what the stack file in its own checkout says. After `on`, a teammate's checkout
that still says `maintenance: "false"` switches the API back with a plain `pulumi up`, mid-window; a
commit (and a push) is what carries the switch to the others.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Optional

GIT_TIMEOUT = 5.0


def _git_status(stack_file: Path, timeout: float) -> Optional[str]:
    """`git status --porcelain` for the one file, run in its folder; None outside a work tree or on any failure."""
    # GIT_OPTIONAL_LOCKS=0: status may refresh and rewrite the index, taking its lock; a command run
    # beside an operator's own git must not (git docs, git(1), GIT_OPTIONAL_LOCKS: "e.g., this will
    # prevent git status from refreshing the index as a side effect").
    environment = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all", "--", stack_file.name],
            cwd=stack_file.parent, env=environment, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None  # no git, a folder that is gone, no answer in time: no hint rather than a failed command
    # Outside a work tree git exits 128: "fatal: not a git repository".
    return result.stdout if result.returncode == 0 else None


def stack_file_commit_hint(stack_file: Path, message: str = "", timeout: float = GIT_TIMEOUT) -> Optional[str]:
    """The line to print after a change when the stack file differs from git HEAD (or is untracked);
    None outside a git work tree, for an ignored file, and when the file is as committed.

    `message` is the commit message to suggest (e.g. the update's `maintenance on: ...`).
    """
    status = _git_status(stack_file, timeout)
    if not status:
        return None
    untracked = status.startswith("??")
    name = stack_file.name
    # `git commit PATH` commits that path only (git-commit(1), "--only", the default with paths given);
    # a path git does not know yet must be added first ("pathspec ... did not match any file(s) known to git").
    folder = stack_file.parent
    git = "git" if folder == Path(".") else f"git -C {shlex.quote(str(folder))}"
    words = message or f"maintenance: {name}"
    commit = f"{git} commit {shlex.quote(name)} -m {shlex.quote(words)}"
    if untracked:
        commit = f"{git} add {shlex.quote(name)} && {commit}"
    state = "is not in git yet" if untracked else "differs from git HEAD"
    return (f"note: {name} {state}: until it is committed and pushed, a plain `pulumi up` from another checkout "
            f"would undo the switch (maintenance, message, until). Commit it: {commit}")
