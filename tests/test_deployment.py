"""Where the deployment is, from a stack's exported state; and how Pulumi's errors and locks are shown. No Pulumi runs.

The exported shape is DeploymentV3 (pulumi/pulumi sdk/go/common/apitype/core.go): `resources`, each with
urn, type, inputs and outputs, and `pending_operations`, each an OperationV2 with its `resource` and `type`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from maintenance.cli.change import locked_advice
from maintenance.cli.deployment import DeployedState, cut_off_problem, disagreement, not_deployed
from maintenance.cli.guard import RECORD
from maintenance.cli.pulumi_stack import StackLocked, pulumi_error

LIVE_TARGET = "elb-live-1234567890.us-east-1.elb.amazonaws.com"
DISTRIBUTION_DOMAIN = "d111111abcdef8.cloudfront.net"
STACK_URN = "urn:pulumi:window::api-maintenance::pulumi:pulumi:Stack::api-maintenance-window"
RECORD_URN = "urn:pulumi:window::api-maintenance::api-maintenance:index:DnsSwitch$aws:route53/record:Record::record"
PAGE_URN = "urn:pulumi:window::api-maintenance::aws:s3/bucketObjectv2:BucketObjectv2::page-index.html"


def exported(target: str, mode_output: str | None = "live", pending: tuple = ()) -> dict:
    record = {"urn": RECORD_URN, "type": RECORD, "inputs": {"records": [target], "ttl": 60},
              "outputs": {"records": [target], "ttl": 60}}
    stack_outputs = {"liveTarget": LIVE_TARGET, **({"mode": mode_output} if mode_output else {})}
    return {"manifest": {}, "resources": [
        {"urn": STACK_URN, "type": "pulumi:pulumi:Stack", "outputs": stack_outputs},
        {"urn": "urn:...::distribution", "type": "aws:cloudfront/distribution:Distribution",
         "inputs": {}, "outputs": {"domainName": DISTRIBUTION_DOMAIN}},
        {"urn": PAGE_URN, "type": "aws:s3/bucketObjectv2:BucketObjectv2", "inputs": {"content": "<p>new</p>"}},
        record,
    ], "pending_operations": [{"resource": record, "type": operation} for operation in pending]}


@pytest.mark.parametrize("target, mode", [
    (LIVE_TARGET, "live"), (DISTRIBUTION_DOMAIN, "maintenance"),
    # Compared as DNS names are: case and a final dot do not matter.
    (DISTRIBUTION_DOMAIN.upper() + ".", "maintenance"),
    ("somewhere-else.example.com", "unknown"),
])
def test_the_record_s_mode_is_where_its_saved_target_points(target, mode):
    state = DeployedState.from_export(exported(target))
    assert state.record_target == target and state.record_mode == mode


def test_the_record_s_mode_ignores_the_stale_mode_output():
    """An up stopped after the record moved leaves the outputs of the last successful one."""
    state = DeployedState.from_export(exported(DISTRIBUTION_DOMAIN, mode_output="live"))
    assert state.record_mode == "maintenance" and state.outputs["mode"] == "live"


def test_a_record_cut_off_mid_change_is_in_an_unknown_mode_and_refuses_a_switch():
    state = DeployedState.from_export(exported(LIVE_TARGET, pending=("updating",)))
    assert state.record_mode == "unknown"
    assert state.cut_off() == ["updating record"] and state.cut_off(RECORD) == ["updating record"]
    assert state.cut_off("aws:s3/bucketObjectv2:BucketObjectv2") == []
    assert cut_off_problem(state, "window") == (
        "the last update was cut off while updating record (a pending operation in the state): Pulumi does not know "
        "where it is until it reads it again; run pulumi refresh -s window (if it says the stack is locked by a "
        "process that has ended: pulumi cancel -s window first), then this command again")
    assert cut_off_problem(DeployedState.from_export(exported(LIVE_TARGET)), "window") is None


def test_a_stack_never_deployed_has_no_record():
    state = DeployedState.from_export(None)
    assert state.record_target is None and state.record_mode == "unknown" and state.outputs == {}
    assert disagreement("live", state, "window") is None


def test_has_compares_only_the_step_s_keys():
    state = DeployedState.from_export(exported(DISTRIBUTION_DOMAIN))
    assert state.has(RECORD_URN, {"records": [DISTRIBUTION_DOMAIN], "ttl": 300}, ("records",))
    assert not state.has(RECORD_URN, {"records": [LIVE_TARGET]}, ("records",))
    assert not state.has(RECORD_URN, {"records": [DISTRIBUTION_DOMAIN], "ttl": 300}, ("records", "ttl"))
    assert not state.has("urn:...::gone", {}, ())


def test_agreement_says_nothing():
    assert disagreement("live", DeployedState.from_export(exported(LIVE_TARGET, "live")), "window") is None


def test_a_stack_file_ahead_of_the_record_says_how_to_finish_or_undo():
    state = DeployedState.from_export(exported(LIVE_TARGET, "live"))
    assert disagreement("maintenance", state, "window") == (
        f"the stack file says maintenance but the deployed record points at live ({LIVE_TARGET}), the mode output "
        "says live: the last switch did not finish; python -m maintenance on window finishes it, "
        "python -m maintenance off window undoes it")
    assert not_deployed("live", "maintenance", "prod").endswith(
        "python -m maintenance off prod finishes it, python -m maintenance on prod undoes it")


def test_a_stale_mode_output_says_which_command_records_it():
    state = DeployedState.from_export(exported(DISTRIBUTION_DOMAIN, "live"))
    assert disagreement("maintenance", state, "window") == (
        "the mode output says live, while the stack file and the deployed record say maintenance: the last update "
        "did not finish; python -m maintenance on window records it")
    no_output = DeployedState.from_export(exported(LIVE_TARGET, None))
    assert disagreement("live", no_output, "window").startswith("there is no mode output, while")


# pkg/backend/diy/lock.go, checkForLock: the error, then one indented line a lock.
LOCK_ERROR = (
    "\n code: 255\n stdout: Updating (window):\n\n stderr: error: the stack is currently locked by 1 lock(s). "
    "Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n"
    "  file:///state/.pulumi/locks/api-maintenance/window/0a1b.json: created by ops@{host} (pid {pid}) at "
    "2026-12-04T05:30:00Z\n"
)


def test_pulumi_s_error_keeps_its_indented_lines_and_drops_the_progress():
    text = pulumi_error(Exception(LOCK_ERROR.format(host="bastion", pid=4242)))
    assert text.splitlines() == [
        "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete "
        "the lock file with `pulumi cancel`.",
        "  file:///state/.pulumi/locks/api-maintenance/window/0a1b.json: created by ops@bastion (pid 4242) at "
        "2026-12-04T05:30:00Z",
    ]
    # A line after the error that is not indented is progress output again, not part of it.
    assert pulumi_error(Exception(" stderr: error: boom\nUpdating\n  indented progress")) == "error: boom"
    assert pulumi_error(Exception("\n code: 255\n stdout: \n stderr: the last words")) == "the last words"


@pytest.mark.parametrize("code, said", [
    (-1, "the Pulumi CLI was ended by SIGHUP, without a message"),
    (-9, "the Pulumi CLI was ended by SIGKILL, without a message"),
    (255, "the Pulumi CLI exited with code 255, without a message"),
])
def test_a_cli_that_ended_without_a_word_is_named_by_its_exit_code(code, said):
    """The SDK's CommandResult text (pulumi/automation/_cmd.py): subprocess's returncode, negative for a signal."""
    assert pulumi_error(Exception(f"\n code: {code}\n stdout: \n stderr: ")) == said


def test_a_lock_whose_holder_has_ended_says_to_clear_it():
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    error = StackLocked(pulumi_error(Exception(LOCK_ERROR.format(host=socket.gethostname(), pid=ended.pid))))
    assert locked_advice(error, "window") == (
        f"the process holding the lock (pid {ended.pid} on this machine) has ended: clear the lock with "
        "pulumi cancel -s window, then run this command again")


@pytest.mark.parametrize("host, pid", [(socket.gethostname(), os.getpid()), ("another-machine", 1)])
def test_a_lock_whose_holder_may_still_run_says_to_wait(host, pid):
    error = StackLocked(pulumi_error(Exception(LOCK_ERROR.format(host=host, pid=pid))))
    assert locked_advice(error, "window") == (
        "another update is running: wait for it to end and run this command again; only once its process has ended "
        "(see the pid and host above), clear the lock with pulumi cancel -s window")
