"""Stack files and runs of `python -m maintenance` as an operator would start it, for the command tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
MUTATION_CHILD = Path(__file__).resolve().parent / "mutation_child"
DOMAIN = "api.theboss.io"
LIVE_TARGET = "elb-live-1234567890.us-east-1.elb.amazonaws.com"
DISTRIBUTION = "d111111abcdef8.cloudfront.net"
# What status and preflight say of a stack in maintenance whose until (2020-01-01T06:00:00Z) has passed.
OVERRUN_NOTE = ("the window has overrun: until (2020-01-01 06:00 UTC) has passed. Update the message and the new end: "
                "python -m maintenance message window '...' --until YYYY-MM-DDTHH:MM:SSZ")


def stack_file(folder: Path, maintenance: bool, live: str = f"liveTarget: {LIVE_TARGET}", name: str = "window",
               extra: str = "") -> Path:
    (folder / f"Pulumi.{name}.yaml").write_text(
        "config:\n"
        "  aws:region: us-east-1\n"
        f"  api-maintenance:maintenance: \"{str(maintenance).lower()}\"\n"
        f"  api-maintenance:domain: {DOMAIN}\n"
        "  api-maintenance:zone: theboss.io\n"
        f"  api-maintenance:{live}\n"
        f"{extra}"
    )
    return folder


PROGRAM = [sys.executable, "-m", "maintenance"]


def _on_window(command: str, folder: Path, arguments: tuple[str, ...]) -> list[str]:
    return [command, "window", "--cwd", str(folder), *arguments]


def run_maintenance(*arguments: str, path: str = "/usr/bin:/bin", timeout: float = 60, output=subprocess.PIPE):
    """`python -m maintenance ARGUMENTS...`, its output captured."""
    env = _environment(path)
    with _calls_told_to_mutmut(env):
        return subprocess.run([*PROGRAM, *arguments], stdout=output,
                              stderr=subprocess.PIPE, text=True, timeout=timeout, env=env)


def _environment(path: str) -> dict[str, str]:
    env = {"PATH": path, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}
    # Under scripts/mutation, the command runs the mutant its test runs (mutmut's trampolines read this).
    if "MUTANT_UNDER_TEST" in os.environ:
        env["MUTANT_UNDER_TEST"] = os.environ["MUTANT_UNDER_TEST"]
    return env


@contextmanager
def _calls_told_to_mutmut(env: dict[str, str]):
    """In mutmut's stats run, what the command called counts as called by the test that started it."""
    if env.get("MUTANT_UNDER_TEST") != "stats":
        yield
        return
    from mutmut.state import state

    with tempfile.TemporaryDirectory() as folder:
        calls = Path(folder) / "calls"
        env["PYTHONPATH"] = f"{MUTATION_CHILD}:{env['PYTHONPATH']}"
        env["MUTMUT_CHILD_CALLS"] = str(calls)
        yield
        if calls.exists():
            state()._stats.update(calls.read_text().split())


def run_command(command: str, folder: Path, *arguments: str, **options):
    """The command on stack `window` of the folder."""
    return run_maintenance(*_on_window(command, folder, arguments), **options)


def run_with_output_closed(command: str, folder: Path, *arguments: str, **options):
    """The command as `... | head -0` runs it: what reads its output has gone before it writes."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return run_command(command, folder, *arguments, output=write_end, **options)
    finally:
        os.close(write_end)


def leave_output(command: subprocess.Popen, last: Callable[[str], bool],
                 then: Callable[[list[str]], object] = lambda lines: None, timeout: float = 120) -> tuple[int, str]:
    """As `COMMAND | head` does: read lines until `last(line)`, close the command's output, then
    `then(lines read)`; the command's exit code and stderr. The command is ended whatever happens."""
    try:
        lines = []
        while not last(line := command.stdout.readline()):
            assert line, command.stderr.read()
            lines.append(line)
        command.stdout.close()
        then(lines)
        return command.wait(timeout=timeout), command.stderr.read()
    finally:
        command.kill()
        command.wait()
        command.stderr.close()


def start_command(command: str, folder: Path, *arguments: str, path: str = "/usr/bin:/bin") -> subprocess.Popen:
    """The command running, its output read line by line; Ctrl-C (SIGINT) stops it, however CI started us."""
    return subprocess.Popen(
        [*PROGRAM, *_on_window(command, folder, arguments)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        encoding="utf-8", env=_environment(path),
        # "When job control is not in effect, asynchronous commands ignore SIGINT" (Bash manual,
        # Signals), and Python turns SIGINT into KeyboardInterrupt only "if the parent process has
        # not changed it" (Python docs, signal, General rules): so a CI job started with & would not stop.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def fake_pulumi(folder: Path, script: str) -> str:
    """A `pulumi` executable running the given shell script; returns a PATH that finds it first."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "pulumi"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin"


def process_running(pid: int | str) -> bool:
    """True while the process exists and is not a zombie waiting to be collected."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
