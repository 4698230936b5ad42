"""The stand-in `pulumi` driven through the real Automation API, as the window commands drive it.

Each test deploys a test stack (domain api.theboss.io, a live target by name) through the stand-in,
then previews, applies or fails as Pulumi would, with every answer computed from the real program.
"""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from commands import stack_file
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
    assert result.summary.resource_changes == {"same": 12, "update": 1}
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


def test_config_set_keeps_the_stack_file_and_quotes_booleans(stand_in):
    path = stand_in.project_dir / f"Pulumi.{STACK}.yaml"
    path.write_text(path.read_text().replace("config:\n", "config:\n  # Kept by pulumi config set.\n")
                    + '  api-maintenance:message: "Down for an upgrade"\n')
    stack = select(stand_in)

    stack.set_config("api-maintenance:maintenance", auto.ConfigValue("true"))
    stack.set_config("message", auto.ConfigValue("Back at 06:00 UTC"))
    stack.set_config("protect", auto.ConfigValue("yes"))

    text = path.read_text()
    assert "  # Kept by pulumi config set.\n" in text
    assert '  api-maintenance:maintenance: "true"\n' in text
    assert "  api-maintenance:message: Back at 06:00 UTC\n" in text
    assert '  api-maintenance:protect: "yes"\n' in text
    assert "api-maintenance:zone: theboss.io" in text
    assert stack.get_config("maintenance").value == "true"
    stack.remove_config("message")
    assert "message" not in path.read_text()
    assert "api-maintenance:message" not in stack.get_all_config()


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
