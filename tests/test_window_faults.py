"""A window that survives interruptions: `on` stopped in every phase, by every signal, by kill -9.

Against the stand-in `pulumi` (tests/pulumi_stand_in), which models what these rules depend on, each with
its source: the file backend's lock on `up` (pkg/backend/diy/lock.go); the first SIGINT or SIGTERM
finishing the step in flight and ending with "update canceled", a second ending the CLI at once
(pkg/backend, cancellationScopeSource.NewScope); the state saved after each step, with a pending operation
while a step runs; Go's default death on SIGHUP, and on SIGPIPE once its output's reader is gone.

How each signal arrives, as it does for an operator:
- SIGINT and SIGHUP go to the whole process group, as a terminal sends them (Ctrl-C; a closed terminal):
  the command and the `pulumi` it runs both get one;
- SIGTERM and kill -9 go to the command alone, as `timeout`, `kill PID` or a CI runner send them.

Every row ends with the stack file, the deployed record and the `mode` output agreeing, or with a line
naming how they differ and the command that reconciles them, which the test then runs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from commands import DOMAIN, LIVE_TARGET, ROOT, process_running, stack_file
from maintenance.cli.pulumi_stack import FORWARD_AFTER
from pulumi_stand_in import StandIn
# Fixtures: the test CA, the HTTPS servers on loopback, the real edge behind them, dnsmasq.
from test_preflight import ca, cacert, edge, serve  # noqa: F401
from test_status import dnsmasq  # noqa: F401
from test_window import RECORD, STACK, deployed, ran, record_target, stack_file_mode, switch

PHASES = {
    "preview": "preview",
    "up, before the record moved": "up:start",
    "up, while the record changes": f"up:during:{RECORD}",
    "up, after the record moved": f"up:after:{RECORD}",
}
BY_GROUP = (signal.SIGINT, signal.SIGHUP)


class Running:
    """`on` (or `off`) running in its own session (so that a group's signal reaches it and its `pulumi` only)."""

    def __init__(self, stand_in: StandIn, *arguments: str, command: str = "on"):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "maintenance", command, STACK, "--cwd", str(stand_in.project_dir), "--yes",
             *arguments],
            env=stand_in.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
            # Python turns SIGINT into KeyboardInterrupt only if its parent left it at the default
            # (Python docs, signal, "General rules"), which a CI job started with & does not.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self._reader.start()

    def send(self, signum: int) -> None:
        if signum in BY_GROUP:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert time.monotonic() < deadline, f"never saw {text!r}:\n{self.output}"
            time.sleep(0.05)

    def end(self, timeout: float = 120) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        assert "Traceback" not in self.output and "Warning" not in self.output, self.output
        return code

    @property
    def output(self) -> str:
        return "".join(self.lines)

    @property
    def last_line(self) -> str:
        return self.lines[-1].rstrip("\n") if self.lines else ""


@pytest.fixture
def start_on(serve, cacert):
    """`on` with its preflight against the real edge on loopback, without waiting for DNS."""

    def start(stand_in: StandIn, *arguments: str) -> Running:
        distribution = serve(edge(stand_in.project_dir))
        return Running(stand_in, "--connect", distribution.endpoint, "--cacert", cacert, *arguments)

    return start


def held_at(stand_in: StandIn, start_on, point: str) -> tuple[Running, int]:
    """`on` started, once its `pulumi` waits at point; and that `pulumi`'s pid."""
    stand_in.hold(STACK, point)
    command = start_on(stand_in, "--no-wait")
    return command, stand_in.wait_held(point)


def stopped_at(stand_in: StandIn, start_on, point: str, signum: int) -> Running:
    """`on` stopped by signum while the stand-in waits at point; the stand-in then goes on."""
    command, _ = held_at(stand_in, start_on, point)
    command.send(signum)
    if signum == signal.SIGTERM:
        # The command passes SIGTERM on to the CLI as its SIGINT once the CLI has not said it is cancelling.
        time.sleep(FORWARD_AFTER + 1)
    elif signum != signal.SIGKILL:
        command.wait_for("waiting for it to end" if point.startswith("up") else "stopping once Pulumi has ended")
    stand_in.release(point)
    return command


def agreement(stand_in: StandIn) -> tuple[str, str, str]:
    """The stack file's mode, the deployed record's, and the `mode` output, as on/off/status read them."""
    maintenance_target = stand_in.deployed(STACK, "aws:cloudfront/distribution:Distribution")["outputs"]["domainName"]
    record = "maintenance" if record_target(stand_in) == maintenance_target else "live"
    return ("maintenance" if stack_file_mode(stand_in) == "true" else "live", record, stand_in.outputs(STACK)["mode"])


def finish(stand_in: StandIn, start_on) -> Running:
    """Runs the `on` a stopped one named, and sees everything agree afterwards."""
    command = start_on(stand_in, "--no-wait")
    assert command.end() == 0, command.output
    assert agreement(stand_in) == ("maintenance", "maintenance", "maintenance")
    return command


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_during_the_preview_puts_the_stack_file_back(tmp_path, start_on, signum):
    stand_in = deployed(tmp_path, maintenance=False)
    command = stopped_at(stand_in, start_on, "preview", signum)
    assert command.end() == 128 + signum, command.output
    name = "Ctrl-C" if signum == signal.SIGINT else signum.name
    assert f"{name}: stopped before the update" in command.output
    assert f"Pulumi.{STACK}.yaml put back: maintenance 'false'" in command.output
    assert agreement(stand_in) == ("live", "live", "live") and not ran(stand_in, "up")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_a_signal_before_the_record_moved_cancels_the_up_and_puts_the_stack_file_back(tmp_path, start_on, signum):
    stand_in = deployed(tmp_path, maintenance=False)
    command = stopped_at(stand_in, start_on, "up:start", signum)
    assert command.end() == 128 + signum, command.output
    name = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
    assert "update canceled" in command.output
    assert command.last_line.startswith(
        f"interrupted ({name}) before the record moved, Pulumi.{STACK}.yaml put back: {STACK} is in live (")
    assert f"next: python -m maintenance on {STACK} --connect " in command.last_line
    assert agreement(stand_in) == ("live", "live", "live") and not stand_in.locks(STACK)


@pytest.mark.parametrize("point", [PHASES["up, while the record changes"], PHASES["up, after the record moved"]])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_a_signal_after_the_record_moved_keeps_the_stack_file_and_names_the_true_mode(tmp_path, start_on, signum,
                                                                                        point):
    """The issue's first defect: the `mode` output still said live, so the file was put back while the record moved."""
    stand_in = deployed(tmp_path, maintenance=False)
    command = stopped_at(stand_in, start_on, point, signum)
    assert command.end() == 128 + signum, command.output
    name = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
    assert command.last_line.startswith(f"interrupted ({name}) after the record moved, Pulumi.{STACK}.yaml says "
                                        f"maintenance: {STACK} is in maintenance (")
    assert f"next: python -m maintenance on {STACK} --connect " in command.last_line
    # The file and the record agree; the mode output lags until an up succeeds, which the next `on` makes.
    assert agreement(stand_in) == ("maintenance", "maintenance", "live") and not stand_in.locks(STACK)
    again = finish(stand_in, start_on)
    assert ("note: the mode output says live, while the stack file and the deployed record say maintenance: the last "
            f"update did not finish; python -m maintenance on {STACK} records it") in again.output


def test_a_closed_terminal_while_the_record_changes_leaves_a_pending_operation_and_says_refresh(tmp_path, start_on):
    """SIGHUP reaches the CLI too, which does not handle it (Go's default: it dies mid-step, lock and all)."""
    stand_in = deployed(tmp_path, maintenance=False)
    command = stopped_at(stand_in, start_on, PHASES["up, while the record changes"], signal.SIGHUP)
    assert command.end() == 129, command.output
    assert command.last_line.startswith(
        f"interrupted (SIGHUP): the last update was cut off while updating record (a pending operation in the state)")
    assert f"next: pulumi refresh -s {STACK}, then python -m maintenance on {STACK} --connect " in command.last_line
    assert stack_file_mode(stand_in) == "true"
    # The next command refuses before it changes anything, with the same way out.
    again = start_on(stand_in)
    assert again.end() == 1, again.output
    assert "refused: the last update was cut off while updating record" in again.output
    assert not [call for call in stand_in.calls()[-6:] if call[:2] == ["config", "set"]]
    heal(stand_in, start_on)


@pytest.mark.parametrize("point", ["up:start", PHASES["up, after the record moved"]])
def test_a_closed_terminal_during_the_up_leaves_pulumi_s_lock_and_the_next_on_says_how_to_clear_it(tmp_path, start_on,
                                                                                                  point):
    stand_in = deployed(tmp_path, maintenance=False)
    command = stopped_at(stand_in, start_on, point, signal.SIGHUP)
    assert command.end() == 129, command.output
    moved = point != "up:start"
    assert agreement(stand_in)[:2] == (("maintenance",) * 2 if moved else ("live",) * 2)
    [lock] = stand_in.locks(STACK)

    blocked = start_on(stand_in)
    assert blocked.end() == 1, blocked.output
    assert "error: the stack is currently locked by 1 lock(s)." in blocked.output
    assert f"{lock.name}?no_tmp_dir=true: created by " in blocked.output
    assert f"has ended: clear the lock with pulumi cancel -s {STACK}, then run this command again" in blocked.output
    assert agreement(stand_in)[:2] == (("maintenance",) * 2 if moved else ("live",) * 2)

    assert stand_in.run("cancel", "--yes", "-s", STACK).returncode == 0
    finish(stand_in, start_on)


@pytest.mark.parametrize("point", list(PHASES.values()))
def test_kill_9_of_on_in_any_phase_is_seen_by_the_next_command_and_healed_by_it(tmp_path, start_on, point):
    """The issue's second defect: after kill -9, `off` and `on` never healed."""
    stand_in = deployed(tmp_path, maintenance=False)
    command, left_behind = held_at(stand_in, start_on, point)
    command.send(signal.SIGKILL)
    assert command.end() == -signal.SIGKILL
    stand_in.release(point)
    # The `pulumi` it left goes on until its next write finds no reader (SIGPIPE), leaving the lock it held.
    deadline = time.monotonic() + 60
    while process_running(left_behind):
        assert time.monotonic() < deadline, "the stand-in never ended"
        time.sleep(0.1)
    file_mode, record, _ = agreement(stand_in)
    assert file_mode == "maintenance", "kill -9 leaves the stack file as set"

    status = switch(stand_in, "status", "--resolver", "127.0.0.1:9")
    if record == "live":
        assert status.returncode == 2
        assert status.stderr.startswith(
            "error: the stack file says maintenance but the deployed record points at live: the last switch did not "
            f"finish; python -m maintenance on {STACK} finishes it")
    heal(stand_in, start_on)


def heal(stand_in: StandIn, start_on, rounds: int = 3) -> None:
    """Runs `on` again, doing what each refusal says first (clear a dead process's lock, refresh a cut-off step)."""
    for _ in range(rounds):
        command = start_on(stand_in, "--no-wait")
        if command.end() == 0:
            assert agreement(stand_in) == ("maintenance", "maintenance", "maintenance")
            return
        assert "pulumi cancel -s" in command.output or "pulumi refresh -s" in command.output, command.output
        # The stack file already said maintenance: nothing was set, so nothing was put back.
        assert "put back" not in command.output, command.output
        if f"clear the lock with pulumi cancel -s {STACK}, then run this command again" in command.output:
            assert stand_in.run("cancel", "--yes", "-s", STACK).returncode == 0
        if f"run pulumi refresh -s {STACK} (if it says the stack is locked" in command.output:
            refreshed = stand_in.run("refresh", "--yes", "-s", STACK)
            if "the stack is currently locked" in refreshed.stderr:
                assert stand_in.run("cancel", "--yes", "-s", STACK).returncode == 0
                refreshed = stand_in.run("refresh", "--yes", "-s", STACK)
            assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
    pytest.fail(f"on did not heal the stack in {rounds} rounds")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_during_the_wait_leaves_the_switch_done(tmp_path, serve, cacert, dnsmasq, signum):
    stand_in = deployed(tmp_path, maintenance=False)
    distribution = serve(edge(stand_in.project_dir))
    dns = dnsmasq({DOMAIN: LIVE_TARGET})  # DNS never agrees: the command waits
    command = Running(stand_in, "--connect", distribution.endpoint, "--cacert", cacert, "--nameserver", dns.endpoint,
                      "--resolver", dns.endpoint, "--wait-timeout", "120")
    command.wait_for("agree with maintenance")
    command.send(signum)
    assert command.end() == 128 + signum, command.output
    assert agreement(stand_in) == ("maintenance", "maintenance", "maintenance")


def test_a_second_window_command_on_the_checkout_waits_then_names_the_first(tmp_path, start_on):
    stand_in = deployed(tmp_path, maintenance=False)
    first, _ = held_at(stand_in, start_on, "preview")
    second = switch(stand_in, "off", "--yes", "--no-wait")
    assert second.returncode == 1, second.stdout + second.stderr
    assert second.stderr.startswith(f"error: another window command is running on Pulumi.{STACK}.yaml in this "
                                    f"checkout: pid {first.process.pid}, `python -m maintenance on {STACK}`, started ")
    assert second.stdout == ""
    stand_in.release("preview")
    assert first.end() == 0, first.output
    assert agreement(stand_in) == ("maintenance", "maintenance", "maintenance")


def test_a_record_moved_by_another_operator_after_the_preview_is_refused_before_the_up(tmp_path, start_on):
    stand_in = deployed(tmp_path, maintenance=False)
    command, _ = held_at(stand_in, start_on, "preview")
    # Another machine's `on` lands while this one's preview runs.
    stand_in.edit_deployed(STACK, RECORD, "record", "records", ["other-operator.cloudfront.net"])
    stand_in.release("preview")
    assert command.end() == 1, command.output
    assert "refused: the deployment changed since the preview (another operator?): record records; nothing applied" \
        in command.output
    assert stack_file_mode(stand_in) == "false" and not ran(stand_in, "up")


@pytest.fixture
def full_disk(tmp_path):
    """A small file system of its own (tmpfs, as root can mount one), filled by `fill()` once the project is on it."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)], check=True, timeout=30)

    def fill() -> None:
        with open(mount / "filler", "wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError:
                pass

    try:
        yield mount, fill
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, timeout=30)


def test_a_full_disk_that_fails_the_stack_file_s_write_restores_it_and_changes_nothing(tmp_path, full_disk):
    """The CLI writes the stack file with os.WriteFile (truncate, then write): on a full disk it is cut short."""
    mount, fill = full_disk
    project = mount / "checkout"
    project.mkdir()
    for name in ("__main__.py", "Pulumi.yaml", "maintenance", "site"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    # A stack file just short of a page: the new message makes it cross into a page the full disk has not got.
    stack_file(project, maintenance=False, extra="# " + "notes " * 600 + "\n")
    stand_in = StandIn(project, tmp_path / "backend")
    stand_in.deploy(STACK)
    path = project / f"Pulumi.{STACK}.yaml"
    original = path.read_bytes()
    assert 3500 < len(original) < 4096
    fill()

    result = switch(stand_in, "message", "x" * 450, "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no space left on device" in result.stderr
    assert f"Pulumi.{STACK}.yaml restored as it was: Pulumi could not write it" in result.stdout
    assert path.read_bytes() == original
    assert not ran(stand_in, "preview") and not ran(stand_in, "up")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_a_second_signal_leaves_at_once_saying_pulumi_may_still_run_and_no_traceback(tmp_path, start_on, signum):
    stand_in = deployed(tmp_path, maintenance=False)
    point = PHASES["up, while the record changes"]
    command, left_behind = held_at(stand_in, start_on, point)
    command.send(signum)
    command.wait_for("waiting for it to end")
    command.send(signum)
    assert command.end() == 128 + signum, command.output  # no Traceback, no warning (Running.end)
    name = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
    assert (f"{name} again: stopped without waiting; Pulumi may still be running the update, or have stopped mid-step, "
            "leaving its lock or a pending operation. The stack file is left as it is. See where the record points "
            f"with: python -m maintenance status {STACK}") in command.output
    assert "ValueError" not in command.output
    stand_in.release(point)
    deadline = time.monotonic() + 60
    while process_running(left_behind):
        assert time.monotonic() < deadline, "the stand-in never ended"
        time.sleep(0.1)
    heal(stand_in, start_on)
