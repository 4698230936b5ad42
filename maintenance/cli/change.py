"""A guarded change of the stack config, shared by the window commands (on, off, message).

Each sets some keys through the Automation API, previews with an update plan saved, lets the
guard judge the engine's steps, asks, and applies exactly that plan; whatever stops it before
the update puts the stack file's previous values back.

What `up --plan` guarantees (Pulumi docs, "Update plans"): the update is constrained "to only the
operations that were saved to the plan"; the plan is checked as the update runs, not all at
once before it, and "if any discrepancy between the plan and the actual execution is detected,
the pulumi up operation will immediately fail". So a console edit made after the preview stops
the up instead of being applied with the switch.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import shlex
import socket
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Optional

from ..settings import Settings, SettingsError, load_from_stack_file, passphrase_problem, stack_file_path
from . import PROGRAM
from .answers import EXIT_USAGE, shown, stop_writing_output
from .access_denied import explain, policies_from_outputs
from .checkout_lock import Held, Unwritable, checkout_lock
from .deployment import DeployedState, cut_off_problem
from .guard import Allowed, Step, judge
from .notify import notify_stack, operator
from .pulumi_stack import PulumiFailed, PulumiStack, PulumiUnavailable, StackLocked, open_stack, say_from_handler
from .shared_truth import stack_file_commit_hint
from .signals import exit_code, signal_name, signal_number, stop_signals_interrupt

if TYPE_CHECKING:
    from pulumi.automation import ConfigValue

EXIT_DONE = 0
EXIT_FAILED = 1  # a check failed, the guard refused, the update failed, or the answer was no


# Room for a ticket number and a sentence; `pulumi stack history` shows it on one line.
REASON_CHARACTERS = 200


def reason_text(text: str) -> str:
    """An option type: why the window is changed, one line, as the update's message keeps it."""
    reason = text.strip()
    if not reason or len(reason) > REASON_CHARACTERS or not reason.isprintable():
        raise argparse.ArgumentTypeError(
            f"{shown(text)}: a reason is one line of 1 to {REASON_CHARACTERS} printable characters")
    return reason


def add_confirm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="apply without asking (required without a terminal)")
    parser.add_argument("--dry-run", action="store_true",
                        help="check and preview only: the stack file is put back and nothing is applied")
    parser.add_argument("--reason", type=reason_text, metavar="TEXT",
                        help="why: the update's message, which pulumi stack history and history show")


class NoTerminal(Exception):
    """Nobody to ask, and neither --yes nor --dry-run."""


def require_answerer(args: argparse.Namespace) -> None:
    if not (args.yes or args.dry_run or sys.stdin.isatty()):
        raise NoTerminal("no terminal to ask on (standard input is not a terminal): give --yes to apply "
                         "without asking, or --dry-run to only preview")


def confirmed(question: str) -> bool:
    """A yes on standard input; nothing (end of file) is a no.

    The answer is awaited in short polls, not one blocking read: the preview leaves gRPC's threads
    running, the kernel may hand a Ctrl-C to any of them, and its Python handler then runs only
    when the main thread is back in Python, while a system call waiting there goes on ("Signals
    and threads" and signal.pthread_kill in the Python docs, module signal).
    """
    print(f"{question} [y/N] ", end="", flush=True)
    while not select.select([sys.stdin], [], [], 0.2)[0]:
        pass
    return sys.stdin.readline().strip().lower() in ("y", "yes")


@dataclass
class Timings:
    """How long each step took, for the last line."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = time.monotonic() - started

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.1f}s" for name, seconds in self.seconds.items()) or "no step ran"


def _shown(value: Optional[ConfigValue]) -> str:
    return "removed" if value is None else "[secret]" if value.secret else repr(value.value)


def _set_by_hand(key: str, value: Optional[ConfigValue], stack: str) -> str:
    if value is None:
        return f"pulumi config rm {key} -s {stack}"
    return f"pulumi config set {key} {'--secret VALUE' if value.secret else shlex.quote(value.value)} -s {stack}"


@dataclass(frozen=True)
class Unfinished:
    """An up that failed, was interrupted, or whose CLI ended early, as the saved state shows it."""

    stack: str
    outcome: str  # what happened, for the last line
    signum: Optional[int] = None  # the signal that stopped it
    state: Optional[DeployedState] = None  # None: it could not be read
    applied: tuple[Step, ...] = ()  # the planned changes the state holds
    put_back: bool = False  # the stack file was put back (else it already said what the command set)

    @property
    def exit_code(self) -> int:
        return exit_code(self.signum) if self.signum else EXIT_FAILED

    def next_command(self, again: str) -> str:
        if self.state is None:
            return f"{PROGRAM} status {self.stack}"
        if self.state.cut_off():
            return f"pulumi refresh -s {self.stack}, then {again}"
        return again if self.applied or self.signum else f"fix the error above, then {again}"


@dataclass
class GuardedChange:
    """The keys a command sets, their previous values, and the preview the guard judged."""

    pulumi: PulumiStack
    allowed: tuple[Allowed, ...]
    timings: Timings
    path: Path  # the stack file
    update_message: str = ""  # what `pulumi stack history` shows for the update: the command and its reason
    previous: dict = field(default_factory=dict)  # key -> ConfigValue, or None where it was not set
    up_started: bool = False  # from then on the stack file is put back only where the update changed nothing
    applied: bool = False  # the update ran: the values set are deployed, never put back

    @property
    def stack_file(self) -> str:
        return self.path.name

    def set(self, values: Mapping[str, Optional[str]]) -> None:
        """Set each key to its text (None: remove it), keeping a secret a secret."""
        from pulumi.automation import ConfigValue

        current = self.pulumi.values(values)
        wanted = {}
        for key, text in values.items():
            before = current[key]
            if (before.value if before else None) == text:
                continue
            wanted[key] = None if text is None else ConfigValue(text, secret=bool(before and before.secret))
            self.previous[key] = before
        original = self.path.read_bytes()
        try:
            self.pulumi.set_values(wanted)
        except PulumiFailed as error:
            self._restore(original, error)
            raise
        for key, value in wanted.items():
            print(f"set {key} {_shown(value)} in {self.stack_file}")

    def _restore(self, original: bytes, error: PulumiFailed) -> None:
        """The stack file as it was, after Pulumi failed to write it (a full disk).

        The CLI writes it with os.WriteFile (sdk/go/common/workspace/project.go, save), which
        truncates the file first: a write that fails leaves it cut short. It is written back in
        place, into the room the truncation freed; if even that fails, its text is printed.
        """
        if self.path.read_bytes() == original:
            return
        self.previous = {}
        try:
            with open(self.path, "r+b") as stack_file:
                stack_file.write(original)
                stack_file.truncate()
        except OSError as problem:
            print(f"error: {self.stack_file} could not be restored ({problem}); it held:\n"
                  f"{original.decode(errors='replace')}", file=sys.stderr)
            return
        print(f"{self.stack_file} restored as it was: Pulumi could not write it ({str(error).splitlines()[0]})")

    def up(self, plan: Path) -> None:
        """Apply the plan; after a signal, once Pulumi has ended (`pulumi.interrupted` names it)."""
        self.up_started = True

        def note(signum: int) -> None:
            name = signal_name(signum)
            say_from_handler(f"\n{name}: Pulumi finishes the step in flight and cancels the rest; waiting for it to "
                             f"end ({name} again stops without waiting). {_where_to_look(self.pulumi.name)}")

        def leave(signum: int) -> None:
            # A second Ctrl-C from a terminal ends Pulumi at once too; a CLI that outlives this command
            # dies at its next write (SIGPIPE). Either may leave its lock or a pending operation.
            say_from_handler(f"\n{signal_name(signum)} again: stopped without waiting; Pulumi may still be running "
                             "the update, or have stopped mid-step, leaving its lock or a pending operation. The stack "
                             f"file is left as it is. {_where_to_look(self.pulumi.name)}")
            try:
                sys.stdout.flush()
            except OSError:
                pass
            os._exit(exit_code(signum))

        with self.timings.step("up"):
            self.pulumi.up(plan, self.update_message, note, leave)

    def announce(self, args: argparse.Namespace, mode: str, until: Optional[datetime]) -> None:
        """After an up that applied: the notice to the stack's notifyUrl, if it has one (a failure is one line)."""
        problem = notify_stack(self.pulumi, command=args.command, mode=mode, reason=args.reason, until=until,
                               by=operator(Path(args.cwd)))
        if problem:
            print(f"note: {problem}")

    def unchanged_since_preview(self, changes: tuple[Step, ...]) -> Optional[str]:
        """None while the state still has what the preview planned from; else what changed (another operator)."""
        state = self.pulumi.state()
        moved = [step for step in changes if not state.has(step.urn, step.old, step.diffs)]
        if not moved:
            return None
        return ("the deployment changed since the preview (another operator?): "
                + ", ".join(f"{step.name} {', '.join(step.diffs)}" for step in moved))

    def after_unfinished_up(self, error: PulumiFailed, changes: tuple[Step, ...]) -> Unfinished:
        """Say why the up did not finish, then make the stack file agree with what the saved state holds.

        Put back when the state holds none of the planned changes; kept when it holds any (all of
        them, or a part that running the command again finishes). Left as it is when the state
        cannot be read, or a change was cut off mid-call: where that resource is, Pulumi itself
        does not know until `pulumi refresh`.
        """
        print(f"error: the update did not finish:\n{error}", file=sys.stderr)
        if isinstance(error, StackLocked):
            print(locked_advice(error, self.pulumi.name), file=sys.stderr)
        signum = self.pulumi.interrupted
        unfinished = Unfinished(self.pulumi.name, f"interrupted ({signal_name(signum)})" if signum else "failed", signum)
        try:
            state = self.pulumi.state()
        except PulumiFailed as problem:
            return replace(unfinished, outcome=f"{unfinished.outcome}; the stack's state could not be read: {problem}")
        explain_refusal(error, state)
        if problem := cut_off_problem(state, self.pulumi.name):
            return replace(unfinished, outcome=f"{unfinished.outcome}: {problem}", state=state)
        applied = [step for step in changes if state.has(step.urn, step.new, step.diffs)]
        if applied:
            self.keep()
        return replace(unfinished, state=state, applied=tuple(applied), put_back=not applied and self.put_back())

    def approved(self, args: argparse.Namespace, question: str, changes: tuple[Step, ...]) -> bool:
        """Go on? Not in a dry run; with changes, only after --yes or a yes. If not, the stack file is put back."""
        if args.dry_run or changes and not (args.yes or confirmed(question)):
            self.put_back()
            return False
        return True

    def keep(self) -> None:
        self.applied = True
        self.previous = {}

    def put_back(self, reraise: bool = True) -> bool:
        """The previous values of every key set, once; says how to do it by hand where Pulumi did not.

        A signal does not stop it half way: each `config set` ends before the signal is raised
        (PulumiStack._run), every key is still put back, and the signal is raised after (unless the
        caller is handling one already). What the file holds is then read, not assumed. False when
        there was nothing to put back.
        """
        if not self.previous:
            return False
        previous, self.previous = self.previous, {}
        interruption: Optional[KeyboardInterrupt] = None
        problem: Optional[Exception] = None
        for key, value in previous.items():
            try:
                self.pulumi.set_values({key: value})
            except KeyboardInterrupt as caught:
                interruption = caught
            except PulumiFailed as error:
                problem = error
        left = self._not_back(previous)
        if left:
            commands = "; ".join(_set_by_hand(key, value, self.pulumi.name) for key, value in left.items())
            why = problem or (f"interrupted by {signal_name(signal_number(interruption))}" if interruption else
                              "Pulumi reads other values")
            print(f"error: could not put {self.stack_file} back ({why}): {commands}", file=sys.stderr)
        else:
            print(f"{self.stack_file} put back: " + ", ".join(f"{key} {_shown(value)}" for key, value in previous.items()))
        if interruption and reraise:
            raise interruption
        return True

    def _not_back(self, previous: Mapping[str, Optional[ConfigValue]]) -> dict:
        """The keys whose values in the stack file are not the previous ones (all of them where it cannot be read)."""
        try:
            current = self.pulumi.values(previous)
        except (PulumiFailed, KeyboardInterrupt):
            return dict(previous)

        def value(config: Optional[ConfigValue]) -> Optional[tuple[str, bool]]:
            return (config.value, bool(config.secret)) if config else None

        return {key: before for key, before in previous.items() if value(current[key]) != value(before)}

    def preview(self, plan: Path) -> Optional[tuple[Step, ...]]:
        """The allowed changes; None when the guard refused (each unexpected change printed, stack file put back)."""
        with self.timings.step("preview"):
            steps = self.pulumi.preview(plan)
        verdict = judge(steps, self.allowed)
        unchanged = sum(step.op == "same" for step in steps)
        if not verdict.refused:
            print(f"preview (update plan saved): {len(verdict.changes)} change(s) allowed, {unchanged} unchanged")
            return verdict.changes
        print(f"refused: the preview holds {len(verdict.unexpected)} change(s) this command does not make:")
        for step in verdict.unexpected:
            print(f"  {step.describe()}")
        self.put_back()
        stack = self.pulumi.name
        # docs/commands.md, "When on or off refuses": the cases the guard knows, and their ways out.
        print("nothing was applied: the API stays as it is. The way out:\n"
              f"  a console edit (drift): see it with pulumi refresh --preview-only -s {stack}; undo it in the "
              f"console, or accept it with pulumi refresh -s {stack}; then run this command again\n"
              f"  a change of the program or of the stack file: deploy it outside a window, after "
              f"pulumi preview --diff -s {stack}")
        return None


@contextmanager
def plan_file() -> Iterator[Path]:
    """Where the preview saves the update plan that the up then applies; gone afterwards."""
    with tempfile.TemporaryDirectory(prefix="maintenance-plan-") as folder:
        yield Path(folder) / "plan.json"


def explain_refusal(error: PulumiFailed, state: DeployedState) -> None:
    """When AWS refused an action: which operator policy grants it (issue 21), in one line."""
    if explanation := explain(str(error), policies_from_outputs(state.outputs)):
        print(explanation, file=sys.stderr)


def locked_advice(error: StackLocked, stack: str) -> str:
    """How to get past Pulumi's lock: wait for its holder, or clear it once the holder is known to be gone."""
    holders = [(int(pid), host) for host, pid in re.findall(r"@(\S+) \(pid (\d+)\)", str(error))]
    gone = [pid for pid, host in holders if host == socket.gethostname() and not _running(pid)]
    clear = f"pulumi cancel -s {stack}"
    if holders and len(gone) == len(holders):
        return (f"the process holding the lock (pid {', '.join(map(str, gone))} on this machine) has ended: "
                f"clear the lock with {clear}, then run this command again")
    return (f"another update is running: wait for it to end and run this command again; only once its process "
            f"has ended (see the pid and host above), clear the lock with {clear}")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def _where_to_look(stack: str) -> str:
    return f"See where the record points with: {PROGRAM} status {stack}; every resource with: pulumi stack -s {stack}"


def run_guarded(args: argparse.Namespace, allowed: tuple[Allowed, ...],
                command: Callable[[Settings, GuardedChange], int]) -> int:
    """Check usage (stack file, someone to ask), take the checkout's lock, open the stack, then run the command.

    Whatever stops it before the update (Ctrl-C, SIGTERM, SIGHUP) puts the stack file back and
    exits 128 + the signal's number; a signal during the update waits for Pulumi to end
    (GuardedChange.up), and the command then says where the deployment is.
    """
    # A window takes minutes: each line shows when its step ends, through a pipe (a CI log) too.
    sys.stdout.reconfigure(line_buffering=True)
    try:
        settings = load_from_stack_file(Path(args.cwd), args.stack)
        require_answerer(args)
        problem = passphrase_problem(stack_file_path(Path(args.cwd), args.stack), os.environ)
    except (SettingsError, NoTerminal) as error:
        problem = str(error)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with stop_signals_interrupt(), checkout_lock(Path(args.cwd), args.stack, f"{PROGRAM} {args.command} {args.stack}"):
            return _run_locked(args, allowed, command, settings)
    except Held as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except Unwritable as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as interruption:  # while waiting for the lock: nothing was changed
        print(f"\n{signal_name(signal_number(interruption))}: stopped, nothing changed", file=sys.stderr)
        return exit_code(signal_number(interruption))


def _run_locked(args: argparse.Namespace, allowed: tuple[Allowed, ...],
                command: Callable[[Settings, GuardedChange], int], settings: Settings) -> int:
    try:
        pulumi = open_stack(args.stack, Path(args.cwd))
    except PulumiUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    change = GuardedChange(pulumi, allowed, Timings(), stack_file_path(Path(args.cwd), args.stack),
                           f"maintenance {args.command}: {args.reason or 'no reason given'}")
    try:
        code = command(settings, change)
    except PulumiFailed as error:
        print(f"error: {error}", file=sys.stderr)
        change.put_back(reraise=False)
        try:
            explain_refusal(error, pulumi.state())
        except PulumiFailed:
            pass  # the error above stands on its own
        return EXIT_FAILED
    except BrokenPipeError:
        # What reads the output has gone (`| head`, a CI log's tee ended): the window is not left
        # half done, the stack file is put back as on every other way out before the update.
        stop_writing_output()
        if not change.up_started:
            change.put_back(reraise=False)
        raise
    except KeyboardInterrupt as interruption:
        signum = signal_number(interruption)
        if change.up_started and not change.applied:  # after the up, before the state said what it applied
            print(f"\n{signal_name(signum)}: stopped before reading where the update left the stack; the stack file "
                  f"is left as it is. {_where_to_look(args.stack)}", file=sys.stderr)
        else:
            print(f"\n{signal_name(signum)}: stopped" + ("" if change.applied else " before the update"),
                  file=sys.stderr)
            change.put_back(reraise=False)
        return exit_code(signum)
    # A plain `pulumi up` from a checkout whose stack file says otherwise would undo the window.
    if change.applied and (hint := stack_file_commit_hint(stack_file_path(Path(args.cwd), args.stack),
                                                          message=change.update_message)):
        print(hint)
    return code
