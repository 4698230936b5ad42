"""`pulumi preview` and `pulumi up`: steps computed by the engine module, events, plan files, applying.

The events follow the real engine's order: a preludeEvent with the config, a resourcePreEvent and a
resOutputsEvent for every step (same steps too; `planning: true` in a preview), a summaryEvent with
the logical steps counted by op, and a cancelEvent last (pkg/engine/events.go; the SDK stops reading
at the cancelEvent, automation/_stack.py _watch_logs). A failed resource operation is a
diagnosticEvent with severity "error" and a resOpFailedEvent.

Applying is modelled as AWS: a fault planted for a resource type (StandIn.fail_next_change) makes the
next change of such a resource fail with that provider message; the state keeps the resource as it
was, the steps already applied stay applied, and the stack outputs stay the last successful ones, as
the engine's snapshot does after a failed update.

The state is saved after every step, a change step being recorded first as a pending operation
(DeploymentV3.pending_operations, sdk/go/common/apitype/core.go; Pulumi docs, "pending operations"),
so a process killed mid-step leaves it behind. An `up` holds the stack's lock (locks.py) throughout.

Signals as the CLI's cancellation scope takes them (pkg/backend/cancellation_scope.go,
cancellationScopeSource.NewScope, which Notifies os.Interrupt and syscall.SIGTERM only): the first
prints its message and cancels: the step in flight finishes, no further step starts, and the engine
reports "update canceled" (or "preview canceled") as an error diagnostic and bails
(pkg/resource/deploy/deployment_executor.go, Execute and reportExecResult), which a CLI of 3.210
ends with exit 255 (os.Exit(-1); later CLIs map errors to other codes, pulumi/pulumi#21716); the
update is recorded as failed. The second prints "<signal> received; terminating" and the process
ends at once (cancelSource.Terminate; the sources searched do not show the exit status, so 255 as for
any failure), leaving the lock and the pending operation. Any other signal keeps Go's default
(os/signal docs: SIGHUP, SIGINT and SIGTERM make a program exit; SIGPIPE on stdout too): see cli.main.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from . import engine, holds, locks
from .backend import now_text
from .cli import EXIT_FAILED, Cli, Failure
from .events import EventLog

SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}
PREVIEW_WORDS = {"create": "to create", "update": "to update", "replace": "to replace", "delete": "to delete"}
# How the provider names a resource type in its errors (terraform-provider-aws, each resource's errors).
PROVIDER_NOUNS = {"aws:route53/record:Record": "Route53 Record"}
UP_WORDS = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}


# Pending operation types (apitype.OperationType: OperationTypeCreating, ...Updating, ...Deleting).
PENDING_TYPES = {"create": "creating", "create-replacement": "creating", "update": "updating",
                 "delete": "deleting", "delete-replaced": "deleting"}


class Interrupts:
    """The cancellation scope: the first SIGINT or SIGTERM cancels, the second terminates."""

    def __init__(self, events: EventLog, preview: bool):
        self.events = events
        self.preview = preview
        self.cancelled = False
        self._announcement: Optional[str] = None

    def install(self) -> "Interrupts":
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, self._received)
        return self

    def _received(self, number: int, _frame) -> None:
        # Written with os.write: the handler may interrupt a print of the main flow.
        name = "SIGTERM" if number == signal.SIGTERM else "^C"
        if self.cancelled:
            os.write(1, f"{name} received; terminating".encode())
            os._exit(EXIT_FAILED)
        self.cancelled = True
        if number == signal.SIGTERM:
            message = "SIGTERM received; cancelling. If you would like to terminate immediately, send SIGTERM again.\n"
        else:
            message = "^C received; cancelling. If you would like to terminate immediately, press ^C again.\n"
        if not self.preview:
            message += "Note that terminating immediately may lead to orphaned resources and other inconsistencies.\n"
        os.write(1, message.encode())
        self._announcement = message

    def announce(self) -> None:
        """The message as the engine event it is (StdoutEventPayload), sent from the main flow."""
        if self._announcement is not None:
            self.events.emit("stdoutEvent", {"message": self._announcement, "color": "always"})
            self._announcement = None


@dataclass
class Operation:
    """What a preview or an up works from: the program's run, the deployed state, and the steps between."""

    cli: Cli
    stack: str
    events: EventLog
    interrupts: Interrupts
    run: engine.ProgramRun
    deployed: list[dict]
    steps: list[engine.Step]

    def stop_here(self, point: str) -> None:
        holds.stop_here(self.cli.backend.holds_dir(), self.stack, point)
        self.interrupts.announce()


def preview(cli: Cli, stack: str) -> int:
    return _operate(cli, stack, f"Previewing update ({stack}):", _preview, preview=True)


def up(cli: Cli, stack: str) -> int:
    backend = cli.backend
    try:
        lock = locks.take(backend, stack)
    except locks.Locked as error:
        raise Failure(str(error)) from None
    try:
        return _operate(cli, stack, f"Updating ({stack}):", _up, preview=False)
    finally:
        lock.unlink(missing_ok=True)


def _operate(cli: Cli, stack: str, title: str, body: Callable[[Operation], int], preview: bool) -> int:
    events = EventLog(cli.arguments.value("--event-log"))
    interrupts = Interrupts(events, preview).install()
    try:
        if not preview:
            holds.stop_here(cli.backend.holds_dir(), stack, "up:start")
            interrupts.announce()
        try:
            run = engine.run_program(cli.project_dir, stack, os.environ)
        except engine.ProgramError as error:
            _diagnose(events, engine.stack_urn(stack), str(error))
            return EXIT_FAILED
        deployed = cli.backend.resources(stack)
        events.emit("preludeEvent", {"config": run.config})
        print(title + "\n")
        return body(Operation(cli, stack, events, interrupts, run, deployed, engine.compute_steps(run, deployed)))
    finally:
        events.close()


def _canceled(operation: Operation, kind: str) -> int:
    """reportExecResult("canceled"): an error diagnostic without a resource, then a bail (exit 255)."""
    _diagnose(operation.events, "", f"{kind} canceled", shown_under=engine.stack_urn(operation.stack))
    return EXIT_FAILED


def _preview(operation: Operation) -> int:
    operation.stop_here("preview")
    if operation.interrupts.cancelled:
        _summary(operation.events, [], preview=True)
        return _canceled(operation, "preview")
    for step in operation.steps:
        operation.events.emit("resourcePreEvent", {"metadata": step.metadata(), "planning": True})
        operation.events.emit("resOutputsEvent", {"metadata": step.metadata(), "planning": True})
        _show(step)
    plan_file = operation.cli.arguments.value("--save-plan")
    if plan_file:
        plan = engine.make_plan(operation.run, operation.steps, operation.deployed, operation.cli.version)
        Path(plan_file).write_text(json.dumps(plan, indent=2), encoding="utf-8")
    _summary(operation.events, operation.steps, preview=True)
    return 0


def _up(operation: Operation) -> int:
    started = now_text()
    plan_file = operation.cli.arguments.value("--plan")
    if plan_file:
        plan = json.loads(Path(plan_file).read_text(encoding="utf-8"))
        violation = engine.plan_violation(plan, operation.run, operation.steps, operation.deployed)
        if violation:
            # Step generation fails before any step runs: nothing is applied.
            _diagnose(operation.events, engine.stack_urn(operation.stack), violation)
            _summary(operation.events, [], preview=False)
            _record(operation, started, "failed", {})
            return EXIT_FAILED
    done, failure = _apply(operation)
    _summary(operation.events, done, preview=False)
    ended = "failed" if failure or operation.interrupts.cancelled else "succeeded"
    # A cancelled update is a failed one in the history (diy backend.go, apply: FailedResult on any error).
    _record(operation, started, ended, engine.change_counts(done))
    if failure is None and operation.interrupts.cancelled:
        return _canceled(operation, "update")
    return EXIT_FAILED if failure else 0


def _apply(operation: Operation) -> tuple[list[engine.Step], Optional[engine.Step]]:
    """Runs the steps in order, saving the state around each; returns the steps done and the failed one."""
    backend, stack, events = operation.cli.backend, operation.stack, operation.events
    current = {record["urn"]: record for record in operation.deployed}
    faults = backend.faults()
    planted = faults.get(stack, {})
    done: list[engine.Step] = []
    for step in operation.steps:
        if operation.interrupts.cancelled:
            return done, None
        events.emit("resourcePreEvent", {"metadata": step.metadata()})
        pending = PENDING_TYPES.get(step.op)
        if pending:
            record = step.old if pending == "deleting" else step.new.record()
            backend.save_resources(stack, list(current.values()), [{"resource": record, "type": pending}])
        operation.stop_here(f"up:during:{step.type}")
        message = planted.get(step.type) if step.op in engine.CHANGE_OPS else None
        if message is not None:
            # AWS rejected the call: the fault is spent, the resource keeps its deployed state.
            del planted[step.type]
            backend.save_faults(faults)
            backend.save_resources(stack, list(current.values()))
            _diagnose(events, step.urn, provider_error(step, message))
            events.emit("resOpFailedEvent", {"metadata": step.metadata(), "status": 1, "steps": 1})
            return done, step
        if step.op == "delete":
            current.pop(step.urn, None)
        elif step.op != "delete-replaced" and step.type != engine.STACK_TYPE:
            # The stack's outputs are registered when the program ends: only a successful update changes them.
            current[step.urn] = step.new.record()
        backend.save_resources(stack, list(current.values()))
        events.emit("resOutputsEvent", {"metadata": step.metadata()})
        _show(step, applied=True)
        done.append(step)
        operation.stop_here(f"up:after:{step.type}")
    if not operation.interrupts.cancelled:
        # After a success the snapshot lists the resources in registration order, the stack with its new outputs.
        backend.save_resources(stack, [resource.record() for resource in operation.run.resources])
    return done, None


def provider_error(step: engine.Step, aws_error: str) -> str:
    """The provider's error for a rejected call, e.g. terraform-provider-aws internal/service/route53/record.go:
    "creating Route53 Record: %s", "updating Route53 Record (%s): %s", "deleting Route53 Record (%s): %s"."""
    verb = {"create": "creating", "create-replacement": "creating", "delete": "deleting"}.get(step.op, "updating")
    record = step.old or (step.new.record() if step.new else {})
    noun = PROVIDER_NOUNS.get(step.type, step.type.rsplit(":", 1)[1])
    return f"{verb} {noun}: {aws_error}" if verb == "creating" else f"{verb} {noun} ({record.get('id')}): {aws_error}"


def _diagnose(events: EventLog, urn: str, message: str, shown_under: Optional[str] = None) -> None:
    """An error diagnostic, streamed, and shown under the resource as the CLI's display does.

    The display shortens a type token `pkg:module/file:Type` to `pkg:module:Type` (as in the output quoted
    in pulumi/pulumi#19956: "aws:route53:Record (...):\n  error: creating Route53 Record: ...").
    A diagnostic without a resource shows under the stack's own row.
    """
    events.emit("diagnosticEvent", {"urn": urn, "message": message + "\n", "color": "never", "severity": "error"})
    shown = shown_under or urn
    package, module, kind = shown.split("::")[2].split("$")[-1].split(":")
    print(f"Diagnostics:\n  {package}:{module.split('/')[0]}:{kind} ({shown.rsplit('::', 1)[1]}):\n"
          f"    error: {message}\n")


def _show(step: engine.Step, applied: bool = False) -> None:
    if step.op in SYMBOLS:
        diff = f" [diff: {' '.join('~' + key for key in step.diffs)}]" if step.diffs else ""
        words = UP_WORDS if applied else PREVIEW_WORDS
        print(f" {SYMBOLS[step.op]:<2} {step.type} {step.name} {words[step.op].split()[-1]}{diff}")


def _summary(events: EventLog, steps: list[engine.Step], preview: bool) -> None:
    counts = engine.change_counts(steps)
    events.emit("summaryEvent", {"maybeCorrupt": False, "durationSeconds": 0, "resourceChanges": counts,
                                 "PolicyPacks": {}, "isPreview": preview})
    words = PREVIEW_WORDS if preview else UP_WORDS
    print("\nResources:")
    for op, word in words.items():
        if counts.get(op):
            print(f"    {SYMBOLS[op]} {counts[op]} {word}")
    print(f"    {counts.get('same', 0)} unchanged")


def _record(operation: Operation, started: str, result: str, changes: dict) -> None:
    """An entry of `pulumi stack history --json` (pkg/cmd/pulumi/stack/stack_history.go, updateInfoJSON).

    The message and environment are the CLI's update metadata (pkg/cmd/pulumi, getUpdateMetadata): the
    `--message` given, else the title of the commit at HEAD; `exec.kind`, which the Automation API sets with
    --exec-kind (addExecutionMetadataToEnvironment); and in a git work tree the HEAD commit's keys
    (addGitCommitMetadata). Not modelled: the remote's vcs.* keys, ci.* keys, pulumi.* keys.
    """
    git = _git_metadata(operation.cli.project_dir)
    title = git.pop("title", "")
    environment = {"exec.kind": operation.cli.arguments.value("--exec-kind") or "cli", **git}
    message = operation.cli.arguments.value("--message", "-m") or title
    operation.cli.backend.record_update(operation.stack, {
        "kind": "update", "startTime": started, "endTime": now_text(), "message": message,
        "environment": environment,
        "config": {key: {"secure": operation.run.secure[key], "secret": True} if key in operation.run.secure
                   else {"value": value, "secret": False} for key, value in operation.run.config.items()},
        "result": result, "resourceChanges": changes,
    })


def _git_metadata(project_dir: Path) -> dict:
    """The keys addGitCommitMetadata records (pkg/backend/updates.go names them), plus the commit's title."""
    def git(*arguments: str) -> Optional[str]:
        try:
            result = subprocess.run(["git", *arguments], cwd=project_dir, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return result.stdout.strip() if result.returncode == 0 else None

    # One call for every field of HEAD: %x1f separates them (git-log(1), PRETTY FORMATS).
    head = git("log", "-1", "--format=%H%x1f%an%x1f%ae%x1f%cn%x1f%ce%x1f%s")
    if not head:
        return {}  # not a work tree, or no commit yet: the real CLI records no git keys either
    sha, author, author_email, committer, committer_email, title = head.split("\x1f")
    metadata = {"git.head": sha, "git.author": author, "git.author.email": author_email,
                "git.committer": committer, "git.committer.email": committer_email,
                "git.dirty": "true" if git("status", "--porcelain", "-z") else "false", "title": title}
    branch = git("symbolic-ref", "-q", "HEAD")
    if branch:  # a detached HEAD has no name (addGitCommitMetadata leaves git.headName out)
        metadata["git.headName"] = branch
    return metadata
