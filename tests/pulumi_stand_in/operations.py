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
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from . import engine
from .backend import now_text
from .cli import EXIT_FAILED, Cli
from .events import EventLog

SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}
PREVIEW_WORDS = {"create": "to create", "update": "to update", "replace": "to replace", "delete": "to delete"}
# How the provider names a resource type in its errors (terraform-provider-aws, each resource's errors).
PROVIDER_NOUNS = {"aws:route53/record:Record": "Route53 Record"}
UP_WORDS = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}


@dataclass
class Operation:
    """What a preview or an up works from: the program's run, the deployed state, and the steps between."""

    cli: Cli
    stack: str
    events: EventLog
    run: engine.ProgramRun
    deployed: list[dict]
    steps: list[engine.Step]


def preview(cli: Cli, stack: str) -> int:
    return _operate(cli, stack, f"Previewing update ({stack}):", _preview)


def up(cli: Cli, stack: str) -> int:
    return _operate(cli, stack, f"Updating ({stack}):", _up)


def _operate(cli: Cli, stack: str, title: str, body: Callable[[Operation], int]) -> int:
    events = EventLog(cli.arguments.value("--event-log"))
    try:
        try:
            run = engine.run_program(cli.project_dir, stack)
        except engine.ProgramError as error:
            _diagnose(events, engine.stack_urn(stack), str(error))
            return EXIT_FAILED
        deployed = cli.backend.resources(stack)
        events.emit("preludeEvent", {"config": run.config})
        print(title + "\n")
        return body(Operation(cli, stack, events, run, deployed, engine.compute_steps(run, deployed)))
    finally:
        events.close()


def _preview(operation: Operation) -> int:
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
    failure = _apply(operation.cli.backend, operation.stack, operation.run, operation.steps, operation.deployed,
                     operation.events)
    done = operation.steps if failure is None else operation.steps[:operation.steps.index(failure)]
    _summary(operation.events, done, preview=False)
    _record(operation, started, "failed" if failure else "succeeded", engine.change_counts(done))
    return EXIT_FAILED if failure else 0


def _apply(backend, stack: str, run: engine.ProgramRun, steps: list[engine.Step], deployed: list[dict],
           events: EventLog) -> Optional[engine.Step]:
    current = {record["urn"]: record for record in deployed}
    faults = backend.faults()
    planted = faults.get(stack, {})
    failure = None
    for step in steps:
        events.emit("resourcePreEvent", {"metadata": step.metadata()})
        message = planted.get(step.type) if step.op in engine.CHANGE_OPS else None
        if message is not None:
            # AWS rejected the call: the fault is spent, the resource keeps its deployed state.
            del planted[step.type]
            backend.save_faults(faults)
            _diagnose(events, step.urn, provider_error(step, message))
            events.emit("resOpFailedEvent", {"metadata": step.metadata(), "status": 1, "steps": 1})
            failure = step
            break
        if step.op == "delete":
            current.pop(step.urn, None)
        elif step.op != "delete-replaced" and step.type != engine.STACK_TYPE:
            # The stack's outputs are registered when the program ends: only a successful update changes them.
            current[step.urn] = step.new.record()
        events.emit("resOutputsEvent", {"metadata": step.metadata()})
        _show(step, applied=True)
    # After a success the snapshot lists the resources in registration order, the stack with its new outputs.
    backend.save_resources(stack, [resource.record() for resource in run.resources] if failure is None
                           else list(current.values()))
    return failure


def provider_error(step: engine.Step, aws_error: str) -> str:
    """The provider's error for a rejected call, e.g. terraform-provider-aws internal/service/route53/record.go:
    "creating Route53 Record: %s", "updating Route53 Record (%s): %s", "deleting Route53 Record (%s): %s"."""
    verb = {"create": "creating", "create-replacement": "creating", "delete": "deleting"}.get(step.op, "updating")
    record = step.old or (step.new.record() if step.new else {})
    noun = PROVIDER_NOUNS.get(step.type, step.type.rsplit(":", 1)[1])
    return f"{verb} {noun}: {aws_error}" if verb == "creating" else f"{verb} {noun} ({record.get('id')}): {aws_error}"


def _diagnose(events: EventLog, urn: str, message: str) -> None:
    """An error diagnostic, streamed, and shown under the resource as the CLI's display does.

    The display shortens a type token `pkg:module/file:Type` to `pkg:module:Type` (as in the output quoted
    in pulumi/pulumi#19956: "aws:route53:Record (...):\n  error: creating Route53 Record: ...").
    """
    events.emit("diagnosticEvent", {"urn": urn, "message": message + "\n", "color": "never", "severity": "error"})
    package, module, kind = urn.split("::")[2].split("$")[-1].split(":")
    print(f"Diagnostics:\n  {package}:{module.split('/')[0]}:{kind} ({urn.rsplit('::', 1)[1]}):\n"
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
        "config": {key: {"value": value, "secret": False} for key, value in operation.run.config.items()},
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
