"""`scripts/rehearse` (issue 20, item 8) run as a newcomer runs it: a whole window on loopback, then nothing left.

Nothing it starts is left: every process it starts (commands, the stand-in `pulumi`, `serve` and its
njs) carries the rehearsal's temporary folder in its command line or its environment (TMPDIR), so a
look through /proc finds any that outlived it; and the folder itself is gone.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from commands import DOMAIN, LIVE_TARGET

ROOT = Path(__file__).resolve().parent.parent
REHEARSE = ROOT / "scripts" / "rehearse"
STACK = "rehearsal"
# scripts/rehearse runs venv/bin/python, which ./scripts/test makes before it runs the tests.
pytestmark = [
    # A whole window takes about 15 s; the run's own bound (240 s) comes first, so that the test
    # still stops what a broken run left.
    pytest.mark.timeout(300),
]


def start() -> subprocess.Popen:
    # A session of its own, as a terminal's job: a signal the test sends reaches the script only.
    return subprocess.Popen([str(REHEARSE)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True,
                            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})


def folder_of(transcript: str) -> str:
    found = re.search(r"^rehearse: a window on stack \S+ \(\S+\), on loopback only, in (\S+)$", transcript, re.M)
    assert found, transcript
    return found.group(1)


def processes_using(folder: str) -> list[str]:
    """Processes whose command line or environment names the folder (this user's, that can be read):
    "PID: command line"."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if state != "Z" and (folder.encode() in cmdline or folder.encode() in environ):
            command = cmdline.replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{entry.name}: {command[:200]}")
    return found


def left_behind(process: subprocess.Popen, transcript: str) -> None:
    """After the assertions, pass or fail: what a broken script left is stopped and removed, so that a
    failing run does not leave servers running on this machine."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        transcript += process.communicate()[0]  # all of it after a timeout, where nothing was read yet
    try:
        folder = folder_of(transcript)
    except AssertionError:
        return
    for found in processes_using(folder):
        try:
            os.kill(int(found.split(":")[0]), signal.SIGKILL)
        except ProcessLookupError:
            pass
    if folder.startswith("/tmp/maintenance-rehearse-"):
        shutil.rmtree(folder, ignore_errors=True)


def assert_nothing_left(folder: str, transcript: str) -> None:
    assert folder.startswith("/tmp/maintenance-rehearse-"), folder
    assert not Path(folder).exists(), f"{folder} is left\n{transcript}"
    assert processes_using(folder) == [], transcript
    assert f"rehearse: stopped everything it started; removed {folder}" in transcript.splitlines()


def command_output(transcript: str, command_line_start: str, nth: int = 0) -> list[str]:
    """The lines the nth such command printed: from its `$ ` line to the next `$ ` or `rehearse:` line."""
    lines = transcript.splitlines()
    start_at = [n for n, line in enumerate(lines) if line.startswith(f"$ python -m maintenance {command_line_start}")][nth]
    output = []
    for line in lines[start_at + 1:]:
        if line.startswith(("$ ", "rehearse: ")):
            break
        output.append(line)
    while output and output[-1] == "":  # the blank line before the next command
        output.pop()
    return output


def test_a_whole_window_runs_on_loopback_and_leaves_nothing():
    process = start()
    transcript = ""
    try:
        transcript, _ = process.communicate(timeout=240)
        check_the_window(process, transcript)
    finally:
        left_behind(process, transcript)


def check_the_window(process: subprocess.Popen, transcript: str) -> None:
    assert process.returncode == 0, transcript
    assert "Traceback" not in transcript, transcript
    folder = folder_of(transcript)
    assert_nothing_left(folder, transcript)
    commands = [line for line in transcript.splitlines() if line.startswith("$ ")]
    assert [line.split()[4] for line in commands] == ["message", "on", "status", "history", "off", "history"], transcript
    # Nothing leaves loopback: each command that goes on the network is pointed at loopback servers.
    for line in commands:
        for option in ("--nameserver", "--resolver", "--connect"):
            if line.split()[4] in ("on", "off") or (line.split()[4] == "status" and option != "--connect"):
                assert re.search(rf"{option} 127\.\d+\.\d+\.\d+:\d+ ", line), line
    # message: until is a time ahead (about two hours).
    [message] = [line for line in commands if " message " in line]
    until = re.search(r"--until (\S+)", message).group(1)
    ahead = time.mktime(time.strptime(until, "%Y-%m-%dT%H:%M:%SZ")) - time.mktime(time.gmtime())
    assert 3600 < ahead <= 7200, until
    assert command_output(transcript, f"message {STACK}")[-1].startswith("published (preview ")

    on = command_output(transcript, f"on {STACK}")
    assert "4/4 checks passed: ready to switch to maintenance (exit 0)" in on, transcript
    [moved] = [line for line in on if line.startswith(f"  the record {DOMAIN}: ")]
    maintenance_target = moved.split(" -> ")[1]
    assert moved == f"  the record {DOMAIN}: {LIVE_TARGET} -> {maintenance_target}"
    # The DNS server followed the switch: both roles answer the new target, with the record's TTL.
    assert re.search(rf"^  ok  authoritative 127\S+  maintenance {re.escape(maintenance_target)}  TTL 60s$",
                     "\n".join(on), re.M), transcript
    assert "2/2 agree with maintenance (exit 0)" in on
    assert on[-1].startswith(f"done: {STACK} is in maintenance (preflight ")

    status = command_output(transcript, f"status {STACK}")
    assert status[0] == f"{DOMAIN} (stack {STACK}) should be in maintenance mode"
    assert [line.split()[1] for line in status if line.startswith("  ok  ")] == ["authoritative", "resolver"]
    assert status[-1] == "2/2 agree with maintenance (exit 0)"

    during = command_output(transcript, f"history {STACK}")
    assert during[0].startswith(f"history {STACK}: 1 window, oldest first")
    assert re.match(r"window 1: .* UTC -> still open", during[1]), during

    off = command_output(transcript, f"off {STACK}")
    assert "2/2 checks passed: ready to switch to live (exit 0)" in off
    assert f"  the record {DOMAIN}: {maintenance_target} -> {LIVE_TARGET}" in off
    assert "2/2 agree with live (exit 0)" in off
    assert off[-1].startswith(f"done: {STACK} is in live (preflight ")

    after = command_output(transcript, f"history {STACK}", nth=1)
    assert after[0].startswith(f"history {STACK}: 1 window, oldest first"), after
    assert re.match(r"window 1: \S+ \S+ UTC -> \S+ \S+ UTC \(\d+s\)$", after[1]), after
    assert after[2].startswith("  on ") and "'maintenance on: rehearsal of a window'" in after[2]
    assert after[3].startswith("  off ") and "'maintenance off: rehearsal of a window'" in after[3]
    assert transcript.splitlines()[-1] == "rehearse: exit 0"


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_window_stops_everything_it_started(signum, code):
    process = start()
    seen = []
    rest = ""
    try:
        # Once `on` has started and is past its preflight, on its way to the switch.
        for line in process.stdout:
            seen.append(line)
            if line.startswith("4/4 checks passed: ready to switch to maintenance"):
                break
        else:
            pytest.fail("".join(seen))
        process.send_signal(signum)
        rest, _ = process.communicate(timeout=180)
        check_the_stop(process, "".join(seen) + rest, signum, code)
    finally:
        left_behind(process, "".join(seen) + rest)


def check_the_stop(process: subprocess.Popen, transcript: str, signum: int, code: int) -> None:
    assert process.returncode == code, transcript
    assert "Traceback" not in transcript, transcript
    assert f"rehearse: interrupted ({signal.Signals(signum).name}): stopping everything it started" in transcript
    # `on` got Ctrl-C as a terminal gives it, and ended as it does on Ctrl-C.
    assert re.search(r"^rehearse: on exited 130$", transcript, re.M), transcript
    assert_nothing_left(folder_of(transcript), transcript)
    assert transcript.splitlines()[-1] == f"rehearse: exit {code}"
