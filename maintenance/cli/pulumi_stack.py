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
import re
import shutil
import signal
import subprocess
import sys
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Optional

from ..settings import PROJECT
from .deployment import DeployedState
from .guard import Step
from .signals import STOP_SIGNALS, raise_interrupt, signal_name

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


def _read_json(verb: list[str], stack: str, cwd: Path, timeout: float) -> tuple[object, Optional[str]]:
    """What `pulumi VERB... --stack STACK` prints, parsed; or None and why not. Never fails."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        return None, "the Pulumi CLI is not installed"
    command = f"`pulumi {' '.join(word for word in verb if not word.startswith('-'))}`"
    try:
        process = subprocess.Popen(
            [pulumi, *verb, "--stack", stack], cwd=cwd,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
            start_new_session=True,
        )
    except OSError as error:
        return None, f"could not run the Pulumi CLI: {error}"
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _end_group(process)
        return None, f"{command} gave no answer within {timeout:g}s"
    except BaseException:  # Ctrl-C: leave no CLI behind
        _end_group(process)
        raise
    if process.returncode != 0:
        last_line = (stderr.strip().splitlines() or ["no message"])[-1]
        return None, f"{command} failed: {last_line}"
    try:
        return json.loads(stdout), None
    except ValueError:
        return None, f"{command} printed no JSON"


def read_stack_outputs(stack: str, cwd: Path, timeout: float = PULUMI_TIMEOUT) -> StackOutputs:
    values, problem = _read_json(["stack", "output", "--json"], stack, cwd, timeout)
    if problem:
        return StackOutputs(problem=problem)
    if not isinstance(values, dict):
        return StackOutputs(problem="`pulumi stack output` printed no JSON object")
    return StackOutputs(values)


def read_stack_state(stack: str, cwd: Path, timeout: float = PULUMI_TIMEOUT) -> Optional[DeployedState]:
    """The stack's saved state (`pulumi stack export`), or None where it cannot be read."""
    exported, problem = _read_json(["stack", "export"], stack, cwd, timeout)
    if problem or not isinstance(exported, dict):
        return None
    return DeployedState.from_export(exported.get("deployment"))


# --- the Automation API, for the window commands ---------------------------------------

# Pulumi docs, "Download & Install Pulumi": the install script for Linux and macOS.
INSTALL_HINT = "install it with: curl -fsSL https://get.pulumi.com | sh (then open a new shell)"


class PulumiUnavailable(Exception):
    """No usable CLI, not logged in, or no such stack: nothing was changed (a usage error)."""


class PulumiFailed(Exception):
    """A Pulumi command failed; the message is Pulumi's error."""


class StackLocked(PulumiFailed):
    """Another update holds the stack: Pulumi's whole message, naming each lock (its file, user@host, pid, time)."""


class UpFailed(PulumiFailed):
    """The up failed, was cancelled, or the CLI died: what it applied is read from the state (deployment.py)."""


# The CLI's first SIGINT, or SIGTERM in recent versions, finishes the steps in flight and cancels
# the rest (pulumi/pulumi pkg/backend, cancellationScopeSource.NewScope), saying on
# its standard output "^C received; cancelling. If you would like to terminate immediately, press
# ^C again." or "SIGTERM received; cancelling. ..."; a second one terminates it at once.
CANCELLING = "received; cancelling"
# How long a SIGTERM or SIGHUP sent to this command alone waits for the CLI to say it is cancelling
# (it got the signal too, from a process group's kill) before the CLI is sent its own SIGINT.
FORWARD_AFTER = 1.0


def pulumi_error(error: Exception) -> str:
    """Pulumi's own error lines from a failed command, without its progress output.

    An error's indented lines go with it: the file backend's lock error lists each lock there, with
    its file, user@host, pid and time (pkg/backend/diy/lock.go, checkForLock).
    """
    lines: list[str] = []
    in_error = False
    for raw in str(error).splitlines():
        text = raw.strip()
        if text.startswith(("stdout:", "stderr:")):
            raw = text = text.split(":", 1)[1].strip()
        if "error:" in text.lower():
            lines.append(text)
            in_error = True
        elif in_error and text and raw[:1].isspace():
            lines.append(f"  {text}")
        else:
            in_error = False
    if not lines:
        last = [text for text in (raw.strip() for raw in str(error).splitlines()) if text][-1:]
        lines = [text.split(":", 1)[1].strip() if text.startswith(("stdout:", "stderr:")) else text for text in last]
    text = "\n".join(dict.fromkeys(line for line in lines if line))
    if text and not text.startswith("code:"):
        return text
    # Nothing said: the SDK's CommandResult gives the exit code, negative for a signal (subprocess's returncode).
    code = re.search(r"code: (-?\d+)", str(error))
    if code and int(code.group(1)) < 0:
        number = -int(code.group(1))
        name = signal.Signals(number).name if number in signal.valid_signals() else f"signal {number}"
        return f"the Pulumi CLI was ended by {name}, without a message"
    return f"the Pulumi CLI exited with code {code.group(1)}, without a message" if code else "no message"


def _config_key(key: str) -> str:
    return f"{PROJECT}:{key}"


@dataclass
class PulumiStack:
    """A selected stack of the project in cwd."""

    stack: automation.Stack
    interrupted: Optional[int] = None  # the signal that came during the last up

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
        self._run(self.stack.preview, plan=str(plan), on_event=events, color="never", events=events, engine=True)
        return events.planned

    def up(self, plan: Path, message: str, on_interrupt: Callable[[int], None],
           on_second: Callable[[int], None]) -> None:
        """Apply the update plan. After a signal it returns, or raises UpFailed, once the CLI has ended:
        `interrupted` then names the signal, and the caller reads from the state what was applied."""
        events = _Events()
        try:
            self._run(self.stack.up, plan=str(plan), message=message, on_event=events, color="never", events=events,
                      engine=True, on_interrupt=on_interrupt, on_second=on_second)
        except StackLocked:
            raise
        except PulumiFailed as error:
            raise UpFailed(str(error)) from None

    def state(self) -> DeployedState:
        """The stack's last saved state (`pulumi stack export`): where each resource really is."""
        return DeployedState.from_export(self._run(self.stack.export_stack).deployment)

    def _run(self, call, *args, events: Optional[_Events] = None, engine: bool = False,
             on_interrupt: Optional[Callable[[int], None]] = None, on_second: Callable[[int], None] = raise_interrupt,
             **kwargs):
        """call's result; PulumiFailed with the engine's error diagnostics, or else the CLI's error lines.

        A first signal never ends the CLI from here: this waits for the CLI to end, then raises the
        interruption, or, for an up (on_interrupt given), returns with `interrupted` set. An engine
        operation (preview, up) ends as Pulumi does on its first interrupt: the steps in flight
        finish, the rest are cancelled. Ctrl-C from a terminal reaches the CLI too (one process
        group); a SIGTERM or SIGHUP sent to this command alone is passed on as the CLI's SIGINT,
        unless the CLI says it is cancelling already. A second signal calls on_second (by default it
        raises), leaving the CLI running: a CLI ended while it waits on a change leaves that resource
        in an unknown state, a pending operation (Pulumi docs, "Interrupted updates"), so it is never
        ended here. Raising cannot leave an up at once: the SDK's Popen then closes the CLI's output
        pipes, which waits for its reader threads, and they wait for the CLI.
        """
        from pulumi.automation import CommandError, ConcurrentUpdateError  # see open_stack

        caught: list[int] = []
        cancelling = threading.Event()
        ended = threading.Event()  # the forwarding thread must never signal a later command's CLI

        def interrupt(signum, frame) -> None:
            if caught:
                on_second(signum)
            caught.append(signum)
            (on_interrupt or _waiting_note)(signum)
            if engine and signum != signal.SIGINT:
                threading.Thread(target=_pass_on_interrupt, args=(cancelling, ended), daemon=True).start()

        if engine:
            kwargs["on_output"] = lambda line: cancelling.set() if CANCELLING in line else None
        previous = {each: signal.signal(each, interrupt) for each in STOP_SIGNALS}
        try:
            return call(*args, **kwargs)
        except ConcurrentUpdateError as error:
            raise StackLocked(pulumi_error(error)) from None
        # RuntimeError: the SDK's own, e.g. a preview whose events never gave a summary.
        except (CommandError, RuntimeError) as error:
            raise PulumiFailed("\n".join(events.errors if events and events.errors else [pulumi_error(error)])) from None
        finally:
            ended.set()
            for each, handler in previous.items():
                signal.signal(each, handler)
            if on_interrupt is not None:  # the up's: read once it has ended, whatever runs after it
                self.interrupted = caught[0] if caught else None
            elif caught:
                raise_interrupt(caught[0])


@dataclass
class _Events:
    """What a preview or an up reports through the engine's events (pulumi.automation.events)."""

    planned: list[Step] = field(default_factory=list)  # a resourcePreEvent: a step about to run (or planned)
    errors: list[str] = field(default_factory=list)  # a diagnosticEvent of severity error: Pulumi's own words

    def __call__(self, event: EngineEvent) -> None:
        if event.resource_pre_event:
            self.planned.append(Step.from_event(event.resource_pre_event.metadata))
        if event.diagnostic_event and event.diagnostic_event.severity == "error":
            self.errors.append(event.diagnostic_event.message.strip())


def say_from_handler(text: str) -> None:
    """A line from a signal handler: on stderr, and nowhere if the terminal has gone (SIGHUP: EIO)."""
    try:
        print(text, file=sys.stderr, flush=True)
    except OSError:
        pass


def _waiting_note(signum: int) -> None:
    say_from_handler(f"\n{signal_name(signum)}: stopping once Pulumi has ended ({signal_name(signum)} again stops "
                     "without waiting)")


def _pass_on_interrupt(cancelling: threading.Event, ended: threading.Event) -> None:
    """Send the CLI its SIGINT, unless it says it is cancelling already (a second signal would end it at once)
    or has ended."""
    import psutil

    if cancelling.wait(FORWARD_AFTER) or ended.is_set():
        return
    # The CLI is this command's only child while an update runs (the SDK's Popen, pulumi/automation/_cmd.py).
    for child in psutil.Process().children():
        try:
            child.send_signal(signal.SIGINT)
        except psutil.NoSuchProcess:
            pass


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
    # The SDK warns from its event server's thread when the CLI ends mid-stream (a signal, a kill): the
    # commands never rely on the stream's end, they read where the deployment is from the state.
    warnings.filterwarnings("ignore", message="Error in event stream", category=UserWarning)
    workspace = automation.LocalWorkspace(work_dir=str(cwd.resolve()), pulumi_command=command)
    try:
        workspace.who_am_i()
    except ValueError as error:  # the SDK parses `pulumi whoami --json`: a CLI that printed no JSON
        raise PulumiUnavailable(f"`pulumi whoami --json` printed no JSON ({error}): check the CLI with pulumi whoami "
                                f"-v; {INSTALL_HINT}") from None
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
