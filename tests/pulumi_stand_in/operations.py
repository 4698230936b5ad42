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
from pathlib import Path
from typing import Optional

from . import engine
from .backend import now_text
from .cli import EXIT_FAILED, Cli
from .events import EventLog

SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}
PREVIEW_WORDS = {"create": "to create", "update": "to update", "replace": "to replace", "delete": "to delete"}
# How the provider names a resource type in its errors (terraform-provider-aws, each resource's errors).
PROVIDER_NOUNS = {"aws:route53/record:Record": "Route53 Record"}
UP_WORDS = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}


def preview(cli: Cli, stack: str) -> int:
    backend = cli.backend
    events = EventLog(cli.arguments.value("--event-log"))
    try:
        run = engine.run_program(cli.project_dir, stack)
    except engine.ProgramError as error:
        return _program_failed(events, stack, str(error))
    deployed = backend.resources(stack)
    steps = engine.compute_steps(run, deployed)
    events.emit("preludeEvent", {"config": run.config})
    print(f"Previewing update ({stack}):\n")
    for step in steps:
        events.emit("resourcePreEvent", {"metadata": step.metadata(), "planning": True})
        events.emit("resOutputsEvent", {"metadata": step.metadata(), "planning": True})
        _show(step)
    plan_file = cli.arguments.value("--save-plan")
    if plan_file:
        plan = engine.make_plan(run, steps, deployed, cli.version)
        Path(plan_file).write_text(json.dumps(plan, indent=2), encoding="utf-8")
    _summary(events, steps, preview=True)
    events.close()
    return 0


def up(cli: Cli, stack: str) -> int:
    backend = cli.backend
    events = EventLog(cli.arguments.value("--event-log"))
    started = now_text()
    try:
        run = engine.run_program(cli.project_dir, stack)
    except engine.ProgramError as error:
        return _program_failed(events, stack, str(error))
    deployed = backend.resources(stack)
    steps = engine.compute_steps(run, deployed)
    events.emit("preludeEvent", {"config": run.config})
    print(f"Updating ({stack}):\n")
    plan_file = cli.arguments.value("--plan")
    if plan_file:
        plan = json.loads(Path(plan_file).read_text(encoding="utf-8"))
        violation = engine.plan_violation(plan, run, steps, deployed)
        if violation:
            # Step generation fails before any step runs: nothing is applied.
            _diagnose(events, engine.stack_urn(stack), violation)
            _summary(events, [], preview=False)
            events.close()
            _record(backend, stack, run, started, "failed", {}, cli)
            return EXIT_FAILED
    failure = _apply(backend, stack, run, steps, deployed, events)
    done = steps if failure is None else steps[:steps.index(failure[0])]
    _summary(events, done, preview=False)
    events.close()
    _record(backend, stack, run, started, "failed" if failure else "succeeded", engine.change_counts(done), cli)
    if failure:
        return EXIT_FAILED
    return 0


def _apply(backend, stack: str, run: engine.ProgramRun, steps: list[engine.Step], deployed: list[dict],
           events: EventLog) -> Optional[tuple[engine.Step, str]]:
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
            text = provider_error(step, message)
            _diagnose(events, step.urn, text)
            events.emit("resOpFailedEvent", {"metadata": step.metadata(), "status": 1, "steps": 1})
            failure = (step, text)
            break
        if step.op == "delete":
            current.pop(step.urn, None)
        elif step.new is not None and step.op != "delete-replaced":
            current[step.urn] = step.new.record()
        events.emit("resOutputsEvent", {"metadata": step.metadata()})
        _show(step, applied=True)
    if failure is None:
        # The snapshot lists resources in registration order; the stack's outputs are the program's exports.
        backend.save_resources(stack, [resource.record() for resource in run.resources])
    else:
        root = engine.stack_urn(stack)
        if root in current and any(r["urn"] == root for r in deployed):
            current[root] = next(r for r in deployed if r["urn"] == root)
        backend.save_resources(stack, list(current.values()))
    return failure


def provider_error(step: engine.Step, aws_error: str) -> str:
    """The provider's error for a rejected call, e.g. terraform-provider-aws internal/service/route53/record.go:
    "creating Route53 Record: %s", "updating Route53 Record (%s): %s", "deleting Route53 Record (%s): %s"."""
    verb = {"create": "creating", "create-replacement": "creating", "delete": "deleting"}.get(step.op, "updating")
    record = step.old or (step.new.record() if step.new else {})
    noun = PROVIDER_NOUNS.get(step.type, step.type.rsplit(":", 1)[1])
    return f"{verb} {noun}: {aws_error}" if verb == "creating" else f"{verb} {noun} ({record.get('id')}): {aws_error}"


def _program_failed(events: EventLog, stack: str, message: str) -> int:
    _diagnose(events, engine.stack_urn(stack), message)
    events.close()
    return EXIT_FAILED


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


def _record(backend, stack: str, run: engine.ProgramRun, started: str, result: str, changes: dict, cli: Cli) -> None:
    """An entry of `pulumi stack history --json` (pkg/cmd/pulumi/stack/stack_history.go, updateInfoJSON)."""
    backend.record_update(stack, {
        "kind": "update", "startTime": started, "endTime": now_text(), "message": "",
        "environment": {"exec.kind": cli.arguments.value("--exec-kind") or "cli"},
        "config": {key: {"value": value, "secret": False} for key, value in run.config.items()},
        "result": result, "resourceChanges": changes,
    })

