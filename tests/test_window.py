"""`python -m maintenance on|off` run as an operator would, against the stand-in `pulumi` on PATH.

The stand-in computes previews from the real program on the mock runtime against its deployed state
and refuses an up the plan does not hold (tests/pulumi_stand_in); preflight checks a loopback
distribution serving the real function and page, status asks dnsmasq on loopback.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from commands import DOMAIN, LIVE_TARGET, ROOT, fake_pulumi, leave_output, stack_file
from loopback_servers import closed_port
from maintenance.settings import read_stack_config
from pulumi_stand_in import StandIn, project_copy
# Fixtures: the test CA, the HTTPS servers on loopback, the real edge behind them, dnsmasq.
from test_preflight import ca, cacert, edge, live_api, serve  # noqa: F401
from test_status import dnsmasq  # noqa: F401

STACK = "window"
RECORD = "aws:route53/record:Record"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
MODE_KEY = "api-maintenance:maintenance"


def deployed(tmp_path: Path, maintenance: bool, **options) -> StandIn:
    """A project whose stack is deployed in that mode, with the stand-in on PATH."""
    project = stack_file(project_copy(tmp_path), maintenance=maintenance)
    stand_in = StandIn(project, tmp_path / "backend", **options)
    stand_in.deploy(STACK)
    return stand_in


def switch(stand_in: StandIn, command: str, *arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "maintenance", command, STACK, "--cwd", str(stand_in.project_dir), *arguments],
        env=env or stand_in.env, capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result


def stack_file_mode(stand_in: StandIn) -> str:
    return read_stack_config(stand_in.project_dir / f"Pulumi.{STACK}.yaml")[MODE_KEY]


def record_target(stand_in: StandIn) -> str:
    [target] = stand_in.deployed(STACK, RECORD)["inputs"]["records"]
    return target


def verbs(stand_in: StandIn) -> list[str]:
    """The stand-in's calls after the deploy (if any), without the SDK's --non-interactive."""
    calls = [[word for word in call if word != "--non-interactive"] for call in stand_in.calls()]
    deploy = next((n for n, call in enumerate(calls) if call[0] == "up"), -1)
    return [" ".join(call) for call in calls[deploy + 1:]]


def ran(stand_in: StandIn, verb: str) -> bool:
    """Whether a call after the deploy ran that verb ("up", "preview", "config set", ...)."""
    return any(call.split(" --")[0].startswith(verb) for call in verbs(stand_in))


@pytest.fixture
def on(serve, cacert):
    """Runs `on` with its preflight against the real edge on loopback, for the stack file as it is."""

    def run(stand_in: StandIn, *arguments: str) -> subprocess.CompletedProcess:
        distribution = serve(edge(stand_in.project_dir))
        return switch(stand_in, "on", "--connect", distribution.endpoint, "--cacert", cacert, *arguments)

    return run


def test_on_checks_switches_with_the_plan_and_waits_for_dns(tmp_path, serve, cacert, dnsmasq):
    stand_in = deployed(tmp_path, maintenance=False)
    maintenance_target = stand_in.outputs(STACK)["distributionDomain"]
    distribution = serve(edge(stand_in.project_dir))
    dns = dnsmasq({DOMAIN: maintenance_target})
    result = switch(stand_in, "on", "--yes", "--connect", distribution.endpoint, "--cacert", cacert,
                    "--nameserver", dns.endpoint, "--resolver", dns.endpoint)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"on {STACK}: {DOMAIN} to maintenance; Pulumi.{STACK}.yaml says live, the deployed record points at live"
    assert "4/4 checks passed: ready to switch to maintenance (exit 0)" in lines
    assert f"  the record {DOMAIN}: {LIVE_TARGET} -> {maintenance_target}" in lines
    assert "2/2 agree with maintenance (exit 0)" in lines
    assert lines[-1].startswith(f"done: {STACK} is in maintenance (preflight ")
    # The hint carries the options the next command needs, as given to this one.
    assert lines[-1].endswith(f"s); next: python -m maintenance off {STACK} --nameserver {dns.endpoint} "
                              f"--resolver {dns.endpoint} --cwd {stand_in.project_dir}")
    assert stack_file_mode(stand_in) == "true"
    assert record_target(stand_in) == maintenance_target and stand_in.outputs(STACK)["mode"] == "maintenance"
    # The up applied the plan the guarded preview saved.
    [preview] = [call for call in verbs(stand_in) if call.startswith("preview")]
    [up] = [call for call in verbs(stand_in) if call.startswith("up")]
    assert "--save-plan" in preview and "--plan" in up
    assert up.split("--plan ")[1].split()[0] == preview.split("--save-plan ")[1].split()[0]


def test_off_checks_the_live_api_and_switches_back(tmp_path, serve, cacert, dnsmasq):
    stand_in = deployed(tmp_path, maintenance=True)
    api = serve(live_api())
    dns = dnsmasq({DOMAIN: LIVE_TARGET})
    result = switch(stand_in, "off", "--yes", "--connect", api.endpoint, "--cacert", cacert, "--path", "/health",
                    "--nameserver", dns.endpoint, "--resolver", dns.endpoint)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2/2 checks passed: ready to switch to live (exit 0)" in result.stdout
    assert api.requests[0]["path"] == "/health"
    assert (f"note: message and until stay in Pulumi.{STACK}.yaml for the next window: change them with "
            f"python -m maintenance message {STACK} TEXT --until WHEN (or --no-until)") in result.stdout
    assert result.stdout.splitlines()[-1].startswith(f"done: {STACK} is in live (preflight ")
    assert stack_file_mode(stand_in) == "false"
    assert record_target(stand_in) == LIVE_TARGET and stand_in.outputs(STACK)["mode"] == "live"


def test_on_again_has_nothing_to_do(tmp_path):
    stand_in = deployed(tmp_path, maintenance=True)
    result = switch(stand_in, "on", "--yes", "--connect", closed_port())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == (
        f"already there, nothing to do: {STACK} is in maintenance (no step ran); next: python -m maintenance off {STACK} "
        f"--cwd {stand_in.project_dir}")
    assert not ran(stand_in, "preview") and not ran(stand_in, "config set")
    assert stack_file_mode(stand_in) == "true"


def test_a_console_edit_elsewhere_is_refused_and_the_stack_file_put_back(tmp_path, on):
    stand_in = deployed(tmp_path, maintenance=False)
    stand_in.edit_deployed(STACK, DISTRIBUTION, "distribution", "comment", "edited in the console")
    result = on(stand_in, "--yes", "--no-wait")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "refused: the preview holds 1 change(s) this command does not make:" in result.stdout
    assert f"  {DISTRIBUTION} distribution: update of comment" in result.stdout.splitlines()
    assert f"Pulumi.{STACK}.yaml put back: maintenance 'false'" in result.stdout
    # The way out, while the API stays as it is (docs/commands.md, "When on or off refuses").
    assert "nothing was applied: the API stays as it is. The way out:" in result.stdout
    assert (f"  a console edit (drift): see it with pulumi refresh --preview-only -s {STACK}; undo it in the console, or "
            f"accept it with pulumi refresh -s {STACK}; then run this command again") in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1].startswith(f"refused: {STACK} is in live (preflight ")
    assert result.stdout.splitlines()[-1].endswith(f"s); next: pulumi preview --diff -s {STACK}")
    assert stack_file_mode(stand_in) == "false"
    assert not ran(stand_in, "up") and record_target(stand_in) == LIVE_TARGET


def test_a_replacement_of_the_record_is_refused(tmp_path, on):
    stand_in = deployed(tmp_path, maintenance=False)
    # The record was recreated under another name in the console: the program's name forces a replace.
    stand_in.edit_deployed(STACK, RECORD, "record", "name", "old-api.theboss.io")
    result = on(stand_in, "--yes", "--no-wait")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"  {RECORD} record: replace of name, records" in result.stdout.splitlines()
    assert stack_file_mode(stand_in) == "false" and not ran(stand_in, "up")


def test_a_failed_up_prints_pulumis_error_and_puts_the_stack_file_back(tmp_path, on):
    stand_in = deployed(tmp_path, maintenance=False)
    stand_in.fail_next_change(STACK, RECORD, "AccessDenied: not authorized to perform route53:ChangeResourceRecordSets")
    result = on(stand_in, "--yes", "--no-wait")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "error: the update did not finish:" in result.stderr
    assert "AccessDenied: not authorized to perform route53:ChangeResourceRecordSets" in result.stderr
    assert f"Pulumi.{STACK}.yaml put back: maintenance 'false'" in result.stdout
    assert result.stdout.splitlines()[-1].startswith(
        f"failed before the record moved, Pulumi.{STACK}.yaml put back: {STACK} is in live (preflight ")
    assert f"s); next: fix the error above, then python -m maintenance on {STACK} --connect " in result.stdout
    assert stack_file_mode(stand_in) == "false"
    assert ran(stand_in, "up") and record_target(stand_in) == LIVE_TARGET


@pytest.mark.parametrize("problem, code", [("closed port", 3), ("wrong page status", 1)])
def test_a_failed_preflight_stops_with_its_exit_code_before_anything_changes(tmp_path, serve, cacert, problem, code):
    stand_in = deployed(tmp_path, maintenance=False)
    target = closed_port() if problem == "closed port" else serve(edge(stand_in.project_dir, response_code=200)).endpoint
    result = switch(stand_in, "on", "--yes", "--connect", target, "--cacert", cacert)
    assert result.returncode == code, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith(f"stopped: preflight exit {code}, nothing changed: {STACK} is in live")
    assert stack_file_mode(stand_in) == "false"
    assert not ran(stand_in, "config set") and not ran(stand_in, "preview") and not ran(stand_in, "up")


def test_without_a_terminal_or_yes_it_exits_2_naming_yes_before_pulumi_runs(tmp_path):
    stand_in = deployed(tmp_path, maintenance=False)
    result = switch(stand_in, "on", "--connect", closed_port())
    assert result.returncode == 2
    assert "give --yes" in result.stderr
    assert verbs(stand_in) == [] and stack_file_mode(stand_in) == "false"


def test_a_dry_run_previews_and_puts_the_stack_file_back(tmp_path, on):
    stand_in = deployed(tmp_path, maintenance=False)
    result = on(stand_in, "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    maintenance_target = stand_in.outputs(STACK)["distributionDomain"]
    assert f"  the record {DOMAIN}: {LIVE_TARGET} -> {maintenance_target}" in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1].startswith(f"dry run: {STACK} is in live (preflight ")
    assert stack_file_mode(stand_in) == "false"
    assert ran(stand_in, "preview") and not ran(stand_in, "up")


def test_without_the_pulumi_cli_it_exits_2_saying_how_to_install_it(tmp_path):
    stand_in = deployed(tmp_path, maintenance=False)
    result = switch(stand_in, "on", "--yes", env={**stand_in.env, "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert "the Pulumi CLI `pulumi` is not on PATH" in result.stderr
    assert "curl -fsSL https://get.pulumi.com | sh" in result.stderr
    assert verbs(stand_in) == [] and stack_file_mode(stand_in) == "false"


def test_not_logged_in_exits_2_with_pulumi_login(tmp_path):
    stand_in = deployed(tmp_path, maintenance=False)
    logged_out = {key: value for key, value in stand_in.env.items() if key != "PULUMI_BACKEND_URL"}
    result = switch(stand_in, "on", "--yes", env=logged_out)
    assert result.returncode == 2
    assert "Pulumi is not logged in" in result.stderr and "run pulumi login" in result.stderr
    # pulumi whoami's own words, as the stand-in gives them (the CLI's, pkg/backend/httpstate/login.go)
    assert "PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions" in result.stderr
    assert not ran(stand_in, "stack select") and stack_file_mode(stand_in) == "false"


def test_a_stack_the_backend_does_not_have_exits_2(tmp_path):
    project = stack_file(project_copy(tmp_path), maintenance=False)
    stand_in = StandIn(project, tmp_path / "backend")
    result = switch(stand_in, "on", "--yes")
    assert result.returncode == 2
    assert f"the backend Pulumi is logged in to has no stack '{STACK}'" in result.stderr
    assert not ran(stand_in, "config set") and stack_file_mode(stand_in) == "false"


def test_a_stack_file_already_saying_maintenance_finishes_the_switch(tmp_path, on):
    stand_in = deployed(tmp_path, maintenance=False)
    stack_file(stand_in.project_dir, maintenance=True)  # set by hand, never deployed
    result = on(stand_in, "--yes", "--no-wait")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Pulumi.{STACK}.yaml already says maintenance, not all deployed yet: finishing the switch" in result.stdout
    assert result.stdout.splitlines()[-1].startswith(f"switched: {STACK} is in maintenance (preflight ")
    assert stack_file_mode(stand_in) == "true" and stand_in.outputs(STACK)["mode"] == "maintenance"
    assert not ran(stand_in, "config set") and ran(stand_in, "up")


def _on_a_terminal(stand_in: StandIn, arguments: list[str], then) -> tuple[int, str]:
    """Runs the command with a pseudo-terminal as its standard input and output; `then(write, read)` answers."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "maintenance", "on", STACK, "--cwd", str(stand_in.project_dir), *arguments],
        env=stand_in.env, stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    seen = []

    def read() -> bool:
        """Appends what the terminal holds; False once the command has closed it (EIO on Linux)."""
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            return False
        seen.append(chunk.decode(errors="replace"))
        return bool(chunk)

    def read_until(text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in "".join(seen):
            assert time.monotonic() < deadline, f"never saw {text!r}: {''.join(seen)}"
            if select.select([controller], [], [], 0.5)[0] and not read():
                break

    try:
        then(process, lambda text: os.write(controller, text.encode()), read_until)
        code = process.wait(timeout=120)
        while select.select([controller], [], [], 0.2)[0] and read():
            pass
    finally:
        os.close(controller)
    output = "".join(seen)
    assert "Traceback" not in output, output
    return code, output


def test_on_a_terminal_it_asks_and_no_puts_the_stack_file_back(tmp_path, serve, cacert):
    stand_in = deployed(tmp_path, maintenance=False)
    distribution = serve(edge(stand_in.project_dir))

    def answer_no(process, write, read_until):
        read_until(f"Switch {DOMAIN} to maintenance now? [y/N] ")
        assert stack_file_mode(stand_in) == "true", "set before the preview"
        write("n\n")

    code, output = _on_a_terminal(stand_in, ["--no-wait", "--connect", distribution.endpoint, "--cacert", cacert],
                                  answer_no)
    assert code == 1, output
    assert f"not switched: {STACK} is in live" in output
    assert stack_file_mode(stand_in) == "false" and not ran(stand_in, "up")


def test_a_console_edit_after_the_preview_stops_the_up_that_the_plan_holds(tmp_path, serve, cacert):
    """Pulumi docs, "Update plans": the up fails at once on any change the plan does not hold."""
    stand_in = deployed(tmp_path, maintenance=False)
    distribution = serve(edge(stand_in.project_dir))

    def edit_then_yes(process, write, read_until):
        read_until("now? [y/N] ")
        stand_in.edit_deployed(STACK, DISTRIBUTION, "distribution", "comment", "edited in the console meanwhile")
        write("y\n")

    code, output = _on_a_terminal(stand_in, ["--no-wait", "--connect", distribution.endpoint, "--cacert", cacert],
                                  edit_then_yes)
    assert code == 1, output
    assert "error: the update did not finish:" in output and "violates plan" in output
    assert f"Pulumi.{STACK}.yaml put back: maintenance 'false'" in output
    assert stack_file_mode(stand_in) == "false" and record_target(stand_in) == LIVE_TARGET
    assert stand_in.deployed(STACK, DISTRIBUTION)["inputs"]["comment"] == "edited in the console meanwhile"


def test_ctrl_c_at_the_question_puts_the_stack_file_back_with_exit_130(tmp_path, serve, cacert):
    stand_in = deployed(tmp_path, maintenance=False)
    distribution = serve(edge(stand_in.project_dir))

    def interrupt(process, write, read_until):
        read_until("now? [y/N] ")
        process.send_signal(signal.SIGINT)

    code, output = _on_a_terminal(stand_in, ["--no-wait", "--connect", distribution.endpoint, "--cacert", cacert],
                                  interrupt)
    assert code == 130, output
    assert "Ctrl-C: stopped before the update" in output and f"Pulumi.{STACK}.yaml put back: maintenance 'false'" in output
    assert stack_file_mode(stand_in) == "false" and not ran(stand_in, "up")


def start_on(stand_in: StandIn, *arguments: str, stderr=subprocess.PIPE) -> subprocess.Popen:
    """`on` running without a terminal, its output read line by line."""
    return subprocess.Popen(
        [sys.executable, "-m", "maintenance", "on", STACK, "--cwd", str(stand_in.project_dir), *arguments],
        env=stand_in.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, text=True)


def test_an_output_whose_reader_has_gone_puts_the_stack_file_back_and_exits_141(tmp_path, serve, cacert):
    stand_in = deployed(tmp_path, maintenance=False)
    distribution = serve(edge(stand_in.project_dir))
    command = start_on(stand_in, "--yes", "--connect", distribution.endpoint, "--cacert", cacert)
    # As `on ... | head` does: the preview's line finds no reader.
    assert leave_output(command, lambda line: line.startswith("set ")) == (141, "")
    assert stack_file_mode(stand_in) == "false" and ran(stand_in, "preview") and not ran(stand_in, "up")


def test_ctrl_c_to_the_command_alone_during_the_up_waits_for_it_to_finish_and_exits_130(tmp_path, serve, cacert):
    """Only the command gets it, as when Ctrl-C reaches the CLI too late or `kill -INT` names the command."""
    stand_in = deployed(tmp_path, maintenance=False)
    distribution = serve(edge(stand_in.project_dir))
    point = f"up:during:{RECORD}"
    stand_in.hold(STACK, point)
    command = start_on(stand_in, "--yes", "--no-wait", "--connect", distribution.endpoint, "--cacert", cacert,
                       stderr=subprocess.STDOUT)
    stand_in.wait_held(point)
    command.send_signal(signal.SIGINT)
    lines = []
    for line in command.stdout:  # each line as the command prints it (line-buffered through a pipe)
        lines.append(line)
        if "waiting for it to end" in line:
            stand_in.release(point)
    output = "".join(lines)
    assert command.wait(timeout=120) == 130, output
    assert "Traceback" not in output, output
    assert "Ctrl-C: Pulumi finishes the step in flight and cancels the rest; waiting for it to end" in output
    assert f"python -m maintenance status {STACK}" in output
    assert output.splitlines()[-1].startswith(f"interrupted (Ctrl-C), the update finished: {STACK} is in maintenance (")
    assert stack_file_mode(stand_in) == "true" and stand_in.outputs(STACK)["mode"] == "maintenance"


def test_an_access_denied_names_the_operator_policy_that_grants_the_action(tmp_path, on):
    """Issue 21: the action and resource AWS refused, and which of the stack's two policies grants it."""
    stand_in = deployed(tmp_path, maintenance=False)
    zone = stand_in.deployed(STACK, RECORD)["inputs"]["zoneId"]
    stand_in.fail_next_change(STACK, RECORD, (
        "operation error Route 53: ChangeResourceRecordSets, https response error StatusCode: 403, api error "
        "AccessDenied: User: arn:aws:iam::123456789012:user/night-shift is not authorized to perform: "
        f"route53:ChangeResourceRecordSets on resource: arn:aws:route53:::hostedzone/{zone} because no "
        "identity-based policy allows the route53:ChangeResourceRecordSets action"))
    result = on(stand_in, "--yes", "--no-wait")
    assert result.returncode == 1, result.stdout + result.stderr
    assert (f"AWS refused route53:ChangeResourceRecordSets on arn:aws:route53:::hostedzone/{zone}: switch-operator "
            "grants it only within the conditions of its statement ChangeOnlyTheApiRecord") in result.stderr
    assert stack_file_mode(stand_in) == "false"


def test_the_reason_is_the_update_s_message_in_the_stack_history(tmp_path, on):
    stand_in = deployed(tmp_path, maintenance=False)
    result = on(stand_in, "--yes", "--no-wait", "--reason", "INC-42 database upgrade")
    assert result.returncode == 0, result.stdout + result.stderr
    [latest, *_] = stand_in.backend.history(STACK)
    assert latest["message"] == "maintenance on: INC-42 database upgrade" and latest["result"] == "succeeded"


def test_without_a_reason_the_message_still_names_the_command(tmp_path, on):
    stand_in = deployed(tmp_path, maintenance=False)
    assert on(stand_in, "--yes", "--no-wait").returncode == 0
    assert stand_in.backend.history(STACK)[0]["message"] == "maintenance on: no reason given"


@pytest.mark.parametrize("reason", ["", "two\nlines", "x" * 201])
def test_a_bad_reason_exits_2_before_pulumi_runs(tmp_path, reason):
    stand_in = deployed(tmp_path, maintenance=False)
    result = switch(stand_in, "on", "--yes", "--reason", reason)
    assert result.returncode == 2
    assert "a reason is one line of 1 to 200 printable characters" in result.stderr
    assert verbs(stand_in) == []


def test_a_passphrase_stack_without_its_passphrase_exits_2_naming_both_variables(tmp_path):
    stand_in = deployed(tmp_path, maintenance=False)
    path = stand_in.project_dir / f"Pulumi.{STACK}.yaml"
    path.write_text("encryptionsalt: v1:c2FsdA==:v1:bm9uY2U=:Y2lwaGVy\n" + path.read_text())
    for command in ("on", "off", "message"):
        result = switch(stand_in, command, *(["text"] if command == "message" else []), "--yes")
        assert result.returncode == 2, result.stdout + result.stderr
        assert "PULUMI_CONFIG_PASSPHRASE" in result.stderr and "PULUMI_CONFIG_PASSPHRASE_FILE" in result.stderr
    assert verbs(stand_in) == [] and stack_file_mode(stand_in) == "false"


def test_a_stack_file_that_differs_from_git_head_ends_with_the_commit_to_make(tmp_path, on):
    stand_in = deployed(tmp_path, maintenance=False)
    git = ["git", "-C", str(stand_in.project_dir), "-c", "user.name=Ops", "-c", "user.email=ops@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "the stacks"], check=True)
    # A dry run puts the file back (re-encoded by config set, so it may differ from HEAD): no switch, no hint.
    dry = on(stand_in, "--dry-run")
    assert dry.returncode == 0 and "differs from git HEAD" not in dry.stdout, dry.stdout
    result = on(stand_in, "--yes", "--no-wait", "--reason", "db upgrade")
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.splitlines()[-1]
    assert last.startswith(f"note: Pulumi.{STACK}.yaml differs from git HEAD: until it is committed and pushed, a plain "
                           "`pulumi up` from another checkout would undo the switch")
    assert last.endswith(f"commit Pulumi.{STACK}.yaml -m 'maintenance on: db upgrade'")


def test_a_notify_url_gets_one_notice_of_the_switch_and_a_dead_one_changes_nothing(tmp_path, on, ca, cacert):
    """Issue 20: a secret notifyUrl gets one JSON POST per switch; a receiver that is gone is one line, exit unchanged."""
    from test_notify import Receiver

    project = stack_file(project_copy(tmp_path), maintenance=False)
    stand_in = StandIn(project, tmp_path / "backend")
    stand_in.init_secrets(STACK, "correct horse battery staple")
    receiver = Receiver(ca.issue_cert("127.0.0.1"))
    try:
        assert stand_in.run("stack", "init", STACK).returncode == 0
        assert stand_in.run("config", "set", "--secret", "notifyUrl", receiver.url, "-s", STACK).returncode == 0
        stand_in.deploy(STACK)
        stand_in.env["SSL_CERT_FILE"] = cacert  # the receiver's throwaway CA, as bounded_http trusts it
        result = on(stand_in, "--yes", "--no-wait", "--reason", "db upgrade")
        assert result.returncode == 0, result.stdout + result.stderr
        [notice] = [json.loads(request["body"]) for request in receiver.requests]
        assert notice["stack"] == STACK and notice["mode"] == "maintenance" and notice["reason"] == "db upgrade"
        assert "maintenance on" in notice["text"]
    finally:
        receiver.close()
    again = switch(stand_in, "off", "--yes", "--no-wait", "--connect", closed_port())
    assert again.returncode == 3  # off's preflight: nothing changed, so nothing is announced
    assert len(receiver.requests) == 1
    message = switch(stand_in, "message", "Back soon.", "--yes")
    assert message.returncode == 0, message.stdout + message.stderr
    assert f"note: notification not sent to https://127.0.0.1:{receiver.url.split(':')[2].split('/')[0]}: " \
        in message.stdout


def test_a_cli_whose_whoami_prints_no_json_exits_2_before_anything_changes(tmp_path):
    folder = stack_file(tmp_path, maintenance=False)
    path = fake_pulumi(tmp_path, 'case "$*" in *version*) echo v3.210.0 ;; *whoami*) echo "not json" ;; esac')
    result = subprocess.run(
        [sys.executable, "-m", "maintenance", "on", STACK, "--cwd", str(folder), "--yes"], capture_output=True,
        text=True, timeout=60, stdin=subprocess.DEVNULL, env={"PATH": path, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: `pulumi whoami --json` printed no JSON")
    assert read_stack_config(folder / f"Pulumi.{STACK}.yaml")[MODE_KEY] == "false"
