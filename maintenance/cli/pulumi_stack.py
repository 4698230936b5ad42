"""The one wrapper around the Pulumi CLI and its Automation API.

`read_stack_outputs` (status, preflight) reads the deployed stack's outputs where the CLI is
installed and logged in, and never fails: the outputs name the exact distribution and live
target, and the mode the last `pulumi up` left, where a stack file only gives name patterns.

`open_stack` (on, off, message) selects a stack through the Automation API, after checking the
CLI is on PATH and logged in: config set and put back, a preview that saves an update plan and
hands over the engine's steps, an up held to that plan, and the outputs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Optional

from ..settings import PROJECT
from .guard import Step

if TYPE_CHECKING:
    from pulumi import automation
    from pulumi.automation import ConfigValue, EngineEvent

PULUMI_TIMEOUT = 10.0


@dataclass(frozen=True)
class StackOutputs:
    values: dict = field(default_factory=dict)
    problem: Optional[str] = None  # why no outputs were read

    def get(self, key: str) -> Optional[str]:
        value = self.values.get(key)
        return value if isinstance(value, str) and value else None


def _end_group(process: subprocess.Popen) -> None:
    """End the CLI and every process it started (its own session), then collect it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()


def read_stack_outputs(stack: str, cwd: Path, timeout: float = PULUMI_TIMEOUT) -> StackOutputs:
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        return StackOutputs(problem="the Pulumi CLI is not installed")
    try:
        process = subprocess.Popen(
            [pulumi, "stack", "output", "--json", "--stack", stack], cwd=cwd,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
            start_new_session=True,
        )
    except OSError as error:
        return StackOutputs(problem=f"could not run the Pulumi CLI: {error}")
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _end_group(process)
        return StackOutputs(problem=f"`pulumi stack output` gave no answer within {timeout:g}s")
    except BaseException:  # Ctrl-C: leave no CLI behind
        _end_group(process)
        raise
    if process.returncode != 0:
        last_line = (stderr.strip().splitlines() or ["no message"])[-1]
        return StackOutputs(problem=f"`pulumi stack output` failed: {last_line}")
    try:
        values = json.loads(stdout)
    except ValueError:
        return StackOutputs(problem="`pulumi stack output` printed no JSON")
    if not isinstance(values, dict):
        return StackOutputs(problem="`pulumi stack output` printed no JSON object")
    return StackOutputs(values)


# --- the Automation API, for the window commands ---------------------------------------

# Pulumi docs, "Download & Install Pulumi": the install script for Linux and macOS.
INSTALL_HINT = "install it with: curl -fsSL https://get.pulumi.com | sh (then open a new shell)"


class PulumiUnavailable(Exception):
    """No usable CLI, not logged in, or no such stack: nothing was changed (a usage error)."""


class PulumiFailed(Exception):
    """A Pulumi command failed; the message is Pulumi's error."""


class UpFailed(PulumiFailed):
    def __init__(self, message: str, completed: list[Step]):
        super().__init__(message)
        self.completed = completed  # the steps the engine finished before it stopped


def pulumi_error(error: Exception) -> str:
    """Pulumi's own error lines from a failed command, without its progress output."""
    lines = [line.strip() for line in str(error).splitlines()]
    lines = [line.split(":", 1)[1].strip() if line.startswith(("stdout:", "stderr:")) else line for line in lines]
    lines = [line for line in lines if line]
    errors = list(dict.fromkeys(line for line in lines if "error:" in line.lower()))
    return "\n".join(errors or lines[-1:] or ["no message"])


def _config_key(key: str) -> str:
    return f"{PROJECT}:{key}"


@dataclass
class PulumiStack:
    """A selected stack of the project in cwd."""

    stack: automation.Stack
    interrupted: bool = False  # Ctrl-C came during the last up

    @property
    def name(self) -> str:
        return self.stack.name

    def values(self, keys: Iterable[str]) -> dict[str, Optional[ConfigValue]]:
        """The stack's current values of the project's keys; secrets decrypted, to be put back as secrets."""
        config = self._run(self.stack.get_all_config)
        return {key: config.get(_config_key(key)) for key in keys}

    def set_values(self, values: Mapping[str, Optional[ConfigValue]]) -> None:
        """Set each key to its value, or remove it where the value is None."""
        for key, value in values.items():
            if value is None:
                self._run(self.stack.remove_config, _config_key(key))
            else:
                self._run(self.stack.set_config, _config_key(key), value)

    def preview(self, plan: Path) -> list[Step]:
        """The engine's steps for the stack's config, with the update plan saved to plan."""
        events = _Events()
        self._run(self.stack.preview, plan=str(plan), on_event=events, color="never", events=events)
        return events.planned

    def up(self, plan: Path, on_interrupt: Callable[[], None]) -> list[Step]:
        """Apply the update plan; returns the steps the engine completed.

        Ctrl-C does not stop the CLI from here: the first calls on_interrupt and waits for the CLI
        to end (it got the Ctrl-C too, if it came from the terminal, and ends the way Pulumi
        ends on it); a second raises KeyboardInterrupt. A CLI ended while it waits on a change
        leaves that resource in an unknown state, a pending operation to clear with `pulumi
        refresh` (Pulumi docs, "Interrupted updates"), so this command never ends it itself.
        """
        events = _Events()

        def interrupt(signum, frame) -> None:
            self.interrupted = True
            signal.signal(signal.SIGINT, signal.default_int_handler)
            on_interrupt()

        self.interrupted = False
        previous = signal.signal(signal.SIGINT, interrupt)
        try:
            self._run(self.stack.up, plan=str(plan), on_event=events, color="never", events=events)
        except PulumiFailed as error:
            raise UpFailed(str(error), events.completed) from None
        finally:
            signal.signal(signal.SIGINT, previous)
        return events.completed

    def outputs(self) -> dict[str, object]:
        return {key: output.value for key, output in self._run(self.stack.outputs).items()}

    @staticmethod
    def _run(call, *args, events: Optional[_Events] = None, **kwargs):
        """call's result; PulumiFailed with the engine's error diagnostics, or else the CLI's error lines."""
        from pulumi.automation import CommandError  # see open_stack

        try:
            return call(*args, **kwargs)
        # RuntimeError: the SDK's own, e.g. a preview whose events never gave a summary.
        except (CommandError, RuntimeError) as error:
            raise PulumiFailed("\n".join(events.errors if events and events.errors else [pulumi_error(error)])) from None


@dataclass
class _Events:
    """What a preview or an up reports through the engine's events (pulumi.automation.events)."""

    planned: list[Step] = field(default_factory=list)  # a resourcePreEvent: a step about to run (or planned)
    completed: list[Step] = field(default_factory=list)  # a resOutputsEvent: a step done
    errors: list[str] = field(default_factory=list)  # a diagnosticEvent of severity error: Pulumi's own words

    def __call__(self, event: EngineEvent) -> None:
        if event.resource_pre_event:
            self.planned.append(Step.from_event(event.resource_pre_event.metadata))
        if event.res_outputs_event:
            self.completed.append(Step.from_event(event.res_outputs_event.metadata))
        if event.diagnostic_event and event.diagnostic_event.severity == "error":
            self.errors.append(event.diagnostic_event.message.strip())


def open_stack(name: str, cwd: Path) -> PulumiStack:
    """The stack, selected, after checking the CLI is on PATH and logged in; raises PulumiUnavailable."""
    # Imported here, not with the module: it loads gRPC, which status and preflight would
    # wait for at every start without using it.
    from pulumi import automation

    if shutil.which("pulumi") is None:
        raise PulumiUnavailable(f"the Pulumi CLI `pulumi` is not on PATH: {INSTALL_HINT}")
    try:
        command = automation.PulumiCommand()
    except automation.InvalidVersionError as error:
        raise PulumiUnavailable(f"the Pulumi CLI cannot be used: {error}") from None
    except (OSError, subprocess.CalledProcessError) as error:
        raise PulumiUnavailable(f"`pulumi version` failed ({error}): reinstall the CLI; {INSTALL_HINT}") from None
    workspace = automation.LocalWorkspace(work_dir=str(cwd.resolve()), pulumi_command=command)
    try:
        workspace.who_am_i()
    except automation.CommandError as error:
        raise PulumiUnavailable(
            f"Pulumi is not logged in ({pulumi_error(error)}): run pulumi login (with your backend's URL "
            "if it is not Pulumi Cloud), then run this again") from None
    try:
        return PulumiStack(automation.Stack.select(name, workspace))
    except automation.StackNotFoundError:
        raise PulumiUnavailable(
            f"the backend Pulumi is logged in to has no stack {name!r}: check the name (pulumi stack ls) "
            "and the backend (pulumi whoami -v)") from None
    except automation.CommandError as error:
        raise PulumiUnavailable(f"pulumi stack select {name} failed: {pulumi_error(error)}") from None
