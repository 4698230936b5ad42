"""`python -m maintenance message` run as an operator would, against the stand-in `pulumi` on PATH."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from html import escape

import pytest

from commands import LIVE_TARGET, stack_file
from maintenance.cli.message import PAGE_BOUND_SECONDS
from maintenance.settings import read_stack_config
from maintenance.site import CACHING_OPTIMIZED_POLICY_ID, OBJECT_CACHE_CONTROL
from pulumi_stand_in import StandIn, project_copy
from test_cache import CACHE_LAYERS, MANAGED_CACHE_POLICIES, edge_ttl
from test_window import DISTRIBUTION, RECORD, STACK, deployed, ran, record_target, switch, verbs

PAGE_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
FUNCTION = "aws:cloudfront/function:Function"
TEXT = "Database upgrade. Back by 06:00 UTC."
# A time ahead, as message requires (options.until_ahead), whenever the tests run.
UNTIL = (datetime.now(timezone.utc) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:00Z")


def stack_file_values(stand_in: StandIn) -> dict:
    config = read_stack_config(stand_in.project_dir / f"Pulumi.{STACK}.yaml")
    return {key: config.get(f"api-maintenance:{key}") for key in ("message", "until", "maintenance")}


def page(stand_in: StandIn) -> str:
    return stand_in.deployed(STACK, PAGE_OBJECT)["inputs"]["content"]


def function_code(stand_in: StandIn) -> str:
    return stand_in.deployed(STACK, FUNCTION)["inputs"]["code"]


# The SDK streams a newer CLI's events over gRPC and reads an older one's from a file (_stack.py, _setup_event_log).
@pytest.mark.parametrize("version", ["3.210.0", "3.200.0"])
def test_message_updates_the_page_and_the_function_only(tmp_path, version):
    stand_in = deployed(tmp_path, maintenance=False, version=version)
    result = switch(stand_in, "message", TEXT, "--until", UNTIL, "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "  the page object page-index.html: content" in lines
    assert "  the edge function maintenance-responses: code" in lines
    assert lines[-1].startswith("published (preview ")
    assert (f"the page reaches readers within {PAGE_BOUND_SECONDS} s; the API's JSON answer once CloudFront has "
            "deployed the published function") in lines[-1]
    assert lines[-1].endswith(f"next: python -m maintenance on {STACK} --cwd {stand_in.project_dir}")
    assert stack_file_values(stand_in) == {"message": TEXT, "until": UNTIL, "maintenance": "false"}
    assert escape(TEXT) in page(stand_in) and f'datetime="{UNTIL}"' in page(stand_in)
    assert TEXT in function_code(stand_in)
    assert record_target(stand_in) == LIVE_TARGET


def test_no_until_removes_it_and_the_same_text_again_has_nothing_to_do(tmp_path):
    project = stack_file(project_copy(tmp_path), maintenance=True,
                         extra=f"  api-maintenance:message: {TEXT}\n  api-maintenance:until: {UNTIL}\n")
    stand_in = StandIn(project, tmp_path / "backend")
    stand_in.deploy(STACK)
    result = switch(stand_in, "message", TEXT, "--no-until", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"set until removed in Pulumi.{STACK}.yaml" in result.stdout
    assert result.stdout.splitlines()[-1].endswith(f"next: python -m maintenance off {STACK} --cwd {stand_in.project_dir}")
    assert stack_file_values(stand_in) == {"message": TEXT, "until": None, "maintenance": "true"}
    assert "<time data-until" not in page(stand_in)

    calls_before = len(verbs(stand_in))
    again = switch(stand_in, "message", TEXT, "--no-until", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines()[-1].startswith("nothing to do: the page and the function already say this")
    assert not [call for call in verbs(stand_in)[calls_before:] if call.startswith(("config set", "config rm", "up"))]


def test_a_change_outside_the_page_and_function_is_refused_and_put_back(tmp_path):
    stand_in = deployed(tmp_path, maintenance=False)
    stand_in.edit_deployed(STACK, DISTRIBUTION, "distribution", "comment", "edited in the console")
    result = switch(stand_in, "message", TEXT, "--until", UNTIL, "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"  {DISTRIBUTION} distribution: update of comment" in result.stdout.splitlines()
    assert f"Pulumi.{STACK}.yaml put back: message removed, until removed" in result.stdout
    assert stack_file_values(stand_in) == {"message": None, "until": None, "maintenance": "false"}
    assert not ran(stand_in, "up")


def test_a_message_never_moves_the_record(tmp_path):
    stand_in = deployed(tmp_path, maintenance=False)
    stack_file(stand_in.project_dir, maintenance=True)  # a switch typed by hand, not deployed
    result = switch(stand_in, "message", TEXT, "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"  {RECORD} record: update of records" in result.stdout.splitlines()
    assert stack_file_values(stand_in)["message"] is None and not ran(stand_in, "up")


def test_a_failed_up_puts_the_stack_file_back_when_nothing_was_applied(tmp_path):
    stand_in = deployed(tmp_path, maintenance=False)
    before = function_code(stand_in), page(stand_in)
    # Both changes are refused, so the first, whichever the engine runs, fails before anything is applied.
    refusals = {FUNCTION: "AccessDenied: cloudfront:UpdateFunction", PAGE_OBJECT: "AccessDenied: s3:PutObject"}
    for resource_type, message in refusals.items():
        stand_in.fail_next_change(STACK, resource_type, message)
    result = switch(stand_in, "message", TEXT, "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    failed = [resource_type for resource_type in refusals if resource_type not in stand_in.backend.faults()[STACK]]
    assert len(failed) == 1 and refusals[failed[0]] in result.stderr
    assert f"Pulumi.{STACK}.yaml put back: message removed" in result.stdout
    assert stack_file_values(stand_in)["message"] is None and (function_code(stand_in), page(stand_in)) == before


def test_a_failed_up_keeps_the_new_values_when_a_change_was_applied(tmp_path):
    stand_in = deployed(tmp_path, maintenance=False)
    stand_in.fail_next_change(STACK, FUNCTION, "AccessDenied: cloudfront:UpdateFunction")
    result = switch(stand_in, "message", TEXT, "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "AccessDenied: cloudfront:UpdateFunction" in result.stderr
    # The stand-in applies the page object first, as the program declares it (the real engine may run the two
    # in either order: tests/pulumi_stand_in/engine.py).
    assert (f"applied before the update stopped: the page object page-index.html; Pulumi.{STACK}.yaml keeps the "
            "new values: run this command again to finish") in result.stdout
    assert stack_file_values(stand_in)["message"] == TEXT and escape(TEXT) in page(stand_in)
    assert TEXT not in function_code(stand_in)


def test_a_dry_run_previews_and_puts_the_stack_file_back(tmp_path):
    stand_in = deployed(tmp_path, maintenance=False)
    result = switch(stand_in, "message", TEXT, "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "  the page object page-index.html: content" in result.stdout.splitlines()
    assert stack_file_values(stand_in)["message"] is None
    assert ran(stand_in, "preview") and not ran(stand_in, "up")


@pytest.mark.parametrize("arguments, problem", [
    (["", "--yes"], "'': message must not be empty"),
    (["x" * 501, "--yes"], "message must be at most 500 characters, not 501"),
    ([TEXT, "--until", "2026-12-01T06:00:00", "--yes"], "until must say its time zone"),
    ([TEXT, "--until", UNTIL, "--no-until", "--yes"], "not allowed with argument --until"),
    ([TEXT, "--until", "2020-01-01T00:00:00Z", "--yes"], "--until '2020-01-01T00:00:00Z' has passed"),
    (["x" * 2000, "--yes"], "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (2000 characters): message must be"),
])
def test_bad_text_or_until_exits_2_before_pulumi_runs(tmp_path, arguments, problem):
    stand_in = deployed(tmp_path, maintenance=False)
    result = switch(stand_in, "message", *arguments)
    assert result.returncode == 2
    assert problem in result.stderr
    assert verbs(stand_in) == []


def test_the_bound_said_is_the_cache_models():
    """tests/test_cache.py models the bound from the declared caching; message says the same number."""
    policy = MANAGED_CACHE_POLICIES[CACHING_OPTIMIZED_POLICY_ID]
    assert PAGE_BOUND_SECONDS == CACHE_LAYERS * edge_ttl(OBJECT_CACHE_CONTROL, policy)


def test_ctrl_c_during_an_up_that_finishes_publishes_and_exits_130(tmp_path):
    """Only the command gets the Ctrl-C (`kill -INT`): Pulumi finishes, and the exit still says it was interrupted."""
    stand_in = deployed(tmp_path, maintenance=False)
    point = f"up:during:{FUNCTION}"
    stand_in.hold(STACK, point)
    command = subprocess.Popen(
        [sys.executable, "-m", "maintenance", "message", STACK, TEXT, "--yes", "--cwd", str(stand_in.project_dir)],
        env=stand_in.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    stand_in.wait_held(point)
    command.send_signal(signal.SIGINT)
    lines = []
    for line in command.stdout:
        lines.append(line)
        if "waiting for it to end" in line:
            stand_in.release(point)
    output = "".join(lines)
    assert command.wait(timeout=120) == 130, output
    assert "Traceback" not in output
    assert lines[-1].startswith("interrupted (Ctrl-C), the update finished: published (preview "), output
    assert stack_file_values(stand_in)["message"] == TEXT and TEXT in function_code(stand_in)


def test_a_secret_message_stays_a_secret_when_set_and_when_put_back(tmp_path):
    """A held-out mutant wrote a secret key back as plain text: set keeps it `secure:`, and so does a put-back."""
    project = stack_file(project_copy(tmp_path), maintenance=False)
    stand_in = StandIn(project, tmp_path / "backend")
    stand_in.init_secrets(STACK, "correct horse battery staple")
    assert stand_in.run("stack", "init", STACK).returncode == 0
    assert stand_in.run("config", "set", "--secret", "message", "Old words.", "-s", STACK).returncode == 0
    stand_in.deploy(STACK)
    path = project / f"Pulumi.{STACK}.yaml"

    published = switch(stand_in, "message", TEXT, "--yes")
    assert published.returncode == 0, published.stdout + published.stderr
    assert "set message [secret] in" in published.stdout
    assert TEXT not in path.read_text() and "secure: v1:" in path.read_text()
    assert escape(TEXT) in page(stand_in)

    dry = switch(stand_in, "message", "Other words.", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"Pulumi.{STACK}.yaml put back: message [secret]" in dry.stdout
    text = path.read_text()
    assert "Other words." not in text and TEXT not in text and "secure: v1:" in text
    shown = stand_in.run("config", "get", "message", "-s", STACK)
    assert shown.stdout.strip() == TEXT
