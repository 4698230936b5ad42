"""One window command at a time on a checkout: the advisory lock beside the stack file, across processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from commands import ROOT, process_running
from maintenance.cli.checkout_lock import Held, Unwritable, checkout_lock, lock_path

HOLD = """
import sys, time
from pathlib import Path
from maintenance.cli.checkout_lock import checkout_lock
with checkout_lock(Path(sys.argv[1]), "window", "python -m maintenance on window"):
    print("held", flush=True)
    time.sleep(60)
"""


def holder(folder: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stdout.readline() == "held\n"
    return process


def test_a_second_command_waits_then_names_the_holder(tmp_path):
    first = holder(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(Held) as refused:
            with checkout_lock(tmp_path, "window", "python -m maintenance off window", wait=0.5):
                pytest.fail("two commands held the lock at once")
        assert 0.5 <= time.monotonic() - started < 3
        message = str(refused.value)
        assert message.startswith(f"another window command is running on Pulumi.window.yaml in this checkout: "
                                  f"pid {first.pid}, `python -m maintenance on window`, started ")
        assert message.endswith(" UTC; wait for it to end, then run this again")
    finally:
        first.kill()
        first.wait()


def test_kill_9_of_the_holder_leaves_nothing_stale(tmp_path):
    first = holder(tmp_path)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    assert not process_running(first.pid)
    with checkout_lock(tmp_path, "window", "python -m maintenance off window", wait=0):
        recorded = json.loads(lock_path(tmp_path, "window").read_text())
    assert recorded["pid"] == os.getpid() and recorded["command"] == "python -m maintenance off window"


def test_the_lock_is_the_stack_s_own(tmp_path):
    first = holder(tmp_path)
    try:
        with checkout_lock(tmp_path, "production", "python -m maintenance on production", wait=0):
            assert lock_path(tmp_path, "production").name == ".Pulumi.production.yaml.lock"
    finally:
        first.kill()
        first.wait()


def test_a_checkout_where_the_lock_cannot_be_made_says_so(tmp_path):
    missing = tmp_path / "gone"  # as a read-only checkout, open() refuses to make the file
    with pytest.raises(Unwritable) as refused:
        with checkout_lock(missing, "window", "python -m maintenance on window", wait=0):
            pytest.fail("a lock was taken where none can be made")
    assert str(refused.value) == (f"cannot make the checkout's lock {missing / '.Pulumi.window.yaml.lock'}: No such file "
                                  "or directory; run the command in a checkout you can write to")
