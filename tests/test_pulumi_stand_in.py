"""The stand-in `pulumi` driven through the real Automation API, as the window commands drive it.

Each test deploys a test stack (domain api.theboss.io, a live target by name) through the stand-in,
then previews, applies or fails as Pulumi would, with every answer computed from the real program.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
import yaml
from pulumi import automation as auto

from commands import DOMAIN, LIVE_TARGET, stack_file
from maintenance.settings import read_stack_config
from pulumi_stand_in import StandIn, project_copy

STACK = "window"
RECORD = "aws:route53/record:Record"
FUNCTION = "aws:cloudfront/function:Function"


@pytest.fixture
def stand_in(tmp_path) -> StandIn:
    project = project_copy(tmp_path)
    stack_file(project, maintenance=False)
    deployed = StandIn(project, tmp_path / "backend")
    deployed.deploy(STACK)
    return deployed


def select(stand_in: StandIn, name: str = STACK) -> auto.Stack:
    return auto.select_stack(name, work_dir=str(stand_in.project_dir), opts=stand_in.automation_options())


def preview_steps(stack: auto.Stack, plan=None) -> tuple[auto.PreviewResult, list]:
    events: list[auto.EngineEvent] = []
    result = stack.preview(plan=str(plan) if plan else None, on_event=events.append)
    return result, [event.resource_pre_event.metadata for event in events if event.resource_pre_event]


def changes(steps) -> list[tuple[str, str, list]]:
    return [(step.op.value, step.type, step.diffs) for step in steps if step.op != auto.OpType.SAME]


def test_flipping_maintenance_previews_exactly_one_update_of_the_record(stand_in):
    stack = select(stand_in)
    stack.set_config("api-maintenance:maintenance", auto.ConfigValue("true"))

    result, steps = preview_steps(stack)

    assert changes(steps) == [("update", RECORD, ["records"])]
    assert result.change_summary == {"same": len(steps) - 1, "update": 1}
    record = next(step for step in steps if step.type == RECORD)
    outputs = stand_in.outputs(STACK)
    assert record.old.inputs["records"] == [outputs["liveTarget"]]
    assert record.new.inputs["records"] == [outputs["distributionDomain"]]
    assert record.detailed_diff["records"].diff_kind == auto.DiffKind.UPDATE
    # A preview changes nothing deployed; the call went over the gRPC event stream of a CLI newer than 3.205.
    assert outputs["mode"] == "live"
    preview_call = stand_in.calls()[-1]
    assert preview_call[preview_call.index("--event-log") + 1].startswith("tcp://127.0.0.1:")


def test_a_console_edit_shows_as_an_update_of_that_resource(stand_in):
    stand_in.edit_deployed(STACK, FUNCTION, "maintenance-responses", "comment", "edited in the console")

    _, steps = preview_steps(select(stand_in))

    assert changes(steps) == [("update", FUNCTION, ["comment"])]


def test_a_changed_record_name_is_a_replacement(stand_in):
    # The provider's record name is ForceNew (terraform-provider-aws internal/service/route53/record.go).
    stand_in.edit_deployed(STACK, RECORD, "record", "name", "old-api.theboss.io")

    result, steps = preview_steps(select(stand_in))

    assert [(step.op.value, step.keys) for step in steps if step.op != auto.OpType.SAME] == [
        ("create-replacement", ["name"]), ("replace", ["name"]), ("delete-replaced", ["name"])]
    assert result.change_summary["replace"] == 1


def test_up_with_the_plan_applies_it_and_the_outputs_follow(stand_in, tmp_path):
    stack = select(stand_in)
    stack.set_config("api-maintenance:maintenance", auto.ConfigValue("true"))
    preview_steps(stack, tmp_path / "plan.json")

    result = stack.up(plan=str(tmp_path / "plan.json"))

    assert result.summary.result == "succeeded"
    assert result.summary.resource_changes == {"same": 15, "update": 1}
    assert result.outputs["mode"].value == "maintenance"
    assert result.outputs["target"].value == result.outputs["distributionDomain"].value
    assert stand_in.outputs(STACK)["mode"] == "maintenance"
    _, steps = preview_steps(stack)
    assert changes(steps) == []


@pytest.mark.parametrize("change_after_preview", ["stack file", "console"])
def test_up_refuses_a_step_the_plan_does_not_hold_and_applies_nothing(stand_in, tmp_path, change_after_preview):
    stack = select(stand_in)
    stack.set_config("api-maintenance:maintenance", auto.ConfigValue("true"))
    preview_steps(stack, tmp_path / "plan.json")
    if change_after_preview == "stack file":
        stack.set_config("api-maintenance:maintenance", auto.ConfigValue("false"))
    else:
        stand_in.edit_deployed(STACK, FUNCTION, "maintenance-responses", "comment", "edited in the console")
    deployed = stand_in.backend.resources(STACK)

    with pytest.raises(auto.errors.CommandError) as refused:
        stack.up(plan=str(tmp_path / "plan.json"))

    urn = f"{RECORD}::record" if change_after_preview == "stack file" else f"{FUNCTION}::maintenance-responses"
    expected = "~=records[" if change_after_preview == "stack file" else "=~comment["
    message = str(refused.value)
    assert f"{urn} violates plan: properties changed: {expected}" in message
    assert stand_in.backend.resources(STACK) == deployed
    assert stand_in.outputs(STACK)["mode"] == "live"
    assert stack.history()[0].result == "failed"


def test_an_aws_error_fails_the_up_and_leaves_the_record_as_it_was(stand_in, tmp_path):
    stand_in.fail_next_change(STACK, RECORD, "InvalidChangeBatch: [Tried to create resource record set but it already exists]")
    stack = select(stand_in)
    stack.set_config("api-maintenance:maintenance", auto.ConfigValue("true"))
    before = stand_in.deployed(STACK, RECORD)

    with pytest.raises(auto.errors.CommandError) as failed:
        stack.up()

    # The provider's text around AWS's (terraform-provider-aws internal/service/route53/record.go).
    assert (f"error: updating Route53 Record ({before['id']}): "
            "InvalidChangeBatch: [Tried to create resource record set but it already exists]") in str(failed.value)
    assert stand_in.deployed(STACK, RECORD) == before
    assert stand_in.outputs(STACK)["mode"] == "live"
    # AWS rejected one call only: the next up goes through.
    assert stack.up().outputs["mode"].value == "maintenance"


def workspace(stand_in: StandIn) -> auto.LocalWorkspace:
    options = stand_in.automation_options()
    return auto.LocalWorkspace(work_dir=str(stand_in.project_dir), pulumi_command=options.pulumi_command,
                               env_vars=options.env_vars)


def test_whoami_names_the_file_backend(stand_in):
    assert workspace(stand_in).who_am_i().url == f"file://{stand_in.backend.root}"


def test_not_logged_in_fails_as_the_cli_does(tmp_path):
    project = project_copy(tmp_path)
    stack_file(project, maintenance=False)
    stand_in = StandIn(project, tmp_path / "backend", logged_in=False)

    with pytest.raises(auto.errors.CommandError) as whoami:
        workspace(stand_in).who_am_i()
    with pytest.raises(auto.errors.CommandError) as selecting:
        select(stand_in)

    # pkg/backend/httpstate/login.go: no backend URL and no token, and no terminal to ask on.
    for failed in (whoami, selecting):
        assert "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions" in str(
            failed.value)
    assert stand_in.ran("whoami") and stand_in.ran("stack select") and not stand_in.ran("preview")


def test_an_unknown_stack_is_not_found(stand_in):
    with pytest.raises(auto.StackNotFoundError) as failed:
        select(stand_in, "nosuchstack")

    assert "no stack named 'nosuchstack' found" in str(failed.value)


def test_config_set_keeps_comments_and_quoting_and_re_encodes_the_rest_as_yamlutil_edit(stand_in):
    path = stand_in.project_dir / f"Pulumi.{STACK}.yaml"
    original = ("# The window test stack.\n"
                "\n"
                "config:\n"
                "  # Kept by pulumi config set.\n"
                "  aws:region: us-east-1\n"
                '  api-maintenance:maintenance: "false"    # flipped by the window commands\n'
                "\n"
                f"  api-maintenance:domain: {DOMAIN}\n"
                "  api-maintenance:zone: theboss.io\n"
                f"  api-maintenance:liveTarget: {LIVE_TARGET}\n"
                '  api-maintenance:message: "Down for an upgrade"\n'
                "  api-maintenance:protect: true\n"
                "unknown: dropped\n")
    path.write_text(original)
    stack = select(stand_in)

    stack.set_config("api-maintenance:maintenance", auto.ConfigValue("true"))
    stack.set_config("message", auto.ConfigValue("Back at 06:00 UTC"))
    stack.set_config("window", auto.ConfigValue("yes"))
    stack.set_config("contact", auto.ConfigValue("ops: see #maintenance"))

    assert path.read_text() == (
        "# The window test stack.\n"
        "\n"
        "config:\n"
        '  api-maintenance:contact: \'ops: see #maintenance\'\n'
        f"  api-maintenance:domain: {DOMAIN}\n"
        f"  api-maintenance:liveTarget: {LIVE_TARGET}\n"
        '  api-maintenance:maintenance: "true" # flipped by the window commands\n'
        '  api-maintenance:message: "Back at 06:00 UTC"\n'
        '  api-maintenance:protect: "true"\n'
        '  api-maintenance:window: "yes"\n'
        "  api-maintenance:zone: theboss.io\n"
        "  # Kept by pulumi config set.\n"
        "  aws:region: us-east-1\n")
    assert stack.get_config("maintenance").value == "true"
    stack.remove_config("window")
    stack.remove_config("contact")
    stack.set_config("api-maintenance:maintenance", auto.ConfigValue("false"))
    stack.set_config("message", auto.ConfigValue("Down for an upgrade"))
    # The old values put back: the same values, not the same bytes.
    assert path.read_text() == (
        "# The window test stack.\n"
        "\n"
        "config:\n"
        f"  api-maintenance:domain: {DOMAIN}\n"
        f"  api-maintenance:liveTarget: {LIVE_TARGET}\n"
        '  api-maintenance:maintenance: "false" # flipped by the window commands\n'
        '  api-maintenance:message: "Down for an upgrade"\n'
        '  api-maintenance:protect: "true"\n'
        "  api-maintenance:zone: theboss.io\n"
        "  # Kept by pulumi config set.\n"
        "  aws:region: us-east-1\n")
    first = stand_in.project_dir / "original.yaml"
    first.write_text(original)
    assert read_stack_config(path) == read_stack_config(first)
    assert "api-maintenance:window" not in stack.get_all_config()


def test_an_older_cli_writes_the_event_log_file(tmp_path):
    project = project_copy(tmp_path)
    stack_file(project, maintenance=True)
    stand_in = StandIn(project, tmp_path / "backend", version="3.200.0")
    stand_in.deploy(STACK)

    _, steps = preview_steps(select(stand_in))

    assert changes(steps) == [] and steps
    preview_call = stand_in.calls()[-1]
    assert not preview_call[preview_call.index("--event-log") + 1].startswith("tcp://")


def test_a_step_other_than_the_planned_one_is_refused_with_the_engine_text():
    from pulumi_stand_in import engine

    urn = f"urn:pulumi:{STACK}::api-maintenance::api-maintenance:index:DnsSwitch${RECORD}::record"
    old = {"urn": urn, "type": RECORD, "id": "Z_api", "custom": True, "parent": "", "inputs": {"records": ["a"]},
           "outputs": {}}
    new = engine.Resource(urn, RECORD, "record", True, "", "Z_api", {"records": ["b"]}, {})
    run = engine.ProgramRun({}, [new])
    steps = engine.compute_steps(run, [old])
    plan = {"resourcePlans": {urn: {"goal": {"type": RECORD, "name": "record", "custom": True,
                                             "inputDiff": {"updates": {"records": ["b"]}}},
                                    "steps": ["same"]}}}

    assert [step.op for step in steps] == ["update"]
    assert engine.plan_violation(plan, run, steps, [old]) == (
        "update is not allowed by the plan: this resource is constrained to same")
    plan["resourcePlans"][urn]["steps"] = ["update"]
    assert engine.plan_violation(plan, run, steps, [old]) is None


def test_the_preview_runs_the_project_directory_s_own_program(stand_in):
    page = stand_in.project_dir / "site" / "index.html"
    page.write_text(page.read_text().replace("</body>", "<p>Edited in the copy.</p></body>"))

    _, steps = preview_steps(select(stand_in))

    assert changes(steps) == [("update", "aws:s3/bucketObjectv2:BucketObjectv2", ["content"])]


# --- locks, holds, signals, per-step state (what an interrupted up leaves behind) ---

def start(call, *arguments, **keywords) -> Future:
    """Runs an Automation API call in the background, as a command that a test interrupts."""
    executor = ThreadPoolExecutor(max_workers=1)
    future = executor.submit(call, *arguments, **keywords)
    executor.shutdown(wait=False)
    return future


def popen(stand_in: StandIn, *arguments: str, stdout=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen([str(stand_in.executable), *arguments], cwd=stand_in.project_dir, env=stand_in.env,
                            stdout=stdout, stderr=subprocess.PIPE, text=True)


def to_the_second(go_time: str) -> datetime:
    """A Go time.Time in JSON (RFC 3339 with up to nine fraction digits), without the fraction."""
    head, _, fraction = go_time.partition(".")
    return datetime.fromisoformat(head[:19] + (fraction.lstrip("0123456789") if fraction else head[19:]))


def two_changes(stand_in: StandIn) -> auto.Stack:
    """A stack whose next up updates the function first, then the record."""
    stand_in.edit_deployed(STACK, FUNCTION, "maintenance-responses", "comment", "edited in the console")
    stack = select(stand_in)
    stack.set_config("api-maintenance:maintenance", auto.ConfigValue("true"))
    _, steps = preview_steps(stack)
    assert [step.type for step in steps if step.op != auto.OpType.SAME] == [FUNCTION, RECORD]
    return stack


def test_an_up_holds_the_lock_that_lock_go_writes_and_a_preview_takes_none(stand_in):
    stack = select(stand_in)
    stand_in.hold(STACK, "preview")
    previewing = start(preview_steps, stack)
    stand_in.wait_held("preview")
    assert stand_in.locks(STACK) == []
    stand_in.release("preview")
    previewing.result(timeout=60)

    stand_in.hold(STACK, "up:start")
    updating = start(stack.up)
    pid = stand_in.wait_held("up:start")

    [lock] = stand_in.locks(STACK)
    assert lock.parent == stand_in.backend.root / ".pulumi/locks/organization/api-maintenance" / STACK
    assert str(uuid.UUID(lock.stem)) == lock.stem
    content = json.loads(lock.read_text())
    assert list(content) == ["pid", "username", "hostname", "timestamp"]
    assert (content["pid"], content["username"], content["hostname"]) == (pid, getpass.getuser(), socket.gethostname())
    assert to_the_second(content["timestamp"]) <= datetime.now(timezone.utc)
    stand_in.release("up:start")
    assert updating.result(timeout=60).summary.result == "succeeded"
    assert stand_in.locks(STACK) == []


def test_an_up_on_a_locked_stack_fails_naming_each_lock_and_pulumi_cancel(stand_in):
    stand_in.hold(STACK, "up:start")
    first = popen(stand_in, "up", "--yes", "--skip-preview", "--stack", STACK)
    pid = stand_in.wait_held("up:start")
    [lock] = stand_in.locks(STACK)
    content = json.loads(lock.read_text())

    second = stand_in.run("up", "--yes", "--skip-preview", "--stack", STACK)

    assert second.returncode == 255 and second.stdout == ""
    # The timestamp to the second, as time.RFC3339 prints it: "Z" for a zero offset.
    stamp = to_the_second(content["timestamp"])
    assert second.stderr == (
        "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or "
        "delete the lock file with `pulumi cancel`.\n"
        f"  file://{lock.resolve()}?no_tmp_dir=true: created by {getpass.getuser()}@{socket.gethostname()} "
        f"(pid {pid}) at {stamp.isoformat(timespec='seconds').replace('+00:00', 'Z')}\n")
    # The failed up took no lock of its own, and the held one goes on.
    assert stand_in.locks(STACK) == [lock]
    stand_in.release("up:start")
    assert first.wait(timeout=60) == 0
    assert stand_in.locks(STACK) == []


def test_cancel_removes_a_lock_left_behind_and_refuses_two_stack_names(stand_in):
    stand_in.hold(STACK, "up:start")
    updating = popen(stand_in, "up", "--yes", "--skip-preview", "--stack", STACK)
    os.kill(stand_in.wait_held("up:start"), signal.SIGKILL)
    assert updating.wait(timeout=60) == -signal.SIGKILL
    assert stand_in.locks(STACK)

    both = stand_in.run("cancel", STACK, "--stack", STACK, "--yes")
    cancelled = stand_in.run("cancel", "--stack", STACK, "--yes")

    assert both.returncode == 255
    assert both.stderr == "error: only one of --stack or argument stack name may be specified, not both\n"
    assert cancelled.returncode == 0
    assert cancelled.stdout == f"The currently running update for '{STACK}' has been canceled!\n"
    assert stand_in.locks(STACK) == []
    stand_in.deploy(STACK)  # the next up goes through (deploy raises if it fails)


def test_a_held_step_has_begun_and_is_saved_as_pending_but_not_applied(stand_in):
    stack = select(stand_in)
    stack.set_config("api-maintenance:maintenance", auto.ConfigValue("true"))
    before = stand_in.deployed(STACK, RECORD)
    stand_in.hold(STACK, f"up:during:{RECORD}")
    events: list[auto.EngineEvent] = []
    updating = start(stack.up, on_event=events.append)

    stand_in.wait_held(f"up:during:{RECORD}")

    [pending] = stand_in.backend.pending_operations(STACK)
    assert pending["type"] == "updating" and pending["resource"]["urn"] == before["urn"]
    assert stand_in.deployed(STACK, RECORD) == before
    stand_in.release(f"up:during:{RECORD}")
    updating.result(timeout=60)
    assert stand_in.backend.pending_operations(STACK) == []
    assert stand_in.deployed(STACK, RECORD)["inputs"]["records"] == [stand_in.outputs(STACK)["distributionDomain"]]


def test_the_state_is_saved_after_each_step_and_the_outputs_only_at_the_end(stand_in):
    stack = two_changes(stand_in)
    stand_in.hold(STACK, f"up:after:{FUNCTION}")
    updating = start(stack.up)

    stand_in.wait_held(f"up:after:{FUNCTION}")

    assert stand_in.deployed(STACK, FUNCTION)["inputs"]["comment"] != "edited in the console"
    assert stand_in.deployed(STACK, RECORD)["inputs"]["records"] == [stand_in.outputs(STACK)["liveTarget"]]
    assert stand_in.backend.pending_operations(STACK) == []
    assert stand_in.outputs(STACK)["mode"] == "live"
    stand_in.release(f"up:after:{FUNCTION}")
    updating.result(timeout=60)
    assert stand_in.outputs(STACK)["mode"] == "maintenance"


FIRST_SIGNAL = {
    signal.SIGINT: "^C received; cancelling. If you would like to terminate immediately, press ^C again.\n",
    signal.SIGTERM: "SIGTERM received; cancelling. If you would like to terminate immediately, send SIGTERM again.\n",
}
NOTE = "Note that terminating immediately may lead to orphaned resources and other inconsistencies.\n"


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_a_first_signal_finishes_the_step_in_flight_and_starts_no_other(stand_in, number):
    stack = two_changes(stand_in)
    record_before = stand_in.deployed(STACK, RECORD)
    stand_in.hold(STACK, f"up:during:{FUNCTION}")
    events: list[auto.EngineEvent] = []
    updating = start(stack.up, on_event=events.append)
    os.kill(stand_in.wait_held(f"up:during:{FUNCTION}"), number)
    time.sleep(0.3)
    # The held step still waits for its release.
    assert stand_in.backend.pending_operations(STACK)
    stand_in.release(f"up:during:{FUNCTION}")

    with pytest.raises(auto.errors.CommandError) as cancelled:
        updating.result(timeout=60)

    message = str(cancelled.value)
    assert "code: 255" in message
    assert FIRST_SIGNAL[number] + NOTE in message
    assert "pulumi:pulumi:Stack (api-maintenance-window):\n    error: update canceled" in message
    assert stand_in.deployed(STACK, FUNCTION)["inputs"]["comment"] != "edited in the console"
    assert stand_in.deployed(STACK, RECORD) == record_before
    assert stand_in.outputs(STACK)["mode"] == "live"
    assert stand_in.backend.pending_operations(STACK) == [] and stand_in.locks(STACK) == []
    assert stack.history()[0].result == "failed"
    assert FIRST_SIGNAL[number] + NOTE in [event.stdout_event.message for event in events if event.stdout_event]
    assert [event.diagnostic_event.message for event in events if event.diagnostic_event] == ["update canceled\n"]


@pytest.mark.parametrize("number, shown", [(signal.SIGINT, "^C"), (signal.SIGTERM, "SIGTERM")])
def test_a_second_signal_exits_at_once_leaving_the_lock_and_the_pending_operation(stand_in, number, shown):
    stack = select(stand_in)
    stack.set_config("api-maintenance:maintenance", auto.ConfigValue("true"))
    stand_in.hold(STACK, f"up:during:{RECORD}")
    updating = popen(stand_in, "up", "--yes", "--skip-preview", "--stack", STACK)
    pid = stand_in.wait_held(f"up:during:{RECORD}")

    os.kill(pid, number)
    time.sleep(0.3)
    os.kill(pid, number)

    assert updating.wait(timeout=10) == 255
    assert updating.stdout.read().endswith(FIRST_SIGNAL[number] + NOTE + f"{shown} received; terminating")
    assert stand_in.locks(STACK)
    [pending] = stand_in.backend.pending_operations(STACK)
    assert pending["type"] == "updating"
    assert stand_in.outputs(STACK)["mode"] == "live"
    stand_in.release(f"up:during:{RECORD}")


def test_refresh_clears_the_pending_operation_a_killed_up_left_and_needs_the_lock(stand_in):
    """Pulumi docs, "Interrupted updates": `pulumi refresh` refreshes the state and clears pending operations."""
    stack = select(stand_in)
    stack.set_config("api-maintenance:maintenance", auto.ConfigValue("true"))
    stand_in.hold(STACK, f"up:during:{RECORD}")
    updating = popen(stand_in, "up", "--yes", "--skip-preview", "--stack", STACK)
    os.kill(stand_in.wait_held(f"up:during:{RECORD}"), signal.SIGKILL)
    updating.wait(timeout=10)
    stand_in.release(f"up:during:{RECORD}")
    assert stand_in.backend.pending_operations(STACK) and stand_in.locks(STACK)
    record = stand_in.deployed(STACK, RECORD)

    locked = stand_in.run("refresh", "--yes", "-s", STACK)
    assert locked.returncode == 255 and "the stack is currently locked by 1 lock(s)" in locked.stderr
    assert stand_in.backend.pending_operations(STACK)

    assert stand_in.run("cancel", "--yes", "-s", STACK).returncode == 0
    refreshed = stand_in.run("refresh", "--yes", "-s", STACK)
    assert refreshed.returncode == 0, refreshed.stderr
    assert stand_in.backend.pending_operations(STACK) == [] and stand_in.locks(STACK) == []
    assert stand_in.deployed(STACK, RECORD) == record
    assert stand_in.backend.history(STACK)[0]["kind"] == "refresh"


def test_a_signal_cancels_a_preview_without_the_note(stand_in):
    stand_in.hold(STACK, "preview")
    previewing = popen(stand_in, "preview", "--stack", STACK)
    os.kill(stand_in.wait_held("preview"), signal.SIGINT)
    time.sleep(0.3)
    stand_in.release("preview")

    assert previewing.wait(timeout=60) == 255
    output = previewing.stdout.read()
    assert FIRST_SIGNAL[signal.SIGINT] in output and NOTE not in output
    assert "error: preview canceled" in output
    assert " ~  " not in output  # no step reported


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGHUP])
def test_a_killed_or_hung_up_up_leaves_the_lock_and_the_pending_operation(stand_in, how):
    # The CLI does not Notify SIGHUP: Go's default ends the process, as SIGKILL does.
    stack = select(stand_in)
    stack.set_config("api-maintenance:maintenance", auto.ConfigValue("true"))
    stand_in.hold(STACK, f"up:during:{RECORD}")
    updating = popen(stand_in, "up", "--yes", "--skip-preview", "--stack", STACK)
    os.kill(stand_in.wait_held(f"up:during:{RECORD}"), how)

    assert updating.wait(timeout=10) == -how
    assert stand_in.locks(STACK)
    exported = stack.export_stack()
    assert exported.version == 3
    [pending] = exported.deployment["pending_operations"]
    assert pending["type"] == "updating" and pending["resource"]["type"] == RECORD
    stand_in.release(f"up:during:{RECORD}")


def test_a_closed_stdout_kills_the_up_by_sigpipe_leaving_the_lock(stand_in):
    stand_in.hold(STACK, "up:start")
    reader, writer = os.pipe()
    updating = popen(stand_in, "up", "--yes", "--skip-preview", "--stack", STACK, stdout=writer)
    os.close(writer)
    stand_in.wait_held("up:start")
    os.close(reader)
    stand_in.release("up:start")

    assert updating.wait(timeout=60) == -signal.SIGPIPE
    assert stand_in.locks(STACK)


def test_stack_export_prints_the_saved_deployment(stand_in):
    exported = stand_in.run("stack", "export", "--stack", STACK)
    deployment = select(stand_in).export_stack()

    assert exported.stdout.startswith('{\n    "version": 3,\n    "deployment": {\n        "manifest": {')
    assert deployment.version == 3
    assert "pending_operations" not in deployment.deployment
    resources = deployment.deployment["resources"]
    assert [r["urn"] for r in resources] == [r["urn"] for r in stand_in.backend.resources(STACK)]
    record = next(r for r in resources if r["type"] == RECORD)
    assert list(record) == ["urn", "custom", "id", "type", "inputs", "outputs", "parent"]
    assert list(resources[0]) == ["urn", "custom", "type", "outputs"]


# --- secrets: the passphrase provider ---

def open_secret(passphrase: str, salt_state: str, value: str) -> str:
    """Decrypts as pkg/secrets/passphrase and config/crypt.go specify, independently of the stand-in."""
    import base64
    import hashlib

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    _, salt, check = salt_state.split(":", 2)
    key = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), base64.b64decode(salt), 1_000_000, 32)

    def decrypt(text: str) -> str:
        version, nonce, sealed = text.split(":")
        assert version == "v1" and len(base64.b64decode(nonce)) == 12
        return AESGCM(key).decrypt(base64.b64decode(nonce), base64.b64decode(sealed), None).decode()

    assert decrypt(check) == "pulumi"
    return decrypt(value)


def test_a_secret_round_trips_with_a_fresh_nonce_and_reaches_the_program(stand_in):
    stand_in.init_secrets(STACK, "correct horse")
    path = stand_in.project_dir / f"Pulumi.{STACK}.yaml"
    stack = select(stand_in)

    stack.set_config("message", auto.ConfigValue("Back at 06:00 UTC", secret=True))
    first = yaml.safe_load(path.read_text())
    stack.set_config("message", auto.ConfigValue("Back at 06:00 UTC", secret=True))
    second = yaml.safe_load(path.read_text())

    salt = second["encryptionsalt"]
    assert re.fullmatch(r"v1:[A-Za-z0-9+/]{11}=:v1:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/=]+", salt)
    assert salt == first["encryptionsalt"]
    texts = [document["config"]["api-maintenance:message"]["secure"] for document in (first, second)]
    assert texts[0] != texts[1]
    assert [open_secret("correct horse", salt, text) for text in texts] == ["Back at 06:00 UTC"] * 2
    listed, got = stack.get_all_config()["api-maintenance:message"], stack.get_config("message")
    assert (listed.value, listed.secret) == (got.value, got.secret) == ("Back at 06:00 UTC", True)
    _, secret_steps = preview_steps(stack)
    stack.set_config("message", auto.ConfigValue("Back at 06:00 UTC"))
    _, clear_steps = preview_steps(stack)
    assert sorted(changes(secret_steps)) == sorted(changes(clear_steps)) != []
    assert {step.urn: step.new.inputs for step in secret_steps} == {step.urn: step.new.inputs for step in clear_steps}
    stack.set_config("message", auto.ConfigValue("Back at 06:00 UTC", secret=True))
    stack.up()
    # The history keeps the ciphertext: its value shows with --show-secrets only (stack_history.go).
    shown, hidden = stack.history(show_secrets=True)[0].config, stack.history(show_secrets=False)[0].config
    assert (shown["api-maintenance:message"].value, shown["api-maintenance:message"].secret) == (
        "Back at 06:00 UTC", True)
    # Without a value the Automation API shows "[secret]" (automation/_stack.py, UpdateSummary).
    assert (hidden["api-maintenance:message"].value, hidden["api-maintenance:message"].secret) == ("[secret]", True)
    assert "Back at" not in (stand_in.backend.root / ".pulumi/history/api-maintenance/window.json").read_text()


def test_secrets_need_the_passphrase_as_the_cli_says(stand_in, tmp_path):
    stand_in.init_secrets(STACK, "correct horse")
    select(stand_in).set_config("message", auto.ConfigValue("Back at 06:00 UTC", secret=True))
    env = {key: value for key, value in stand_in.env.items() if key != "PULUMI_CONFIG_PASSPHRASE"}

    def with_env(extra: dict) -> auto.Stack:
        return auto.select_stack(STACK, work_dir=str(stand_in.project_dir), opts=auto.LocalWorkspaceOptions(
            pulumi_command=auto.PulumiCommand(root=str(stand_in.backend.root)), env_vars={**env, **extra}))

    missing = with_env({})
    for call in (missing.get_all_config, missing.preview, missing.up,
                 lambda: missing.set_config("contact", auto.ConfigValue("ops", secret=True))):
        with pytest.raises(auto.errors.CommandError) as failed:
            call()
        assert ("error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE "
                "environment variables") in str(failed.value)
    assert stand_in.locks(STACK) == [] and not stand_in.backend.pending_operations(STACK)
    # Listing without --show-secrets needs no passphrase: the secret is listed without its value.
    listed = stand_in.run("config", "--json", "--stack", STACK)
    assert listed.returncode == 0
    assert json.loads(listed.stdout)["api-maintenance:message"] == {"secret": True}

    with pytest.raises(auto.errors.CommandError) as wrong:
        with_env({"PULUMI_CONFIG_PASSPHRASE": "wrong horse"}).get_all_config()
    assert "error: incorrect passphrase" in str(wrong.value)
    phrase_file = tmp_path / "passphrase"
    phrase_file.write_text("correct horse\n")
    from_file = with_env({"PULUMI_CONFIG_PASSPHRASE_FILE": str(phrase_file)})
    assert from_file.get_all_config()["api-maintenance:message"].value == "Back at 06:00 UTC"
