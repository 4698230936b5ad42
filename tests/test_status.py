"""`python -m maintenance status` against real servers on loopback: dnsmasq and an HTTP server."""

from __future__ import annotations

import argparse
import io
import json
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dns.exception
import httpx
import pytest

from commands import (
    OVERRUN_NOTE, DISTRIBUTION, DOMAIN, LIVE_TARGET, ROOT, fake_pulumi, process_running, run_command,
    run_with_output_closed, stack_file, start_command,
)
from loopback_servers import (
    ApiServer, Dnsmasq, ScriptedDns, SilentServer, StalledServer, StreamingServer, closed_port, dripping, fresh_address,
    http_answer, started_servers,
)
from maintenance.cli import status
from maintenance.cli.main import main
from maintenance.cli.pulumi_stack import read_stack_outputs
# Fixtures: the test CA and the HTTPS servers on loopback.
from test_preflight import ca, cacert, live_api, serve  # noqa: F401


def run_status(folder: Path, *arguments: str, **options):
    return run_command("status", folder, *arguments, **options)


@pytest.fixture
def dnsmasq():
    yield from started_servers(lambda cnames, **options: Dnsmasq().serve(cnames, **options), Dnsmasq.stop)


@pytest.fixture
def api():
    server = ApiServer()
    yield server
    server.close()


def both_roles(server) -> tuple[str, ...]:
    return ("--nameserver", server.endpoint, "--resolver", server.endpoint)


def test_live_answer_agrees_with_live_stack(tmp_path, dnsmasq):
    server = dnsmasq({DOMAIN: LIVE_TARGET}, ttl=300)
    result = run_status(stack_file(tmp_path, maintenance=False), *both_roles(server))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{DOMAIN} (stack window) should be in live mode"
    assert lines[1] == (f"  targets: maintenance *.cloudfront.net (name pattern), live {LIVE_TARGET} (stack file); "
                        "stack outputs not read: the Pulumi CLI is not installed")
    assert len([line for line in lines if line.startswith("  ok ")]) == 2
    assert f"live        {LIVE_TARGET}  TTL 300s" in result.stdout
    assert lines[-1] == "2/2 agree with live (exit 0)"


def test_maintenance_answer_agrees_with_maintenance_stack(tmp_path, dnsmasq):
    server = dnsmasq({DOMAIN: DISTRIBUTION})
    result = run_status(stack_file(tmp_path, maintenance=True), *both_roles(server), "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["desired"] == "maintenance" and document["agreed"] is True and document["exit"] == 0
    assert [(a["role"], a["state"], a["answer"], a["ttl"]) for a in document["answers"]] == [
        ("authoritative", "maintenance", DISTRIBUTION, 60),
        ("resolver", "maintenance", DISTRIBUTION, 60),
    ]
    assert document["expected"] == {"maintenance": "*.cloudfront.net", "live": LIVE_TARGET}


def test_a_server_still_giving_the_old_answer_exits_1_with_its_ttl(tmp_path, dnsmasq):
    new, old = dnsmasq({DOMAIN: DISTRIBUTION}), dnsmasq({DOMAIN: LIVE_TARGET}, ttl=240)
    result = run_status(stack_file(tmp_path, maintenance=True), "--nameserver", new.endpoint, "--resolver", old.endpoint)
    assert result.returncode == 1
    assert f"  NOT resolver      {old.endpoint}" in result.stdout
    assert result.stdout.splitlines()[-1] == "1/2 agree with maintenance; an old answer may live 240s more (exit 1)"


def test_wait_sees_a_flip_within_one_interval(tmp_path, dnsmasq):
    server = dnsmasq({DOMAIN: LIVE_TARGET})
    interval = 1.0
    command = [sys.executable, "-m", "maintenance", "status", "window", "--cwd", str(stack_file(tmp_path, True)),
               *both_roles(server), "--wait", "--interval", str(interval), "--timeout", "60", "--query-timeout", "0.5"]
    waiting = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    time.sleep(2.5)
    assert waiting.poll() is None, "exited before the flip"
    server.serve({DOMAIN: DISTRIBUTION})
    flipped = time.monotonic()
    out, err = waiting.communicate(timeout=30)
    seen_after = time.monotonic() - flipped
    assert waiting.returncode == 0, out + err
    # One interval, plus half a second for the check itself and dnsmasq's restart.
    assert seen_after <= interval + 0.5, f"flip seen {seen_after:.2f}s after it happened"
    progress = out.splitlines()
    assert progress[0].startswith("[") and "0/2 agree with maintenance; an old answer may live 60s more" in progress[0]
    assert progress[-1] == "2/2 agree with maintenance (exit 0)"


def test_wait_gives_up_at_its_timeout_with_exit_1(tmp_path, dnsmasq):
    server = dnsmasq({DOMAIN: LIVE_TARGET})
    started = time.monotonic()
    result = run_status(stack_file(tmp_path, True), *both_roles(server), "--wait", "--interval", "0.5", "--timeout", "2")
    took = time.monotonic() - started
    assert result.returncode == 1
    assert 2 <= took < 10
    assert result.stdout.count("0/2 agree with maintenance") >= 3
    assert result.stdout.splitlines()[-1].startswith("gave up after 2s: 0/2 agree with maintenance")


def test_wait_with_json_keeps_its_progress_off_stdout(tmp_path, dnsmasq):
    server = dnsmasq({DOMAIN: LIVE_TARGET})
    result = run_status(stack_file(tmp_path, True), *both_roles(server), "--wait", "--interval", "0.5", "--timeout", "1",
                        "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"].startswith("0/2 agree with maintenance")  # one document, nothing else
    assert result.stderr.startswith("[    0s] 0/2 agree with maintenance")


def test_wait_that_agrees_does_not_say_it_gave_up(tmp_path, dnsmasq):
    server = dnsmasq({DOMAIN: LIVE_TARGET})
    result = run_status(stack_file(tmp_path, False), *both_roles(server), "--wait", "--timeout", "5")
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "2/2 agree with live (exit 0)"


def test_wait_with_a_server_failing_until_the_timeout_exits_3(tmp_path, dnsmasq):
    server, silent = dnsmasq({DOMAIN: DISTRIBUTION}), SilentServer()
    try:
        result = run_status(stack_file(tmp_path, True), "--nameserver", server.endpoint, "--resolver", silent.endpoint,
                            "--wait", "--interval", "0.5", "--timeout", "1.5", "--query-timeout", "0.5")
    finally:
        silent.close()
    assert result.returncode == 3, result.stdout
    assert result.stdout.splitlines()[-1] == "gave up after 2s: 1/2 agree with maintenance; 1 failed (exit 3)"


def test_progress_is_one_live_line_on_a_terminal(dnsmasq):
    server = dnsmasq({DOMAIN: LIVE_TARGET})

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    plan = status.Plan(
        stack="window", domain=DOMAIN, zone="theboss.io", expectation=status.Expectation("maintenance"),
        nameservers=(status.Server("authoritative", server.endpoint, server.address, server.port),),
        resolvers=(), url=None, query_timeout=1.0,
    )
    terminal = Terminal()
    answers, code, elapsed = status.wait(plan, timeout=1.2, interval=0.3, out=terminal)
    assert code == 1 and elapsed >= 1.2
    screen = terminal.getvalue()
    assert screen.count("\r\033[K[") >= 3 and screen.endswith("\n") and screen.count("\n") == 1


@pytest.mark.parametrize(
    "case, expected_error",
    [("timeout", "timeout: no answer within 0.5s"), ("nxdomain", "NXDOMAIN"), ("refused", "REFUSED")],
)
def test_a_failing_server_is_reported_and_exits_3(tmp_path, dnsmasq, case, expected_error):
    good = dnsmasq({DOMAIN: LIVE_TARGET})
    if case == "timeout":
        silent = SilentServer()
        bad = silent.endpoint
    elif case == "nxdomain":
        bad = dnsmasq({"other.theboss.io": LIVE_TARGET}).endpoint
    else:
        bad = dnsmasq({"other.theboss.io": LIVE_TARGET}, local_zone=False).endpoint
    result = run_status(stack_file(tmp_path, False), "--nameserver", good.endpoint, "--resolver", bad,
                        "--query-timeout", "0.5", "--json")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    answers = json.loads(result.stdout)["answers"]
    assert answers[0]["state"] == "live"
    assert answers[1] == {"role": "resolver", "server": bad, "state": "failed", "answer": None, "ttl": None,
                          "error": expected_error}


def test_http_check_follows_the_api_from_maintenance_to_live(tmp_path, dnsmasq, api):
    server = dnsmasq({DOMAIN: DISTRIBUTION})
    folder = stack_file(tmp_path, True)
    api.response = ApiServer.MAINTENANCE
    during = run_status(folder, *both_roles(server), "--url", api.url)
    assert during.returncode == 0, during.stdout
    assert f"  ok  http          {api.url}  maintenance 503 application/json" in during.stdout
    api.response = ApiServer.LIVE
    after = run_status(folder, *both_roles(server), "--url", api.url)
    assert after.returncode == 1
    assert f"  NOT http          {api.url}  live        200 application/json" in after.stdout
    assert [(r["path"], r["headers"]["Accept"]) for r in api.requests] == [("/", "application/json")] * 2


def test_http_check_recognises_the_page_marker(tmp_path, dnsmasq, api):
    server = dnsmasq({DOMAIN: DISTRIBUTION})
    api.response = (200, "text/html; charset=utf-8", (ROOT / "site" / "index.html").read_text())
    result = run_status(stack_file(tmp_path, True), *both_roles(server), "--url", api.url)
    assert result.returncode == 0, result.stdout


def test_http_connection_error_exits_3(tmp_path, dnsmasq):
    server = dnsmasq({DOMAIN: LIVE_TARGET})
    result = run_status(stack_file(tmp_path, False), *both_roles(server), "--url", f"http://{closed_port()}/")
    assert result.returncode == 3
    assert "ConnectError" in result.stdout and "Traceback" not in result.stderr


def test_stack_outputs_from_the_pulumi_cli_make_the_match_exact(tmp_path, dnsmasq):
    other_distribution = "d999999zzzzzz9.cloudfront.net"
    server = dnsmasq({DOMAIN: other_distribution})
    path = fake_pulumi(tmp_path, f"echo '{json.dumps({'distributionDomain': DISTRIBUTION, 'liveTarget': LIVE_TARGET})}'")
    folder = stack_file(tmp_path, True)
    with_cli = run_status(folder, *both_roles(server), "--json", path=path)
    document = json.loads(with_cli.stdout)
    assert document["expected"]["maintenance"] == DISTRIBUTION
    assert document["expectedFrom"] == {"maintenance": "stack output", "live": "stack file"}
    assert document["outputsProblem"] is None
    assert [a["state"] for a in document["answers"]] == ["unknown", "unknown"]
    assert with_cli.returncode == 1
    as_text = run_status(folder, *both_roles(server), path=path)
    assert as_text.stdout.splitlines()[1] == (
        f"  targets: maintenance {DISTRIBUTION} (stack output), live {LIVE_TARGET} (stack file)")
    without_cli = run_status(folder, *both_roles(server))
    assert without_cli.returncode == 0


def test_load_balancer_stack_counts_any_elb_name_as_live(tmp_path, dnsmasq):
    server = dnsmasq({DOMAIN: "my-nlb-0123456789abcdef.elb.us-east-1.amazonaws.com"})
    result = run_status(stack_file(tmp_path, False, live="liveLoadBalancer: my-nlb"), *both_roles(server))
    assert result.returncode == 0, result.stdout


def test_name_servers_are_found_through_the_zone_ns_records(tmp_path, dnsmasq):
    address = fresh_address()
    # Port 53: the name servers found from NS records are asked there (a record names no port).
    server = Dnsmasq(address=address, port=53).serve(
        {DOMAIN: DISTRIBUTION},
        extra=(f"--auth-server=ns1.theboss.io,{address}", "--auth-zone=theboss.io",
               f"--host-record=ns1.theboss.io,{address}"),
    )
    try:
        result = run_status(stack_file(tmp_path, True), "--resolver", f"{address}:53", "--json")
    finally:
        server.stop()
    document = json.loads(result.stdout)
    assert [(a["role"], a["server"], a["state"]) for a in document["answers"]] == [
        ("authoritative", f"ns1.theboss.io {address}", "maintenance"),
        ("resolver", f"{address}:53", "maintenance"),
    ]
    assert result.returncode == 0


@pytest.mark.parametrize(
    "arguments, stack_yaml, message",
    [
        (("--nameserver", "127.0.0.1:notaport"), None, "the port must be a number"),
        (("--interval", "0"), None, "must be more than 0 seconds"),
        ((), "config:\n  api-maintenance:domain: api.theboss.io\n  api-maintenance:ttl: lots\n  api-maintenance:liveTarget: x.example.com\n",
         "api-maintenance:ttl must be a whole number"),
        ((), "config:\n  api-maintenance:domain: api.theboss.io\n  api-maintenance:maintenence: true\n  api-maintenance:liveTarget: x.example.com\n",
         "api-maintenance:maintenence is not a setting of this program: did you mean api-maintenance:maintenance?"),
        ((), "config: [unclosed\n", "is not valid YAML"),
        (("--resolver", "a..b"), None, "argument --resolver: 'a..b' is not a host name"),
        (("--nameserver", "x" * 64 + ".theboss.io:53"), None, "is not a host name: encoding with 'idna' codec failed"),
        (("--url", "notaurl"), None, "argument --url: 'notaurl' is not an http:// or https:// URL"),
        (("--url", ""), None, "argument --url: '' is not an http:// or https:// URL"),
        (("--url", "ftp://api.theboss.io/"), None, "is not an http:// or https:// URL"),
        (("--url", "http://a..b/"), None, "argument --url: 'http://a..b/' is not a host name"),
        (("--url", f"https://{'x' * 64}.theboss.io/"), None, "is not a host name: encoding with 'idna' codec failed"),
        (("--url", "https://api.theboss.io:99999/"), None, "the port must be from 1 to 65535"),
        (("--url", "https://api.theboss.io:0/"), None, "the port must be from 1 to 65535"),
        (("--url", "https://xn--/"), None, "'https://xn--/' is not a URL: Malformed A-label"),
        (("--url", "https://a b/"), None, "'https://a b/' is not a host name"),
        (("--query-timeout", "1e300"), None, "argument --query-timeout: '1e300': must be at most 86400 seconds"),
        (("--wait", "--interval", "inf"), None, "argument --interval: 'inf': must be at most 86400 seconds"),
        (("--wait", "--timeout", "1e309"), None, "argument --timeout: '1e309': must be at most 86400 seconds"),
        (("--timeout", "nan"), None, "argument --timeout: 'nan': must be more than 0 seconds"),
        (("--resolver", "[::1"), None, "'[::1' is not [IPV6] or [IPV6]:PORT"),
        (("--resolver", "[::1]x"), None, "'[::1]x' is not [IPV6] or [IPV6]:PORT"),
        (("--resolver", "[ns1.theboss.io]:53"), None, "is not [IPV6] or [IPV6]:PORT"),
        (("--resolver", "ns1.theboss.io:+53"), None, "the port must be a number"),
        (("--resolver", "ns1.theboss.io: 53"), None, "the port must be a number"),
        (("--resolver", "ns1.theboss.io:\u0665\u0663"), None, "the port must be a number"),
        (("--resolver", "a b"), None, "'a b' is not a host name"),
        (("--timeout", "60"), None, "error: --timeout applies only with --wait: add --wait to poll until every "
                                    "answer agrees, or leave it out (--query-timeout bounds each answer)"),
        (("--interval", "1", "--timeout", "60"), None, "error: --timeout and --interval apply only with --wait: add "
                                                       "--wait to poll until every answer agrees, or leave them out"),
        (("--wiat",), None, "usage: python -m maintenance status [-h]"),
        (("--wiat",), None, "python -m maintenance status: error: unrecognized arguments: --wiat"),
    ],
)
def test_usage_and_config_errors_exit_2(tmp_path, arguments, stack_yaml, message):
    if stack_yaml is None:
        stack_file(tmp_path, False)
    else:
        (tmp_path / "Pulumi.window.yaml").write_text(stack_yaml)
    # Should an error be missed, the command asks a silent loopback port, never the machine's resolver.
    silent = SilentServer()
    try:
        result = run_status(tmp_path, "--nameserver", silent.endpoint, "--resolver", silent.endpoint,
                            "--query-timeout", "1", *arguments)
    finally:
        silent.close()
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_stack_exits_2(tmp_path):
    result = run_status(tmp_path)
    assert result.returncode == 2
    assert "no stack file Pulumi.window.yaml" in result.stderr


def test_a_zone_without_name_servers_is_a_failure_not_a_silent_pass(tmp_path, dnsmasq):
    server = dnsmasq({DOMAIN: LIVE_TARGET})
    result = run_status(stack_file(tmp_path, False), "--resolver", server.endpoint, "--json")
    assert result.returncode == 3
    first = json.loads(result.stdout)["answers"][0]
    assert (first["role"], first["server"], first["state"]) == ("authoritative", "NS of theboss.io", "failed")
    assert first["error"].startswith("could not find the zone's name servers")


def test_help_lists_the_exit_codes(tmp_path):
    result = run_status(tmp_path, "--help")
    assert result.returncode == 0
    codes = result.stdout[result.stdout.index("exit codes:"):]
    for code in ("0 ", "1 ", "2 ", "3 ", "130 ", "141 "):
        assert f"\n  {code}" in codes


@pytest.mark.parametrize("arguments", [("--json",), ("--json", "--timeout", "1"), ("--help",)],
                         ids=["report", "usage error", "help"])
def test_output_whose_reader_has_gone_ends_with_141_and_no_traceback(tmp_path, dnsmasq, arguments):
    server = dnsmasq({DOMAIN: LIVE_TARGET})
    result = run_with_output_closed("status", stack_file(tmp_path, False), "--nameserver", server.endpoint,
                                    "--resolver", server.endpoint, *arguments)
    assert result.returncode == 141, result.stderr
    assert result.stderr == ("" if arguments[-1] != "1" else "error: --timeout applies only with --wait: add --wait to "
                             "poll until every answer agrees, or leave it out (--query-timeout bounds each answer)\n")


@pytest.mark.parametrize("content, problem", [
    (b"nameserver notanip\n", "nameserver notanip is not a dns.nameserver.Nameserver instance"),
    (b"# r\xe9solveurs\nnameserver 192.0.2.53\n", "'utf-8' codec can't decode byte 0xe9"),
])
def test_a_malformed_resolv_conf_exits_2_naming_the_file_and_the_option(tmp_path, monkeypatch, capsys, content, problem):
    malformed = tmp_path / "resolv.conf"
    malformed.write_bytes(content)
    monkeypatch.setattr(status, "RESOLV_CONF", str(malformed))
    code = main(["status", "window", "--cwd", str(stack_file(tmp_path, False))])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: cannot read the resolvers in {malformed} (")
    assert problem in err and err.endswith("): give one with --resolver HOST[:PORT]\n")


def test_a_url_the_idna_codec_refuses_is_a_failed_answer_not_a_traceback():
    answer = status.probe_http("http://a..b/", 1.0)
    assert (answer.state, answer.error) == ("failed", "UnicodeError: encoding with 'idna' codec failed "
                                                      "(UnicodeError: label empty or too long)")


def test_no_resolver_configured_exits_2_naming_the_option(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "resolv.conf"
    empty.write_text("# no nameserver lines\n")
    monkeypatch.setattr(status, "RESOLV_CONF", str(empty))
    code = main(["status", "window", "--cwd", str(stack_file(tmp_path, False)), "--nameserver", closed_port()])
    assert code == 2
    assert capsys.readouterr().err == (f"error: this machine has no DNS resolver configured ({empty} lists none): "
                                       "give one with --resolver HOST[:PORT]\n")


@pytest.mark.parametrize("package", ["dns", "yaml"])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_outside_the_venv_a_missing_package_names_the_venv(tmp_path, package, as_json):
    # A python without the package: its import fails as it would there (PyYAML is imported late).
    blocked = textwrap.dedent(f"""
        import runpy, sys
        class Missing:
            def find_spec(self, name, path=None, target=None):
                if name.partition(".")[0] == {package!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        sys.meta_path.insert(0, Missing())
        sys.argv = ["maintenance", "status", "window", "--resolver", {closed_port()!r}]
        sys.argv += {["--json"] if as_json else []!r}
        runpy.run_module("maintenance", run_name="__main__")
    """)
    result = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60,
                            cwd=stack_file(tmp_path, False), env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: No module named '{package}': python -m maintenance needs the packages")
    assert "venv/bin/python -m maintenance status ..." in result.stderr
    assert "python3 -m venv venv && venv/bin/pip install -r requirements.txt" in result.stderr
    if as_json:
        assert json.loads(result.stdout) == {
            "exit": 2, "error": f"No module named '{package}': python -m maintenance needs the packages in "
                                "requirements.txt"}
    else:
        assert result.stdout == ""


def test_one_dead_resolver_costs_one_query_timeout_not_two(tmp_path):
    address = fresh_address()
    # Port 53: the name servers found from NS records are asked there (a record names no port).
    server = Dnsmasq(address=address, port=53).serve(
        {DOMAIN: DISTRIBUTION},
        extra=(f"--auth-server=ns1.theboss.io,{address}", "--auth-zone=theboss.io",
               f"--host-record=ns1.theboss.io,{address}"),
    )
    dead = SilentServer()
    try:
        # The NS and A lookups take the first answer: the dead resolver, asked first, costs nothing.
        dead_first = [status.Server("resolver", dead.endpoint, dead.address, dead.port),
                      status.Server("resolver", f"{address}:53", address, 53)]
        started = time.monotonic()
        found = status.authoritative_servers("theboss.io", dead_first, timeout=2)
        took = time.monotonic() - started
        assert found == [status.Server("authoritative", f"ns1.theboss.io {address}", address, 53)]
        assert took < 0.5, f"finding the name servers took {took:.1f}s"
        started = time.monotonic()
        result = run_status(stack_file(tmp_path, True), "--resolver", dead.endpoint, "--resolver", f"{address}:53",
                            "--query-timeout", "2", "--json")
        took = time.monotonic() - started
    finally:
        server.stop()
        dead.close()
    answers = json.loads(result.stdout)["answers"]
    assert [(a["role"], a["state"]) for a in answers] == [
        ("authoritative", "maintenance"), ("resolver", "failed"), ("resolver", "maintenance")]
    assert result.returncode == 3
    # Python's start-up plus one query timeout; asking the resolvers one after another took over 4 s.
    assert took < 2 + 1.2, f"took {took:.1f}s"


def test_a_hung_pulumi_cli_is_ended_with_its_children(tmp_path, monkeypatch):
    child_pid = tmp_path / "child.pid"
    monkeypatch.setenv("PATH", fake_pulumi(tmp_path, f"sleep 300 &\necho $! > {child_pid}\nwait"))
    started = time.monotonic()
    outputs = read_stack_outputs("window", tmp_path, timeout=0.5)
    assert time.monotonic() - started < 3
    assert outputs.values == {} and outputs.problem == "`pulumi stack output` gave no answer within 0.5s"
    pid = int(child_pid.read_text())
    deadline = time.monotonic() + 5
    while process_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_running(pid), f"the CLI's child {pid} was left running"


@pytest.mark.parametrize("file_mode, deployed", [(True, "live"), (False, "maintenance")])
def test_a_stack_file_mode_not_deployed_yet_names_the_commands_that_finish_or_undo_it(tmp_path, file_mode, deployed):
    # This CLI prints the outputs for any command: its `stack export` has no state, so the mode output decides.
    path = fake_pulumi(tmp_path, f"echo '{json.dumps({'mode': deployed, 'distributionDomain': DISTRIBUTION})}'")
    started = time.monotonic()
    result = run_status(stack_file(tmp_path, file_mode), "--resolver", closed_port(), "--wait", "--timeout", "5",
                        path=path)
    assert time.monotonic() - started < 10
    assert result.returncode == 2
    wanted, finish, undo = ("maintenance", "on", "off") if file_mode else ("live", "off", "on")
    assert result.stderr == (f"error: the stack file says {wanted} but the deployed record points at {deployed}: "
                             f"the last switch did not finish; python -m maintenance {finish} window finishes it, "
                             f"python -m maintenance {undo} window undoes it\n")
    assert "pulumi up" not in result.stderr


def _exporting_pulumi(tmp_path, record_target: str, mode_output: str) -> str:
    """A CLI whose state has the record at record_target while its `mode` output, from the last successful up, lags."""
    outputs = {"mode": mode_output, "distributionDomain": DISTRIBUTION, "liveTarget": LIVE_TARGET}
    deployment = {"version": 3, "deployment": {"resources": [
        {"urn": "urn:pulumi:window::api-maintenance::pulumi:pulumi:Stack::api-maintenance-window",
         "type": "pulumi:pulumi:Stack", "outputs": outputs},
        {"urn": "urn:pulumi:window::api-maintenance::aws:cloudfront/distribution:Distribution::distribution",
         "type": "aws:cloudfront/distribution:Distribution", "outputs": {"domainName": DISTRIBUTION}},
        {"urn": "urn:pulumi:window::api-maintenance::aws:route53/record:Record::record",
         "type": "aws:route53/record:Record", "inputs": {"records": [record_target]},
         "outputs": {"records": [record_target]}}]}}
    return fake_pulumi(tmp_path, f"""case "$1 $2" in
  "stack output") echo '{json.dumps(outputs)}' ;;
  "stack export") echo '{json.dumps(deployment)}' ;;
  *) exit 1 ;;
esac""")


def test_the_deployed_record_not_the_mode_output_says_where_the_stack_is(tmp_path, dnsmasq):
    """An up stopped after the record moved leaves the mode output of the last successful one (deployment.py)."""
    server = dnsmasq({DOMAIN: DISTRIBUTION})
    path = _exporting_pulumi(tmp_path, DISTRIBUTION, mode_output="live")
    moved = run_status(stack_file(tmp_path, True), *both_roles(server), path=path)
    assert moved.returncode == 0, moved.stdout + moved.stderr

    left_behind = run_status(stack_file(tmp_path, False), *both_roles(server), path=path)
    assert left_behind.returncode == 2
    assert left_behind.stderr.startswith(
        "error: the stack file says live but the deployed record points at maintenance: the last switch did not "
        "finish; python -m maintenance off window finishes it")


def test_an_http_server_that_never_answers_is_failed_exit_3(tmp_path, dnsmasq):
    server, stalled = dnsmasq({DOMAIN: LIVE_TARGET}), StalledServer()
    try:
        result = run_status(stack_file(tmp_path, False), *both_roles(server), "--url", stalled.url,
                            "--query-timeout", "0.5", "--json")
    finally:
        stalled.close()
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    http = json.loads(result.stdout)["answers"][-1]
    assert (http["role"], http["state"], http["error"]) == (
        "http", "failed", "slow: the answer was not complete within 0.5s")


@pytest.mark.parametrize("command", ["status", "preflight"])
def test_ctrl_c_exits_130_at_once_while_queries_wait(tmp_path, command):
    silent, stalled = SilentServer(), StalledServer()
    if command == "status":
        arguments = ["--resolver", silent.endpoint, "--url", stalled.url, "--query-timeout", "8", "--json"]
    else:
        arguments = ["--to", "live", "--connect", stalled.endpoint, "--timeout", "8", "--json"]
    running = start_command(command, stack_file(tmp_path, False), *arguments)
    try:
        stalled.wait_for_client()  # the command is now waiting for its answers
        time.sleep(0.3)
        interrupted = time.monotonic()
        running.send_signal(signal.SIGINT)
        out, err = running.communicate(timeout=30)
        took = time.monotonic() - interrupted
    finally:
        running.kill()
        silent.close()
        stalled.close()
    assert running.returncode == 130, out + err
    assert "Traceback" not in err
    assert took < 1.0, f"exited {took:.1f}s after Ctrl-C"
    assert json.loads(out) == {"exit": 130, "error": "interrupted (Ctrl-C)"}


def test_a_dripping_http_answer_is_slow_and_ends_at_the_query_timeout(tmp_path, dnsmasq):
    server = dnsmasq({DOMAIN: LIVE_TARGET})
    # 923 bytes, 10 every half second: 46 s of answer, which httpx's per-read timeout let run to its end.
    body = json.dumps({"users": ["x" * 20] * 35}).encode()
    dripper = StreamingServer(dripping(http_answer(body)))
    try:
        started = time.monotonic()
        result = run_status(stack_file(tmp_path, False), *both_roles(server), "--url", dripper.url,
                            "--query-timeout", "1", "--json")
        took = time.monotonic() - started
    finally:
        dripper.close()
    assert result.returncode == 3, result.stdout + result.stderr
    http = json.loads(result.stdout)["answers"][-1]
    assert (http["state"], http["error"]) == ("failed", "slow: the answer was not complete within 1s")
    # Python's start-up plus the query timeout.
    assert took < 1 + 1.5, f"took {took:.1f}s"


def test_authoritative_servers_are_asked_without_recursion_and_resolvers_with_it(tmp_path):
    authoritative, resolver = ScriptedDns(DOMAIN, DISTRIBUTION), ScriptedDns(DOMAIN, DISTRIBUTION)
    try:
        result = run_status(stack_file(tmp_path, True), "--nameserver", authoritative.endpoint,
                            "--resolver", resolver.endpoint, "--query-timeout", "2")
    finally:
        authoritative.close()
        resolver.close()
    assert result.returncode == 0, result.stdout + result.stderr
    # RFC 1035, 4.1.1: RD "directs the name server to pursue the query recursively".
    assert authoritative.queries == [("udp", False)]
    assert resolver.queries == [("udp", True)]


def test_a_truncated_answer_is_asked_again_over_tcp(tmp_path):
    truncating = ScriptedDns(DOMAIN, DISTRIBUTION, truncate_udp=True)
    try:
        result = run_status(stack_file(tmp_path, True), "--nameserver", truncating.endpoint,
                            "--resolver", truncating.endpoint, "--query-timeout", "2", "--json")
    finally:
        truncating.close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert [(a["state"], a["answer"]) for a in json.loads(result.stdout)["answers"]] == [
        ("maintenance", DISTRIBUTION)] * 2
    assert sorted(truncating.queries) == [("tcp", False), ("tcp", True), ("udp", False), ("udp", True)]


def test_the_retry_over_tcp_gets_only_the_time_left(tmp_path):
    # The truncated answer comes after 0.6 s of the 1 s: the retry over TCP has 0.4 s left, not 1 s.
    server = ScriptedDns(DOMAIN, DISTRIBUTION, truncate_udp=True, udp_delay=0.6, silent_tcp=True)
    try:
        started = time.monotonic()
        answer = status.ask(status.Server("resolver", server.endpoint, server.address, server.port), DOMAIN,
                            status.Expectation("maintenance"), timeout=1.0)
        took = time.monotonic() - started
    finally:
        server.close()
    assert (answer.state, answer.error) == ("failed", "timeout: no answer within 1s")
    assert took < 1.3, f"took {took:.1f}s: the retry over TCP got a timeout of its own"


def test_a_server_given_twice_is_asked_once(tmp_path, dnsmasq):
    server = dnsmasq({DOMAIN: LIVE_TARGET})
    result = run_status(stack_file(tmp_path, False), *both_roles(server), *both_roles(server))
    assert result.returncode == 0, result.stdout
    assert [line.split()[1] for line in result.stdout.splitlines() if line.startswith("  ok ")] == [
        "authoritative", "resolver"]
    assert result.stdout.splitlines()[-1] == "2/2 agree with live (exit 0)"


@pytest.mark.parametrize("arguments, stack_yaml, error", [
    (("--wiat",), None, "unrecognized arguments: --wiat"),
    (("--query-timeout", "0"), None, "argument --query-timeout: '0': must be more than 0 seconds"),
    (("--timeout", "5"), None, "--timeout applies only with --wait"),
    ((), "config: [unclosed\n", "Pulumi.window.yaml: line 2, column 1 is not valid YAML"),
])
def test_json_errors_are_one_document_on_stdout(tmp_path, arguments, stack_yaml, error):
    if stack_yaml is None:
        stack_file(tmp_path, False)
    else:
        (tmp_path / "Pulumi.window.yaml").write_text(stack_yaml)
    result = run_status(tmp_path, "--resolver", closed_port(), "--json", *arguments)
    assert result.returncode == 2
    document = json.loads(result.stdout)
    assert document["exit"] == 2 and error in document["error"]
    assert error in result.stderr  # the operator's message stays where it was


def test_json_of_a_check_has_exit_and_error_too(tmp_path, dnsmasq):
    new, old = dnsmasq({DOMAIN: LIVE_TARGET}), dnsmasq({DOMAIN: DISTRIBUTION})
    agreeing = json.loads(run_status(stack_file(tmp_path, False), *both_roles(new), "--json").stdout)
    assert (agreeing["exit"], agreeing["error"]) == (0, None)
    disagreeing = json.loads(run_status(tmp_path, "--nameserver", new.endpoint, "--resolver", old.endpoint,
                                        "--json").stdout)
    assert (disagreeing["exit"], disagreeing["error"]) == (1, "1/2 agree with live; an old answer may live 60s more")


@pytest.mark.parametrize("maintenance, until, said", [
    (True, "2020-01-01T06:00:00Z", True),
    (True, "2999-01-01T06:00:00Z", False),
    (False, "2020-01-01T06:00:00Z", False),  # live again: the window is over, not overrun
])
def test_a_window_past_its_until_is_said_to_have_overrun(tmp_path, dnsmasq, maintenance, until, said):
    server = dnsmasq({DOMAIN: DISTRIBUTION if maintenance else LIVE_TARGET})
    folder = stack_file(tmp_path, maintenance, extra=f"  api-maintenance:until: {until}\n")
    text = run_status(folder, *both_roles(server))
    document = json.loads(run_status(folder, *both_roles(server), "--json").stdout)
    assert text.returncode == 0, text.stdout
    assert document["overrun"] == (OVERRUN_NOTE if said else None)
    assert (text.stdout.splitlines()[2] == f"  note: {OVERRUN_NOTE}") is said


# --- the report as pure functions, answer by answer (what mutation testing found unchecked) -----

def plan_for(desired: str, **changes) -> status.Plan:
    values = dict(stack="window", domain=DOMAIN, zone="theboss.io", expectation=status.Expectation(desired),
                  nameservers=(), resolvers=(), url=None, query_timeout=1.0)
    return status.Plan(**{**values, **changes})


ANSWERS = [
    status.Answer("authoritative", "ns1.example.net 192.0.2.1", "maintenance", DISTRIBUTION, 60),
    status.Answer("resolver", "192.0.2.53:53", "live", LIVE_TARGET, 300),
    status.Answer("resolver", "192.0.2.54:53", "unknown", "no CNAME record"),
    status.Answer("http", "https://api.theboss.io/", "failed", error="ConnectError: refused"),
]


def test_report_lines_up_each_answer_and_sums_them_up():
    plan = plan_for("maintenance", outputs_problem="the Pulumi CLI is not installed")
    assert status.report(plan, ANSWERS, 3) == "\n".join([
        f"{DOMAIN} (stack window) should be in maintenance mode",
        "  targets: maintenance *.cloudfront.net (name pattern), live *.elb.amazonaws.com (name pattern); "
        "stack outputs not read: the Pulumi CLI is not installed",
        f"  ok  authoritative ns1.example.net 192.0.2.1  maintenance {DISTRIBUTION}  TTL 60s",
        f"  NOT resolver      192.0.2.53:53              live        {LIVE_TARGET}  TTL 300s",
        "  NOT resolver      192.0.2.54:53              unknown     no CNAME record",
        "  NOT http          https://api.theboss.io/    failed      ConnectError: refused",
        "1/4 agree with maintenance; an old answer may live 300s more; 1 failed (exit 3)",
    ])


def test_report_after_waiting_says_when_it_gave_up_and_names_the_targets_sources():
    sources = {"maintenance": "stack output", "live": "stack file"}
    plan = plan_for("live", expectation=status.Expectation("live", DISTRIBUTION, LIVE_TARGET), sources=sources)
    lines = status.report(plan, ANSWERS[1:2], 0, gave_up_after=899.6).splitlines()
    assert lines[1] == f"  targets: maintenance {DISTRIBUTION} (stack output), live {LIVE_TARGET} (stack file)"
    assert lines[-1] == "gave up after 900s: 1/1 agree with live (exit 0)"
    assert status.report(plan, [], 0).splitlines()[-1] == "0/0 agree with live (exit 0)"


def test_a_failure_without_a_reason_is_described_as_failed():
    assert status.report(plan_for("live"), [status.Answer("resolver", "r", "failed")], 3).splitlines()[2].endswith(
        "failed      failed")


def test_json_report_carries_plan_answers_and_elapsed_time():
    plan = plan_for("maintenance", expectation=status.Expectation("maintenance", DISTRIBUTION))
    document = json.loads(status.as_json(plan, ANSWERS[:1], 0, elapsed=12.34))
    assert document == {
        "stack": "window", "domain": DOMAIN, "desired": "maintenance",
        "expected": {"maintenance": DISTRIBUTION, "live": "*.elb.amazonaws.com"},
        "expectedFrom": {"maintenance": "name pattern", "live": "name pattern"}, "outputsProblem": None,
        "agreed": True, "exit": 0, "error": None, "overrun": None,
        "answers": [{"role": "authoritative", "server": "ns1.example.net 192.0.2.1", "state": "maintenance",
                     "answer": DISTRIBUTION, "ttl": 60, "error": None}],
        "elapsedSeconds": 12.3,
    }
    disagreed = json.loads(status.as_json(plan_for("maintenance", overrun="overrun"), [], 1))
    assert "elapsedSeconds" not in disagreed and not disagreed["agreed"]
    assert (disagreed["error"], disagreed["overrun"]) == ("0/0 agree with maintenance", "overrun")


def test_an_address_is_its_own_server_label():
    assert status._servers("resolver", "192.0.2.53", 5353) == [status.Server("resolver", "192.0.2.53:5353", "192.0.2.53", 5353)]
    # In brackets, as --nameserver reads it: "2001:db8::53:5353" could be the address 2001:db8::53:5353.
    assert status._servers("authoritative", "2001:db8::53", 5353) == [
        status.Server("authoritative", "[2001:db8::53]:5353", "2001:db8::53", 5353)]


def test_a_host_name_label_gives_each_of_its_addresses_in_brackets_where_ipv6(monkeypatch):
    def getaddrinfo(host, port, type):
        if host != "dns.example.net":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6, type, 17, "", ("2001:db8::53", 0, 0, 0)), (socket.AF_INET, type, 17, "", ("192.0.2.53", 0))]

    monkeypatch.setattr(status.socket, "getaddrinfo", getaddrinfo)
    assert [server.label for server in status._servers("resolver", "dns.example.net", 53)] == [
        "dns.example.net 192.0.2.53:53", "dns.example.net [2001:db8::53]:53"]


def test_the_system_resolvers_are_read_from_resolv_conf(tmp_path, monkeypatch):
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 192.0.2.53\nnameserver 2001:db8::53\n")
    monkeypatch.setattr(status, "RESOLV_CONF", str(conf))
    assert status.system_resolvers() == [("192.0.2.53", 53), ("2001:db8::53", 53)]
    monkeypatch.setattr(status, "RESOLV_CONF", str(tmp_path / "missing"))
    assert status.system_resolvers() == []


class ScriptedPlan:
    """A plan whose checks give the answers in turn, without a network."""

    def __init__(self, desired, *checks):
        self.expectation, self.checks = status.Expectation(desired), list(checks)

    def check(self):
        return self.checks.pop(0)


def test_wait_returns_at_the_first_check_that_agrees():
    agreed = [status.Answer("resolver", "r", "live", LIVE_TARGET, 60)]
    out = io.StringIO()
    answers, code, elapsed = status.wait(ScriptedPlan("live", agreed), timeout=60, interval=0.01, out=out)
    assert (answers, code, out.getvalue()) == (agreed, 0, "") and elapsed < 5


def test_wait_prints_one_progress_line_a_check_until_the_timeout():
    stale = [status.Answer("resolver", "r", "maintenance", DISTRIBUTION, 60)]
    out = io.StringIO()
    answers, code, elapsed = status.wait(ScriptedPlan("live", *[stale] * 100), timeout=0.25, interval=0.1, out=out)
    lines = out.getvalue().splitlines()
    assert code == 1 and elapsed >= 0.25 and 2 <= len(lines) <= 4
    assert lines[0] == "[    0s] 0/1 agree with live; an old answer may live 60s more"


def plan_args(folder: Path, **changes) -> argparse.Namespace:
    values = dict(stack="window", cwd=str(folder), nameserver=[("192.0.2.1", 53)], resolver=[("192.0.2.53", 5353)],
                  url=None, http=False, query_timeout=2.0)
    return argparse.Namespace(**{**values, **changes})


NAMESERVER = status.Server("authoritative", "192.0.2.1:53", "192.0.2.1", 53)
RESOLVER = status.Server("resolver", "192.0.2.53:5353", "192.0.2.53", 5353)


def test_the_plan_without_the_pulumi_cli_takes_the_stack_file_and_the_options(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    plan = status.make_plan(plan_args(stack_file(tmp_path, False), http=True))
    assert plan == status.Plan(
        "window", DOMAIN, "theboss.io", status.Expectation("live", None, LIVE_TARGET), (NAMESERVER,), (RESOLVER,),
        f"https://{DOMAIN}/", 2.0, overrun=None, sources={"maintenance": "name pattern", "live": "stack file"},
        outputs_problem="the Pulumi CLI is not installed",
    )
    assert status.make_plan(plan_args(tmp_path, url="http://127.0.0.1:8080/x", http=False)).url == "http://127.0.0.1:8080/x"
    assert status.make_plan(plan_args(tmp_path)).url is None


def test_the_plan_takes_the_targets_from_the_stack_outputs(tmp_path, monkeypatch):
    folder = stack_file(tmp_path, True, live="liveLoadBalancer: elb-production-boss")
    outputs = {"distributionDomain": DISTRIBUTION, "liveTarget": LIVE_TARGET, "mode": "maintenance"}
    # Pulumi finds the project (Pulumi.yaml) from its working directory: the stack's folder.
    monkeypatch.setenv("PATH", fake_pulumi(folder, f"[ \"$(pwd -P)\" = '{folder.resolve()}' ] || exit 1\n"
                                                   f"echo '{json.dumps(outputs)}'"))
    plan = status.make_plan(plan_args(folder, nameserver=[]))
    assert (plan.expectation, plan.nameservers, plan.sources, plan.outputs_problem) == (
        status.Expectation("maintenance", DISTRIBUTION, LIVE_TARGET), (),
        {"maintenance": "stack output", "live": "stack output"}, None)


def test_without_resolver_options_the_plan_asks_the_systems(tmp_path, monkeypatch):
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 192.0.2.53\n")
    monkeypatch.setattr(status, "RESOLV_CONF", str(conf))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    plan = status.make_plan(plan_args(stack_file(tmp_path, False), resolver=[]))
    assert plan.resolvers == (status.Server("resolver", "192.0.2.53:53", "192.0.2.53", 53),)


def test_the_http_check_asks_for_json_and_classifies_the_answer(api):
    api.response = ApiServer.MAINTENANCE
    assert status.probe_http(api.url, 5.0) == status.Answer("http", api.url, "maintenance", "503 application/json")
    api.response = ApiServer.LIVE
    assert status.probe_http(api.url, 5.0) == status.Answer("http", api.url, "live", "200 application/json")
    assert [request["headers"]["Accept"] for request in api.requests] == ["application/json"] * 2
    refused = status.probe_http(f"http://{closed_port()}/", 5.0)
    assert (refused.role, refused.state, refused.answer) == ("http", "failed", None)
    assert refused.error.startswith("ConnectError: ")


def test_the_command_in_process_asks_each_server_and_reports(tmp_path, dnsmasq, monkeypatch, capsys):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    server = dnsmasq({DOMAIN: LIVE_TARGET}, ttl=300)
    folder = stack_file(tmp_path, maintenance=False)
    assert main(["status", "window", "--cwd", str(folder), *both_roles(server)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{DOMAIN} (stack window) should be in live mode"
    assert [line.split()[:2] for line in out[2:4]] == [["ok", "authoritative"], ["ok", "resolver"]]
    assert out[-1] == "2/2 agree with live (exit 0)"
    assert main(["status", "window", "--cwd", str(folder), *both_roles(server), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["exit"], [answer["ttl"] for answer in document["answers"]]) == (0, [300, 300])
    assert main(["status", "window", "--cwd", str(folder), *both_roles(server), "--wait", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["elapsedSeconds"] >= 0 and captured.err == ""


def test_the_command_in_process_exits_1_while_a_server_disagrees_and_2_on_bad_config(tmp_path, dnsmasq, monkeypatch,
                                                                                   capsys):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    server = dnsmasq({DOMAIN: LIVE_TARGET}, ttl=300)
    folder = stack_file(tmp_path, maintenance=True)
    arguments = ["status", "window", "--cwd", str(folder), *both_roles(server)]
    assert main([*arguments, "--wait", "--timeout", "0.2", "--interval", "0.1"]) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("gave up after 0s: 0/2 agree with maintenance; ")
    (folder / "Pulumi.window.yaml").write_text("config:\n  api-maintenance:ttl: x\n")
    assert main(arguments) == 2
    assert capsys.readouterr().err.startswith("error: api-maintenance:ttl must be a whole number")


def test_the_options_defaults_and_types():
    parser = argparse.ArgumentParser()
    status.add_arguments(parser)
    args = parser.parse_args(["window"])
    assert (args.stack, args.nameserver, args.resolver, args.http, args.url, args.wait, args.timeout, args.interval,
            args.query_timeout, args.json, args.cwd) == ("window", [], [], False, None, False, None, None, 3.0, False, ".")
    args = parser.parse_args(["window", "--nameserver", "ns1.example.net", "--nameserver", "[::1]:5353",
                              "--resolver", "192.0.2.53", "--http", "--url", "https://api.example.com/health", "--wait",
                              "--timeout", "60", "--interval", "0.5", "--query-timeout", "1", "--json", "--cwd", "x"])
    assert (args.nameserver, args.resolver, args.http, args.url, args.wait, args.timeout, args.interval,
            args.query_timeout, args.json, args.cwd) == (
        [("ns1.example.net", 53), ("::1", 5353)], [("192.0.2.53", 53)], True, "https://api.example.com/health", True,
        60.0, 0.5, 1.0, True, "x")


def test_wait_without_timeout_or_interval_polls_every_5s_for_900s(monkeypatch, capsys):
    parser = argparse.ArgumentParser()
    status.add_arguments(parser)
    given = []
    monkeypatch.setattr(status, "make_plan", lambda args: plan_for("live"))
    monkeypatch.setattr(status, "wait", lambda plan, timeout, interval, out: given.append((timeout, interval)) or ([], 0, 0.0))
    assert status.run(parser.parse_args(["window", "--wait"])) == 0
    assert status.run(parser.parse_args(["window", "--wait", "--timeout", "60", "--interval", "0.5"])) == 0
    assert given == [(900.0, 5.0), (60.0, 0.5)]


class FakeClock:
    """status's `time`, advanced only by its sleeps: what wait() decides at each second, without waiting."""

    def __init__(self):
        self.now, self.slept = 0.0, []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_wait_gives_up_at_the_timeout_to_the_second_after_a_last_shortened_sleep(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(status, "time", clock)
    stale = [status.Answer("resolver", "r", "maintenance", DISTRIBUTION, 60)]
    answers, code, elapsed = status.wait(ScriptedPlan("live", *[stale] * 5), timeout=9.5, interval=3, out=io.StringIO())
    # Checks at 0, 3, 6 and 9 s; the last sleep is cut to the 0.5 s left; the check at 9.5 s is the last.
    assert (clock.slept, elapsed, code, answers) == ([3, 3, 3, 0.5], 9.5, 1, stale)


def test_the_zone_name_servers_are_looked_up_at_the_resolvers_own_port(dnsmasq):
    server = dnsmasq({DOMAIN: DISTRIBUTION}, extra=(f"--auth-server=ns1.theboss.io,{fresh_address()}",
                                                    "--auth-zone=theboss.io"))
    resolver = status.Server("resolver", server.endpoint, server.address, server.port)
    found = status._first_answer("theboss.io", "NS", [resolver], time.monotonic() + 2)
    assert [record.target.to_text() for record in found] == ["ns1.theboss.io."]


def test_when_every_resolver_fails_the_error_names_each_and_comes_at_the_timeout():
    dead = [SilentServer(), SilentServer()]
    resolvers = [status.Server("resolver", server.endpoint, server.address, server.port) for server in dead]
    started = time.monotonic()
    try:
        with pytest.raises(dns.exception.DNSException) as failure:
            status.authoritative_servers("theboss.io", resolvers, timeout=0.3)
    finally:
        for server in dead:
            server.close()
    took = time.monotonic() - started
    parts = str(failure.value).split("; ")
    assert len(parts) == 2 and parts == sorted(parts)
    for server in dead:
        [part] = [part for part in parts if f" Server Do53:{server.address}@{server.port} answered " in part]
        assert part.startswith("The resolution lifetime expired after ")
        assert part.endswith(" answered The DNS operation timed out.")
    # Each dead resolver gets the whole timeout, and no more.
    assert 0.3 <= took < 1.0, f"took {took:.2f}s"


def test_a_server_name_that_does_not_resolve_is_named(monkeypatch):
    def not_found(host, port, type):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(status.socket, "getaddrinfo", not_found)
    with pytest.raises(OSError, match="^cannot find the address of dns.example.net: Name or service not known$"):
        status._servers("resolver", "dns.example.net", 53)


def test_the_http_check_sends_a_get_and_trusts_ssl_cert_file(monkeypatch, serve, cacert):
    api = serve(live_api(), name="127.0.0.1")
    url = f"https://{api.endpoint}/health"
    # httpx.create_ssl_context: "if trust_env and os.environ.get("SSL_CERT_FILE")" (httpx/_config.py).
    monkeypatch.setenv("SSL_CERT_FILE", cacert)
    assert status.probe_http(url, 5) == status.Answer("http", url, "live", answer="200 application/json")
    assert [(r["method"], r["path"], r["headers"]["Accept"]) for r in api.requests] == [
        ("GET", "/health", "application/json")]
    # Without it, httpx's own bundle (certifi) is trusted, and the test CA is not.
    monkeypatch.delenv("SSL_CERT_FILE")
    untrusted = status.probe_http(url, 5)
    assert untrusted.state == "failed" and "CERTIFICATE_VERIFY_FAILED" in untrusted.error


def test_the_http_check_of_an_answer_without_content_type_gives_its_status(monkeypatch, serve, cacert):
    api = serve(lambda method, path, headers: (204, {}, ""), name="127.0.0.1")
    monkeypatch.setenv("SSL_CERT_FILE", cacert)
    url = f"https://{api.endpoint}/"
    assert status.probe_http(url, 5) == status.Answer("http", url, "live", answer="204")


@pytest.mark.parametrize("error, text", [
    (httpx.ConnectTimeout("connect"), "timeout: no connection within 2s"),
    (httpx.ReadTimeout("read"), "slow: the answer was not complete within 2s"),
    (httpx.ConnectError("[Errno 111] Connection refused"), "ConnectError: [Errno 111] Connection refused"),
], ids=["no connection", "slow", "refused"])
def test_the_http_check_names_each_failure(monkeypatch, error, text):
    def fail(self, *arguments, **options):
        raise error

    monkeypatch.setattr(status.BoundedClient, "fetch", fail)
    url = "https://api.example.com/"
    assert status.probe_http(url, 2) == status.Answer("http", url, "failed", error=text)


def test_a_name_with_no_cname_is_unknown_saying_so(tmp_path, dnsmasq):
    server = dnsmasq({}, extra=(f"--host-record={DOMAIN},192.0.2.10",))
    document = json.loads(run_status(stack_file(tmp_path, False), *both_roles(server), "--json").stdout)
    assert [(a["role"], a["server"], a["state"], a["answer"]) for a in document["answers"]] == [
        ("authoritative", server.endpoint, "unknown", "no CNAME record"),
        ("resolver", server.endpoint, "unknown", "no CNAME record")]


@pytest.mark.parametrize("error, text", [
    (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
    (OSError(101, "Network is unreachable"), "OSError: [Errno 101] Network is unreachable"),
], ids=["refused", "unreachable"])
def test_a_query_that_cannot_be_sent_names_why(monkeypatch, error, text):
    def fail(*arguments, **options):
        raise error

    monkeypatch.setattr(status.dns.query, "udp", fail)
    server = status.Server("resolver", "192.0.2.53:53", "192.0.2.53", 53)
    assert status.ask(server, DOMAIN, status.Expectation("live"), 1) == status.Answer(
        "resolver", "192.0.2.53:53", "failed", error=text)


def test_a_stack_file_that_differs_from_git_head_is_said_after_the_report(tmp_path, dnsmasq):
    server = dnsmasq({DOMAIN: LIVE_TARGET})
    folder = stack_file(tmp_path, False)
    git = ["git", "-C", str(folder), "-c", "user.name=Ops", "-c", "user.email=ops@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "the stacks"], check=True)
    assert run_status(folder, *both_roles(server)).stdout.splitlines()[-1] == "2/2 agree with live (exit 0)"
    stack_file(folder, False, extra="  api-maintenance:message: edited here\n")
    result = run_status(folder, *both_roles(server))
    assert result.stdout.splitlines()[-2] == "2/2 agree with live (exit 0)"
    assert result.stdout.splitlines()[-1].startswith("note: Pulumi.window.yaml differs from git HEAD")
    assert "note:" not in run_status(folder, *both_roles(server), "--json").stdout


def test_http_asks_the_stack_s_live_path(tmp_path, monkeypatch):
    """Issue 20: --http requests the path the live API answers, the stack's livePath (default /)."""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    folder = stack_file(tmp_path, False, extra="  api-maintenance:livePath: /health\n")
    assert status.make_plan(plan_args(folder, http=True)).url == f"https://{DOMAIN}/health"
