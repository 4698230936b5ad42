"""`python -m maintenance preflight` against HTTPS servers on loopback with certificates from a test CA."""

from __future__ import annotations

import argparse
import dataclasses
import json
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
import trustme

from commands import OVERRUN_NOTE, DOMAIN, LIVE_TARGET, ROOT, fake_pulumi, run_command, stack_file
from edge_runtime import distribution
from loopback_servers import (
    HttpServer, StalledServer, StreamingServer, closed_port, dripping, http_answer, huge, started_servers,
)
from maintenance.cli import preflight as preflight_command
from maintenance.edge import ALLOWED_METHODS
from maintenance.settings import load_from_stack_file
from requirements import require_program
from test_page import CHROMIUM_ARGS

EXPIRES = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30, hours=1)
MARKER = '<meta name="api-maintenance" content="on">'


def edge(folder, **changes):
    """The maintenance distribution for the stack file in folder: the real function and page."""
    return distribution(dataclasses.replace(load_from_stack_file(folder, "window"), **changes))


def request_kind(method, headers) -> str:
    if method == "OPTIONS":
        return "cors"
    return "browser" if headers.get("Sec-Fetch-Mode") == "navigate" else "api"


def tampered(answer, kind, change):
    """answer, with its responses to one kind of request ("api", "browser", "cors") changed."""

    def tampered_answer(method, path, headers):
        status, response_headers, body = answer(method, path, headers)
        if request_kind(method, headers) == kind:
            return change(status, dict(response_headers), body)
        return status, response_headers, body

    return tampered_answer


def without(header):
    return lambda status, headers, body: (status, {k: v for k, v in headers.items() if k != header}, body)


def live_api(status: int = 200, headers: dict[str, str] | None = None):
    def answer(method, path, request_headers):
        if status >= 500:
            return status, {"Content-Type": "text/plain"}, "Internal Server Error"
        return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps({"healthy": True})

    return answer


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def cacert(ca, tmp_path):
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def serve(ca):
    yield from started_servers(
        lambda answer, name=DOMAIN, not_after=EXPIRES: HttpServer(answer, ca.issue_cert(name, not_after=not_after)),
        HttpServer.close
    )


@pytest.fixture
def maintenance_stack(tmp_path):
    return stack_file(tmp_path, maintenance=False, extra="  api-maintenance:responseCode: \"503\"\n")


def preflight(folder, *arguments, **options):
    result = run_command("preflight", folder, *arguments, **options)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_maintenance_distribution_passes_every_check_as_the_domain(maintenance_stack, serve, cacert):
    distribution = serve(edge(maintenance_stack))
    result = preflight(maintenance_stack, "--to", "maintenance", "--connect", distribution.endpoint, "--cacert", cacert)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"preflight to maintenance: {DOMAIN} (stack window) at {distribution.endpoint} (--connect)"
    assert lines[1].startswith(f"  ok  tls      certificate valid for {DOMAIN}, TLSv1.3, expires in 30 days "
                               f"({EXPIRES:%Y-%m-%d})")
    assert lines[2] == ("  ok  api      GET / with Accept: application/json -> 503 application/json; charset=utf-8, "
                        "maintenance JSON, Retry-After 300")
    assert lines[3] == ("  ok  browser  GET / as a browser navigation -> 503 text/html; charset=utf-8, "
                        "with the api-maintenance marker (responseCode 503), Retry-After 300")
    assert lines[4] == ("  ok  cors     OPTIONS / as a CORS preflight from https://app.example.com -> 204, "
                        "Access-Control-Allow-Origin https://app.example.com, -Allow-Credentials true, "
                        f"-Allow-Methods {', '.join(ALLOWED_METHODS)}")
    assert lines[5] == "4/4 checks passed: ready to switch to maintenance (exit 0)"
    # Every request went to the given address as the domain: SNI and Host.
    assert set(distribution.sni) == {DOMAIN}
    assert [(r["method"], r["headers"]["Host"]) for r in distribution.requests] == [
        ("GET", DOMAIN), ("GET", DOMAIN), ("OPTIONS", DOMAIN)]
    navigation = distribution.requests[1]["headers"]
    assert (navigation["Sec-Fetch-Mode"], navigation["Sec-Fetch-Dest"]) == ("navigate", "document")
    assert navigation["Accept"].startswith("text/html,")


def test_page_with_another_status_than_the_stacks_response_code_fails(maintenance_stack, serve, cacert):
    distribution = serve(edge(maintenance_stack, response_code=200))
    result = preflight(maintenance_stack, "--to", "maintenance", "--connect", distribution.endpoint, "--cacert", cacert)
    assert result.returncode == 1
    assert "  NOT browser  GET / as a browser navigation -> 200 text/html" in result.stdout
    assert result.stdout.splitlines()[-1] == "3/4 checks passed: do not switch to maintenance yet (exit 1)"


@pytest.mark.parametrize("kind, change, line", [
    ("api", without("retry-after"),
     "  NOT api      GET / with Accept: application/json -> 503 application/json; charset=utf-8, maintenance JSON, "
     "Retry-After missing"),
    ("browser", lambda status, headers, body: (status, headers, body.replace(MARKER, "")),
     "  NOT browser  GET / as a browser navigation -> 503 text/html; charset=utf-8, without the api-maintenance marker"),
    ("browser", without("retry-after"),
     "  NOT browser  GET / as a browser navigation -> 503 text/html; charset=utf-8, with the api-maintenance marker "
     "(responseCode 503), Retry-After missing"),
    ("browser", lambda status, headers, body: (500, headers, body),
     "  NOT browser  GET / as a browser navigation -> 500 text/html; charset=utf-8, with the api-maintenance marker "
     "(responseCode 503), Retry-After 300"),
    ("cors", lambda status, headers, body: (403, headers, body),
     "  NOT cors     OPTIONS / as a CORS preflight from https://app.example.com -> 403, "),
    # A browser follows no redirect of a preflight: "The CORS-preflight response's status must be an OK
    # status" (Fetch standard, CORS-preflight fetch), 200 to 299.
    ("cors", lambda status, headers, body: (302, {**headers, "location": "https://other.example/"}, body),
     "  NOT cors     OPTIONS / as a CORS preflight from https://app.example.com -> 302, "),
    ("cors", without("access-control-allow-origin"),
     "  NOT cors     OPTIONS / as a CORS preflight from https://app.example.com -> 204, "
     "Access-Control-Allow-Origin missing, -Allow-Credentials true"),
    ("cors", lambda status, headers, body: (status, {**headers, "access-control-allow-origin": "*"}, body),
     "-> 204, Access-Control-Allow-Origin *, -Allow-Credentials true"),
    ("cors", lambda status, headers, body: (status, {**headers, "access-control-allow-origin": "https://other.example"},
                                            body),
     "-> 204, Access-Control-Allow-Origin https://other.example, -Allow-Credentials true"),
    ("cors", without("access-control-allow-credentials"),
     "-> 204, Access-Control-Allow-Origin https://app.example.com, -Allow-Credentials missing"),
    ("cors", lambda status, headers, body: (status, {**headers, "access-control-allow-methods": "GET, HEAD"}, body),
     ", -Allow-Methods GET, HEAD"),
], ids=["api without Retry-After", "page without marker", "page without Retry-After", "page with status 500",
        "cors 403", "cors 302",
        "cors without Allow-Origin", "cors with *", "cors with another origin",
        "cors without credentials", "cors without POST"])
def test_a_distribution_breaking_one_part_of_the_contract_is_not_ready(maintenance_stack, serve, cacert, kind, change,
                                                                       line):
    distribution = serve(tampered(edge(maintenance_stack), kind, change))
    result = preflight(maintenance_stack, "--to", "maintenance", "--connect", distribution.endpoint, "--cacert", cacert)
    assert result.returncode == 1, result.stdout
    assert line in result.stdout
    assert [row.split()[:2] for row in result.stdout.splitlines()[1:5] if row.startswith("  NOT")] == [["NOT", kind]]
    assert result.stdout.splitlines()[-1] == "3/4 checks passed: do not switch to maintenance yet (exit 1)"


def test_live_api_passes_before_maintenance_is_turned_off(tmp_path, serve, cacert):
    api = serve(live_api())
    result = preflight(stack_file(tmp_path, True), "--to", "live", "--connect", api.endpoint, "--cacert", cacert,
                       "--path", "/health")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "  ok  api  GET /health with Accept: application/json -> 200 application/json" in result.stdout
    assert result.stdout.splitlines()[-1] == "2/2 checks passed: ready to switch to live (exit 0)"
    assert [(r["path"], r["headers"]["Host"], r["headers"]["Accept"]) for r in api.requests] == [
        ("/health", DOMAIN, "application/json")]


def test_live_api_answering_500_is_not_ready(tmp_path, serve, cacert):
    api = serve(live_api(500))
    result = preflight(stack_file(tmp_path, True), "--to", "live", "--connect", api.endpoint, "--cacert", cacert,
                       "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["ready"] is False and document["exit"] == 1 and document["to"] == "live"
    assert [(c["name"], c["ok"]) for c in document["checks"]] == [("tls", True), ("api", False)]
    assert document["checks"][1]["detail"] == "GET / with Accept: application/json -> 500 text/plain"


def test_live_check_refuses_the_maintenance_answer(tmp_path, serve, cacert):
    distribution = serve(edge(stack_file(tmp_path, True)))
    result = preflight(tmp_path, "--to", "live", "--connect", distribution.endpoint,
                       "--cacert", cacert)
    assert result.returncode == 1
    assert ("  NOT api  GET / with Accept: application/json -> 503 application/json; charset=utf-8, "
            "the maintenance answer") in result.stdout


def test_certificate_for_another_name_fails_saying_certificate(maintenance_stack, serve, cacert):
    other = serve(edge(maintenance_stack), name="other.example.com")
    result = preflight(maintenance_stack, "--to", "maintenance", "--connect", other.endpoint, "--cacert", cacert)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[1].startswith(f"  NOT tls  certificate not valid for {DOMAIN}: Hostname mismatch")
    assert lines[-1] == "0/1 checks passed: do not switch to maintenance yet (exit 1)"
    assert other.requests == []


def test_certificate_from_an_untrusted_ca_fails_against_the_system_store(maintenance_stack, serve):
    distribution = serve(edge(maintenance_stack))
    result = preflight(maintenance_stack, "--to", "maintenance", "--connect", distribution.endpoint)
    assert result.returncode == 1
    assert f"  NOT tls  certificate not valid for {DOMAIN}: unable to get local issuer certificate" in result.stdout


def test_closed_port_is_could_not_connect(maintenance_stack, cacert):
    port = closed_port()
    result = preflight(maintenance_stack, "--to", "maintenance", "--connect", port, "--cacert", cacert)
    assert result.returncode == 3
    assert f"  NOT connect  could not connect to {port}: connection refused" in result.stdout
    assert result.stdout.splitlines()[-1] == "0/1 checks passed: could not connect: do not switch (exit 3)"


def test_a_server_that_never_answers_is_could_not_connect(maintenance_stack, cacert):
    stalled = StalledServer()
    try:
        result = preflight(maintenance_stack, "--to", "maintenance", "--connect", stalled.endpoint, "--cacert", cacert,
                           "--timeout", "0.5")
    finally:
        stalled.close()
    assert result.returncode == 3
    assert f"could not connect to {stalled.endpoint}: no answer within 0.5s" in result.stdout


def test_without_connect_or_stack_outputs_exit_2_naming_connect(maintenance_stack):
    result = preflight(maintenance_stack, "--to", "maintenance")
    assert result.returncode == 2
    assert "no target to check for --to maintenance (the Pulumi CLI is not installed): " \
           "give it with --connect HOST[:PORT]" in result.stderr


def test_the_target_is_the_stack_outputs_distribution(maintenance_stack, monkeypatch):
    outputs = {"distributionDomain": "d111111abcdef8.cloudfront.net", "mode": "live"}
    monkeypatch.setenv("PATH", fake_pulumi(maintenance_stack, f"echo '{json.dumps(outputs)}'"))
    args = argparse.Namespace(connect=None, to="maintenance", stack="window", cwd=str(maintenance_stack))
    target = preflight_command.find_target(args, load_from_stack_file(maintenance_stack, "window"))
    assert (target.host, target.port, target.source) == (
        "d111111abcdef8.cloudfront.net", 443, "stack output distributionDomain")


def test_the_live_target_is_the_stack_files_live_target(tmp_path):
    args = argparse.Namespace(connect=None, to="live", stack="window", cwd=str(tmp_path))
    target = preflight_command.find_target(args, load_from_stack_file(stack_file(tmp_path, True), "window"))
    assert (target.host, target.port, target.source) == (LIVE_TARGET, 443, "liveTarget in Pulumi.window.yaml")


def test_a_load_balancer_stack_without_the_pulumi_cli_exit_2_naming_connect(tmp_path):
    result = preflight(stack_file(tmp_path, True, live="liveLoadBalancer: elb-production-boss"), "--to", "live")
    assert result.returncode == 2
    assert "no target to check for --to live (the Pulumi CLI is not installed): give it with --connect HOST[:PORT]" \
        in result.stderr


def test_a_name_not_found_is_could_not_connect(tmp_path, monkeypatch, capsys):
    def no_such_name(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    # In-process, so no name is ever looked up on the network.
    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    stack_file(tmp_path, True, live="liveTarget: live.example.net")
    args = argparse.ArgumentParser()
    preflight_command.add_arguments(args)
    code = preflight_command.run(args.parse_args(["window", "--to", "live", "--cwd", str(tmp_path), "--timeout", "2"]))
    assert code == 3
    assert "  NOT connect  could not connect to live.example.net:443: name not found: live.example.net" \
        in capsys.readouterr().out


# None of these gets as far as a connection: without --connect, the maintenance target would come from
# the stack outputs (no Pulumi CLI here), so a regression ends in a usage error with another message.
@pytest.mark.parametrize("arguments, message", [
    (("--to", "maintenance", "--connect", "a..b"), "'a..b' is not a host name"),
    (("--to", "maintenance", "--connect", "127.0.0.1:0"), "the port must be from 1 to 65535"),
    (("--to", "sideways",), "invalid choice: 'sideways'"),
    (("--to", "maintenance", "--path", "health"), "'health' is not a URL path"),
    (("--to", "maintenance", "--path", "/\x01"), "'/\\x01' is not a URL path: Invalid non-printable ASCII character"),
    (("--to", "maintenance", "--path", "/x#frag"), "'/x#frag': a fragment (#...) is never sent; leave it out"),
    (("--to", "maintenance", "--cacert", ""), "--cacert is empty: give a PEM file"),
    (("--to", "maintenance", "--timeout", "inf"), "argument --timeout: 'inf': must be at most 86400 seconds"),
    (("--to", "maintenance", "--timeout", "1e309"), "argument --timeout: '1e309': must be at most 86400 seconds"),
    (("--to", "maintenance", "--connect", "[::1"), "'[::1' is not [IPV6] or [IPV6]:PORT"),
    (("--to", "maintenance", "--cacert", "/nonexistent/ca.pem"), "--cacert /nonexistent/ca.pem"),
    (("--to", "live", "--bogus"), "unrecognized arguments: --bogus"),
])
def test_usage_errors_exit_2(maintenance_stack, arguments, message):
    result = preflight(maintenance_stack, *arguments)
    assert result.returncode == 2
    assert message in result.stderr
    assert "usage: python -m maintenance preflight" in result.stderr or message.startswith("--cacert")


def test_a_malformed_stack_file_exits_2_naming_the_problem(tmp_path):
    (tmp_path / "Pulumi.window.yaml").write_text("config: [unclosed\n")
    result = preflight(tmp_path, "--to", "maintenance")
    assert result.returncode == 2
    assert "Pulumi.window.yaml: line 2, column 1 is not valid YAML" in result.stderr


def test_help_lists_the_exit_codes(maintenance_stack):
    result = preflight(maintenance_stack, "--help")
    assert result.returncode == 0
    assert "exit codes:" in result.stdout and '"certificate"' in result.stdout and "130" in result.stdout



def test_the_browser_check_sends_what_chromium_sends_on_a_navigation(maintenance_stack, serve):
    chromium = require_program("chromium")
    from playwright.sync_api import sync_playwright

    distribution = serve(edge(maintenance_stack))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            # The certificate is for the domain, not for 127.0.0.1: this test is about headers, not TLS.
            tab = browser.new_context(ignore_https_errors=True).new_page()
            status = tab.goto(f"https://{distribution.endpoint}/").status
        finally:
            browser.close()
    sent = distribution.requests[0]["headers"]
    assert status == 503  # the fake distribution took Chromium's navigation for one
    ours = preflight_command.BROWSER_NAVIGATION_HEADERS
    assert (sent["Sec-Fetch-Mode"], sent["Sec-Fetch-Dest"]) == (ours["Sec-Fetch-Mode"], ours["Sec-Fetch-Dest"])
    assert sent["Accept"].split(",")[:3] == ours["Accept"].split(",")[:3] == [
        "text/html", "application/xhtml+xml", "application/xml;q=0.9"]


@pytest.mark.parametrize("status, headers, ok, detail", [
    (200, {}, True, "200 application/json"),
    (302, {"Location": "/login"}, True, "302 application/json"),
    (404, {}, False, "404 application/json: a 404 is no sign of a ready API; if /health is not a path the API "
                     "answers, give one with --path (e.g. --path /health)"),
    (403, {}, False, "403 application/json: a 403 is no sign of a ready API"),
], ids=["200", "302", "404", "403"])
def test_the_live_api_is_ready_on_2xx_or_3xx_only(tmp_path, serve, cacert, status, headers, ok, detail):
    api = serve(live_api(status, headers))
    result = preflight(stack_file(tmp_path, True), "--to", "live", "--connect", api.endpoint, "--cacert", cacert,
                       "--path", "/health")
    assert result.returncode == (0 if ok else 1), result.stdout
    assert f"  {'ok ' if ok else 'NOT'} api  GET /health with Accept: application/json -> {detail}" in result.stdout


@pytest.mark.parametrize("days_left, until, ok, reason", [
    (6, None, False, ": the certificate expires within 7 days, so its renewal has failed (ACM renews 60 days ahead); "
                     "renew or replace it"),
    (8, None, True, ""),
    (30, 31, False, ": the certificate expires before the window ends (until {until:%Y-%m-%d %H:%M} UTC); "
                    "renew or replace it"),
    (30, 29, True, ""),
], ids=["6 days left", "8 days left", "expires before until", "expires after until"])
def test_the_certificate_must_outlast_the_window(tmp_path, serve, cacert, days_left, until, ok, reason):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    expires, end = now + timedelta(days=days_left, hours=1), until and now + timedelta(days=until)
    extra = f"  api-maintenance:until: {end:%Y-%m-%dT%H:%M:%SZ}\n" if end else ""
    api = serve(live_api(), not_after=expires)
    result = preflight(stack_file(tmp_path, True, extra=extra), "--to", "live", "--connect", api.endpoint,
                       "--cacert", cacert)
    assert result.returncode == (0 if ok else 1), result.stdout
    tls = result.stdout.splitlines()[1]
    assert tls == (f"  {'ok ' if ok else 'NOT'} tls  certificate valid for {DOMAIN}, TLSv1.3, expires in {days_left} "
                   f"days ({expires:%Y-%m-%d}){reason.format(until=end)}")


def test_a_switch_into_a_window_past_its_until_says_it_has_overrun(maintenance_stack, serve, cacert):
    with (maintenance_stack / "Pulumi.window.yaml").open("a") as stack:
        stack.write("  api-maintenance:until: 2020-01-01T06:00:00Z\n")
    distribution = serve(edge(maintenance_stack))
    arguments = ("--connect", distribution.endpoint, "--cacert", cacert)
    result = preflight(maintenance_stack, "--to", "maintenance", *arguments)
    assert result.stdout.splitlines()[1] == f"  note: {OVERRUN_NOTE}"
    assert json.loads(preflight(maintenance_stack, "--to", "maintenance", "--json", *arguments).stdout)["overrun"] == OVERRUN_NOTE
    # Ending the window: nothing to update.
    assert json.loads(preflight(maintenance_stack, "--to", "live", "--json", *arguments).stdout)["overrun"] is None


def test_a_dripping_answer_is_too_slow_and_ends_at_the_timeout(maintenance_stack, ca, cacert):
    # 923 bytes, 10 every half second: 46 s of answer, which httpx's per-read timeout let run to its end.
    body = json.dumps({"users": ["x" * 20] * 35}).encode()
    dripper = StreamingServer(dripping(http_answer(body)), ca.issue_cert(DOMAIN, not_after=EXPIRES))
    try:
        started = time.monotonic()
        result = preflight(maintenance_stack, "--to", "live", "--connect", dripper.endpoint, "--cacert", cacert,
                           "--timeout", "1")
        took = time.monotonic() - started
    finally:
        dripper.close()
    assert result.returncode == 3, result.stdout
    assert result.stdout.splitlines()[1:] == [
        f"  NOT answer  {dripper.endpoint} answered, but its answer was not complete within 1s (--timeout): too slow",
        "0/1 checks passed: too slow: do not switch (exit 3)"]
    # Python's start-up plus the timeout.
    assert took < 1 + 1.5, f"took {took:.1f}s"


def test_a_huge_answer_is_read_up_to_a_bound(maintenance_stack, ca, cacert):
    server = StreamingServer(huge(300), ca.issue_cert(DOMAIN, not_after=EXPIRES))
    # The largest resident size of the one child the wrapper runs: this test process's own children
    # (Chromium, other commands) do not count.
    wrapper = ("import resource, subprocess, sys; "
               "subprocess.run(sys.argv[1:], capture_output=True); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    command = [sys.executable, "-m", "maintenance", "preflight", "window", "--cwd", str(maintenance_stack),
               "--to", "maintenance", "--connect", server.endpoint, "--cacert", cacert, "--timeout", "30"]
    try:
        measured = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True,
                                  timeout=90, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    finally:
        server.close()
    peak_megabytes = int(measured.stdout) / 1024  # ru_maxrss is in kilobytes on Linux (getrusage(2))
    # Three answers of 300 MB each, read whole, took 1.8 GB.
    assert peak_megabytes < 150, f"peak {peak_megabytes:.0f} MB"


@pytest.mark.parametrize("arguments, error", [
    (("--to", "sideways"), "argument --to: invalid choice: 'sideways'"),
    (("--to", "live", "--timeout", "0"), "argument --timeout: '0': must be more than 0 seconds"),
    (("--to", "maintenance"), "no target to check for --to maintenance (the Pulumi CLI is not installed)"),
    (("--bogus",), "the following arguments are required: --to"),
])
def test_json_errors_are_one_document_on_stdout(maintenance_stack, arguments, error):
    result = preflight(maintenance_stack, "--json", *arguments)
    assert result.returncode == 2
    document = json.loads(result.stdout)
    assert document["exit"] == 2 and error in document["error"]
    assert error in result.stderr


def test_json_of_the_checks_has_exit_and_error_too(tmp_path, serve, cacert):
    folder = stack_file(tmp_path, True)
    ready = json.loads(preflight(folder, "--to", "live", "--connect", serve(live_api()).endpoint, "--cacert", cacert,
                                 "--json").stdout)
    assert (ready["exit"], ready["error"]) == (0, None)
    broken = json.loads(preflight(folder, "--to", "live", "--connect", serve(live_api(500)).endpoint,
                                  "--cacert", cacert, "--json").stdout)
    assert (broken["exit"], broken["error"]) == (1, "do not switch to live yet")


def test_a_long_rejected_path_is_not_echoed_in_full(maintenance_stack):
    path = "/" + "a" * 100_000
    result = preflight(maintenance_stack, "--to", "live", "--path", path, "--json")
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert error == f"argument --path: {path[:60]!r}... (100001 characters) is not a URL path: URL too long"
    assert len(result.stderr) < 1000
