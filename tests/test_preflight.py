"""`python -m maintenance preflight` against HTTPS servers on loopback with certificates from a test CA."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import trustme

from commands import OVERRUN_NOTE, DOMAIN, LIVE_TARGET, ROOT, fake_pulumi, run_command, stack_file
from edge_runtime import distribution
from loopback_servers import (
    HttpServer, StalledServer, StreamingServer, closed_port, dripping, http_answer, huge, started_servers,
)
from maintenance.cli import preflight as preflight_command
from maintenance.cli.bounded_http import BoundedResponse
from maintenance.cli.local_edge import LiveOrigin
from maintenance.cli.preflight import (
    Check, Target, TlsFailure, TooSlow, Unreachable, api_check, as_json, cors_check, live_check, navigation_check, report,
    run_checks, tls_check, url_path,
)
from maintenance.edge import ALLOWED_METHODS, STORE_MAINTENANCE
from maintenance.settings import SettingsError, load_from_stack_file, parse_settings
from requirements import require_program
from test_page import CHROMIUM_ARGS

EXPIRES = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30, hours=1)
MARKER = '<meta name="api-maintenance" content="on">'


def edge(folder, store_mode: str = STORE_MAINTENANCE, **changes):
    """The maintenance distribution for the stack file in folder: the real function and page.

    A live-origin stack's origin `live` is a port nothing listens on: a request passed there gets
    CloudFront's 502, which no preflight check expects; store_mode is its store's `mode` key.
    """
    settings = dataclasses.replace(load_from_stack_file(folder, "window"), **changes)
    live = LiveOrigin(f"http://{closed_port()}") if settings.live_origin else None
    return distribution(settings, live=live, store_mode=store_mode)


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
    # Every request went to the given address as the domain: SNI and Host; each names preflight.
    assert set(distribution.sni) == {DOMAIN}
    assert {value for request in distribution.requests for name, value in request["headers"].items()
            if name.lower() == "user-agent"} == {"api-maintenance-preflight"}
    assert [(r["method"], r["headers"]["Host"]) for r in distribution.requests] == [
        ("GET", DOMAIN), ("GET", DOMAIN), ("OPTIONS", DOMAIN)]
    navigation = distribution.requests[1]["headers"]
    assert (navigation["Sec-Fetch-Mode"], navigation["Sec-Fetch-Dest"]) == ("navigate", "document")
    assert navigation["Accept"].startswith("text/html,")
    # The preview header is for a live-origin distribution only: a real client never sends it.
    assert not any("x-maintenance-preview" in map(str.lower, r["headers"]) for r in distribution.requests)


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


@pytest.mark.parametrize("extra", ["", "  api-maintenance:liveOrigin: \"true\"\n"], ids=["", "liveOrigin"])
def test_live_api_passes_before_maintenance_is_turned_off(tmp_path, serve, cacert, extra):
    api = serve(live_api())
    result = preflight(stack_file(tmp_path, True, extra=extra), "--to", "live", "--connect", api.endpoint,
                       "--cacert", cacert, "--path", "/health")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "  ok  api  GET /health with Accept: application/json -> 200 application/json" in result.stdout
    assert result.stdout.splitlines()[-1] == "2/2 checks passed: ready to switch to live (exit 0)"
    assert [(r["path"], r["headers"]["Host"], r["headers"]["Accept"]) for r in api.requests] == [
        ("/health", DOMAIN, "application/json")]
    # The live API is checked as its clients reach it: without the distribution's preview header.
    assert not any("x-maintenance-preview" in map(str.lower, r["headers"]) for r in api.requests)


def test_the_stack_s_live_path_is_the_live_check_s_default_and_the_maintenance_check_keeps_slash(tmp_path, serve,
                                                                                                   cacert):
    """Issue 20: off, preflight --to live and status --http agree on the live API's path without flags."""
    api = serve(live_api())
    folder = stack_file(tmp_path, True, extra="  api-maintenance:livePath: /health?deep=1\n")
    result = preflight(folder, "--to", "live", "--connect", api.endpoint, "--cacert", cacert)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [request["path"] for request in api.requests] == ["/health?deep=1"]
    given = preflight(folder, "--to", "live", "--connect", api.endpoint, "--cacert", cacert, "--path", "/other")
    assert given.returncode == 0 and api.requests[-1]["path"] == "/other"
    distribution = serve(edge(folder))
    to_maintenance = preflight(folder, "--to", "maintenance", "--connect", distribution.endpoint, "--cacert", cacert)
    assert to_maintenance.returncode == 0, to_maintenance.stdout + to_maintenance.stderr
    assert {request["path"] for request in distribution.requests} == {"/"}


@pytest.mark.parametrize("value", ["health", "/a b", "/x#y", "/" + "x" * 200, "/café"])
def test_a_live_path_that_is_no_url_path_names_the_setting_and_its_fix(tmp_path, value):
    folder = stack_file(tmp_path, True, extra=f"  api-maintenance:livePath: '{value}'\n")
    result = preflight(folder, "--to", "live")
    assert result.returncode == 2
    assert "api-maintenance:livePath" in result.stderr and "such as /health" in result.stderr
    assert "pulumi config set livePath /health -s window" in result.stderr


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


def test_the_certificate_rules_at_their_boundaries():
    """"Fewer than 7 days left means renewal failed" (issue 15): 7 days to the second pass. The certificate
    must outlast the window: one that expires at until itself fails."""
    response = answer(200)
    expires = datetime(2099, 12, 1, 6, 0, tzinfo=timezone.utc)  # answer()'s notAfter
    assert tls_check(DOMAIN, response, expires - timedelta(days=7), None).ok
    assert not tls_check(DOMAIN, response, expires - timedelta(days=7) + timedelta(seconds=1), None).ok
    a_month_before = expires - timedelta(days=30)
    assert not tls_check(DOMAIN, response, a_month_before, expires).ok
    assert tls_check(DOMAIN, response, a_month_before, expires - timedelta(seconds=1)).ok


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


@pytest.mark.parametrize("server, code, line", [
    # --connect given the port of plain HTTP, say.
    (lambda stack, ca: HttpServer(edge(stack)), 1, f"  NOT tls  TLS handshake as {DOMAIN} failed: WRONG_VERSION_NUMBER"),
    (lambda stack, ca: StreamingServer(lambda: iter(()), ca.issue_cert(DOMAIN, not_after=EXPIRES)), 3,
     "  NOT connect  could not connect to {endpoint}: RemoteProtocolError: Server disconnected without sending a "
     "response."),
], ids=["no TLS", "closes without answering"])
def test_a_target_that_fails_before_answering_says_how(maintenance_stack, ca, cacert, server, code, line):
    target = server(maintenance_stack, ca)
    try:
        result = preflight(maintenance_stack, "--to", "maintenance", "--connect", target.endpoint, "--cacert", cacert)
    finally:
        target.close()
    assert result.returncode == code, result.stdout
    verdict = "could not connect: do not switch" if code == 3 else "do not switch to maintenance yet"
    assert result.stdout.splitlines()[1:] == [
        line.format(endpoint=target.endpoint), f"0/1 checks passed: {verdict} (exit {code})"]


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
# --- the checks as pure functions, answer by answer (what mutation testing found unchecked) ------

JSON_503 = {"Content-Type": "application/json", "Retry-After": "300"}
MAINTENANCE_JSON = json.dumps({"maintenance": True, "status": 503})
PAGE = f"<!doctype html><html><head>{MARKER}</head><body>Down</body></html>"


def answer(status, headers=None, text=""):
    """An answer as Prober.send returns it, over TLS 1.3 with a certificate valid far ahead."""
    return BoundedResponse(status, httpx.Headers(headers or {}), text, {"notAfter": "Dec  1 06:00:00 2099 GMT"},
                           "TLSv1.3")


def cors_answer(status=204, **changes):
    headers = {"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Credentials": "true",
               "Access-Control-Allow-Methods": "GET, POST"}
    headers.update({name.replace("_", "-"): value for name, value in changes.items()})
    return answer(status, {name: value for name, value in headers.items() if value is not None})


def test_api_check_needs_the_maintenance_json_and_a_retry_after():
    assert api_check(answer(503, JSON_503, MAINTENANCE_JSON), "/v1") == Check(
        "api", True, "GET /v1 with Accept: application/json -> 503 application/json, maintenance JSON, Retry-After 300")
    assert api_check(answer(503, {"Content-Type": "application/json"}, MAINTENANCE_JSON), "/").detail.endswith(
        "maintenance JSON, Retry-After missing")
    assert not api_check(answer(503, {"Content-Type": "application/json"}, MAINTENANCE_JSON), "/").ok
    assert api_check(answer(200, JSON_503, MAINTENANCE_JSON), "/") == Check(
        "api", False, "GET / with Accept: application/json -> 200 application/json, not the maintenance JSON, Retry-After 300")
    # An answer without a Content-Type shows its status alone.
    assert api_check(answer(503, {"Retry-After": "300"}, MAINTENANCE_JSON), "/") == Check(
        "api", False, "GET / with Accept: application/json -> 503, not the maintenance JSON, Retry-After 300")


def test_navigation_check_needs_the_marker_the_stacks_status_and_with_503_a_retry_after():
    html = {"Content-Type": "text/html", "Retry-After": "300"}
    assert navigation_check(answer(503, html, PAGE), "/", 503) == Check(
        "browser", True, "GET / as a browser navigation -> 503 text/html, with the api-maintenance marker "
                         "(responseCode 503), Retry-After 300")
    assert not navigation_check(answer(503, {"Content-Type": "text/html"}, PAGE), "/", 503).ok
    assert navigation_check(answer(404, {"Content-Type": "text/html"}, PAGE), "/", 404) == Check(
        "browser", True, "GET / as a browser navigation -> 404 text/html, with the api-maintenance marker (responseCode 404)")
    assert not navigation_check(answer(200, html, PAGE), "/", 503).ok
    assert navigation_check(answer(503, html, "<html></html>"), "/", 503) == Check(
        "browser", False, "GET / as a browser navigation -> 503 text/html, without the api-maintenance marker "
                          "(responseCode 503), Retry-After 300")


def test_cors_check_passes_a_2xx_answer_letting_the_origin_send_a_credentialed_post():
    assert cors_check(cors_answer(), "/v1") == Check(
        "cors", True, "OPTIONS /v1 as a CORS preflight from https://app.example.com -> 204, Access-Control-Allow-Origin "
                      "https://app.example.com, -Allow-Credentials true, -Allow-Methods GET, POST")
    assert cors_check(cors_answer(200, Access_Control_Allow_Methods=" get ,post "), "/").ok
    assert cors_check(cors_answer(299), "/").ok


@pytest.mark.parametrize("failing", [
    cors_answer(301), cors_answer(300), cors_answer(199), cors_answer(403),
    cors_answer(Access_Control_Allow_Origin="*"), cors_answer(Access_Control_Allow_Credentials="TRUE"),
    cors_answer(Access_Control_Allow_Methods="GET, PUT"), cors_answer(Access_Control_Allow_Methods="POSTS"),
])
def test_cors_check_fails_any_other_answer(failing):
    assert not cors_check(failing, "/").ok


def test_cors_check_says_which_headers_are_missing():
    missing = cors_answer(Access_Control_Allow_Origin=None, Access_Control_Allow_Credentials=None,
                          Access_Control_Allow_Methods=None)
    assert cors_check(missing, "/") == Check(
        "cors", False, "OPTIONS / as a CORS preflight from https://app.example.com -> 204, Access-Control-Allow-Origin "
                       "missing, -Allow-Credentials missing, -Allow-Methods missing")


def test_live_check_passes_the_api_and_fails_an_error_or_the_maintenance_answer():
    json_200 = {"Content-Type": "application/json"}
    assert live_check(answer(200, json_200, "{}"), "/health") == Check(
        "api", True, "GET /health with Accept: application/json -> 200 application/json")
    assert live_check(answer(302, {"Location": "/"}), "/").ok
    assert live_check(answer(500, json_200, "{}"), "/") == Check(
        "api", False, "GET / with Accept: application/json -> 500 application/json")
    # The first 4xx: a 400 is no more a ready API than a 404.
    assert live_check(answer(400, json_200, "{}"), "/v1") == Check(
        "api", False, "GET /v1 with Accept: application/json -> 400 application/json: a 400 is no sign of a ready "
                      "API; if /v1 is not a path the API answers, give one with --path (e.g. --path /health)")
    assert live_check(answer(503, JSON_503, MAINTENANCE_JSON), "/") == Check(
        "api", False, "GET / with Accept: application/json -> 503 application/json, the maintenance answer")


SETTINGS = parse_settings({"domain": "api.example.com", "liveTarget": "live.example.net"}, "prod")
TARGET = Target("d1.cloudfront.net", 443, "--connect")


@pytest.mark.parametrize("code, last, verdict", [
    (0, "browser", "2/2 checks passed: ready to switch to maintenance (exit 0)"),
    (1, "browser", "2/2 checks passed: do not switch to maintenance yet (exit 1)"),
    (3, "connect", "2/2 checks passed: could not connect: do not switch (exit 3)"),
    (3, "answer", "2/2 checks passed: too slow: do not switch (exit 3)"),
])
def test_report_aligns_the_checks_and_ends_with_the_verdict(code, last, verdict):
    checks = [Check("tls", True, "fine"), Check(last, True, "also fine")]
    width = len(last)
    assert report("maintenance", SETTINGS, TARGET, checks, code, None) == "\n".join([
        "preflight to maintenance: api.example.com (stack prod) at d1.cloudfront.net:443 (--connect)",
        f"  ok  {'tls':<{width}}  fine",
        f"  ok  {last}  also fine",
        verdict,
    ])


def test_report_counts_only_the_passed_checks_and_marks_the_failed():
    checks = [Check("api", False, "no"), Check("cors", True, "yes")]
    assert report("live", SETTINGS, Target("::1", 8443, "--connect"), checks, 1, "overrun").splitlines()[1:] == [
        "  note: overrun", "  NOT api   no", "  ok  cors  yes", "1/2 checks passed: do not switch to live yet (exit 1)"]


def test_json_report_carries_target_verdict_and_checks():
    document = json.loads(as_json("live", SETTINGS, Target("::1", 8443, "--connect"), [Check("api", False, "no")], 1,
                                  None))
    assert document == {"stack": "prod", "domain": "api.example.com", "to": "live",
                        "target": {"host": "::1", "port": 8443, "from": "--connect"}, "ready": False, "exit": 1,
                        "error": "do not switch to live yet", "overrun": None,
                        "checks": [{"name": "api", "ok": False, "detail": "no"}]}
    ready = json.loads(as_json("maintenance", SETTINGS, TARGET, [], 0, "overrun"))
    assert (ready["ready"], ready["error"], ready["overrun"]) == (True, None, "overrun")
    # Exit 3's error tells a connection that failed from an answer that was too slow, as the report does.
    for last, error in (("connect", "could not connect: do not switch"), ("answer", "too slow: do not switch")):
        checks = [Check("tls", True, "fine"), Check(last, False, "no")]
        assert json.loads(as_json("maintenance", SETTINGS, TARGET, checks, 3, None))["error"] == error


def test_an_ipv6_target_is_shown_in_brackets():
    assert (str(Target("::1", 8443, "x")), str(TARGET)) == ("[::1]:8443", "d1.cloudfront.net:443")


@pytest.mark.parametrize("text", ["/", "/health?full=1", "/a%20b"])
def test_a_url_path_is_taken_as_given(text):
    assert url_path(text) == text


@pytest.mark.parametrize("text, message", [
    ("health", "'health' is not a URL path such as / or /health"),
    ("/a b", "'/a b' is not a URL path such as / or /health"),
    ("/a\tb", "'/a\\tb' is not a URL path such as / or /health"),
    ("/x#top", "'/x#top': a fragment (#...) is never sent; leave it out"),
])
def test_a_url_path_that_cannot_be_requested_as_given_is_refused(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match="^" + re.escape(message) + "$"):
        url_path(text)


class ScriptedProber:
    """Answers each request from a list, or raises what the list holds, as Prober.send does."""

    def __init__(self, *answers):
        self.answers, self.sent = list(answers), []
        self.path, self.target = "/v1", TARGET

    def send(self, method, headers):
        self.sent.append((method, headers))
        result = self.answers.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


def test_run_checks_for_maintenance_sends_api_browser_and_cors_requests_in_turn():
    settings = parse_settings({"domain": "api.example.com", "liveTarget": "live.example.net", "responseCode": "503"}, "p")
    prober = ScriptedProber(answer(503, JSON_503, MAINTENANCE_JSON),
                            answer(503, {"Content-Type": "text/html", "Retry-After": "300"}, PAGE), cors_answer())
    checks, code = run_checks("maintenance", settings, prober)
    assert [(check.name, check.ok) for check in checks] == [("tls", True), ("api", True), ("browser", True), ("cors", True)]
    assert checks[0].detail.startswith("certificate valid for api.example.com, TLSv1.3, expires in ")
    assert code == 0
    assert [method for method, _ in prober.sent] == ["GET", "GET", "OPTIONS"]
    assert prober.sent[1][1]["Sec-Fetch-Mode"] == "navigate" and "Origin" in prober.sent[2][1]


def test_run_checks_for_live_is_one_api_check_and_fails_on_a_failed_check():
    checks, code = run_checks("live", SETTINGS, ScriptedProber(answer(500, {"Content-Type": "text/plain"}, "oops")))
    assert [(check.name, check.ok) for check in checks] == [("tls", True), ("api", False)] and code == 1


def test_run_checks_stops_at_a_tls_failure_or_no_answer_with_their_exit_codes():
    checks, code = run_checks("maintenance", SETTINGS, ScriptedProber(TlsFailure("certificate not valid")))
    assert (checks, code) == ([Check("tls", False, "certificate not valid")], 1)
    prober = ScriptedProber(answer(503, JSON_503, MAINTENANCE_JSON), Unreachable("connection refused"))
    checks, code = run_checks("maintenance", SETTINGS, prober)
    assert checks[-1] == Check("connect", False, "could not connect to d1.cloudfront.net:443: connection refused")
    assert [check.name for check in checks] == ["tls", "api", "connect"] and code == 3
    checks, code = run_checks("live", SETTINGS, ScriptedProber(TooSlow("not complete within 1s")))
    assert (checks, code) == ([Check("answer", False, "not complete within 1s")], 3)


def parsed(*arguments):
    parser = argparse.ArgumentParser()
    preflight_command.add_arguments(parser)
    return parser.parse_args(["window", *arguments])


def test_the_options_defaults_and_types():
    args = parsed("--to", "maintenance")
    assert (args.stack, args.to, args.connect, args.path, args.cacert, args.timeout, args.json, args.cwd) == (
        "window", "maintenance", None, None, None, 10.0, False, ".")
    args = parsed("--to", "live", "--connect", "[::1]", "--path", "/health", "--timeout", "2.5", "--json", "--cwd", "x")
    assert (args.to, args.connect, args.path, args.timeout, args.json, args.cwd) == (
        "live", ("::1", 443), "/health", 2.5, True, "x")


def test_connect_is_the_target_whatever_the_stack_says(tmp_path):
    args = argparse.Namespace(connect=("127.0.0.1", 8443), to="live", stack="window", cwd=str(tmp_path))
    target = preflight_command.find_target(args, load_from_stack_file(stack_file(tmp_path, True), "window"))
    assert target == Target("127.0.0.1", 8443, "--connect")


def test_the_live_target_of_a_load_balancer_stack_is_the_stack_output_read_in_its_folder(tmp_path, monkeypatch):
    folder = stack_file(tmp_path, False, live="liveLoadBalancer: elb-production-boss")
    outputs = {"distributionDomain": "d111111abcdef8.cloudfront.net", "liveTarget": LIVE_TARGET, "mode": "live"}
    # The stand-in answers only in the stack's folder, as the real CLI finds the project there.
    monkeypatch.setenv("PATH", fake_pulumi(folder, f"[ \"$(pwd)\" = '{folder}' ] && echo '{json.dumps(outputs)}'"))
    monkeypatch.chdir(tmp_path.parent)
    args = argparse.Namespace(connect=None, to="live", stack="window", cwd=str(folder))
    assert preflight_command.find_target(args, load_from_stack_file(folder, "window")) == Target(
        LIVE_TARGET, 443, "stack output liveTarget")


def test_stack_outputs_without_the_target_name_the_missing_output(tmp_path, monkeypatch):
    folder = stack_file(tmp_path, False, live="liveLoadBalancer: elb-production-boss")
    monkeypatch.setenv("PATH", fake_pulumi(folder, "echo '{\"mode\": \"live\"}'"))
    args = argparse.Namespace(connect=None, to="maintenance", stack="window", cwd=str(folder))
    with pytest.raises(preflight_command.NoTarget) as failure:
        preflight_command.find_target(args, load_from_stack_file(folder, "window"))
    assert str(failure.value) == ("no target to check for --to maintenance (the stack has no output distributionDomain): "
                                  "give it with --connect HOST[:PORT]")


def test_cacert_trusts_only_the_given_file(cacert):
    trusted = preflight_command._ssl_context(cacert).get_ca_certs()
    assert [dict(entry[0] for entry in cert["subject"])["organizationName"].split()[0] for cert in trusted] == ["trustme"]
    with pytest.raises(SettingsError) as empty:
        preflight_command._ssl_context("")
    assert empty.value.problems == ["--cacert is empty: give a PEM file of CA certificates, or leave the option out"]
    with pytest.raises(SettingsError) as missing:
        preflight_command._ssl_context("/nonexistent/ca.pem")
    assert missing.value.problems[0].startswith("--cacert /nonexistent/ca.pem: cannot load CA certificates from it (")


def test_each_check_names_the_path_it_requested():
    settings = parse_settings({"domain": "api.example.com", "liveTarget": "live.example.net", "responseCode": "503"}, "p")
    prober = ScriptedProber(answer(503, JSON_503, MAINTENANCE_JSON),
                            answer(503, {"Content-Type": "text/html", "Retry-After": "300"}, PAGE), cors_answer())
    checks, _ = run_checks("maintenance", settings, prober)
    assert [check.detail.split(" as ")[0].split(" with ")[0] for check in checks[1:]] == ["GET /v1", "GET /v1", "OPTIONS /v1"]
    checks, _ = run_checks("live", settings, ScriptedProber(answer(200, {"Content-Type": "application/json"}, "{}")))
    assert checks[1].detail.startswith("GET /v1 with")


def test_an_answer_without_a_content_type_fails_the_checks_without_an_error():
    retry_after = {"Retry-After": "300"}
    assert not api_check(answer(503, retry_after, MAINTENANCE_JSON), "/").ok
    assert not navigation_check(answer(503, retry_after, PAGE), "/", 503).ok
    assert not live_check(answer(503, retry_after), "/").ok


def test_the_heading_is_printed_before_the_target_is_asked(tmp_path):
    """An operator facing a dead target sees at once what is checked, not --timeout seconds of silence."""
    stalled = StalledServer()
    try:
        command = subprocess.Popen(
            [sys.executable, "-m", "maintenance", "preflight", "window", "--cwd", str(stack_file(tmp_path, False)),
             "--to", "maintenance", "--connect", stalled.endpoint, "--timeout", "20"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
        try:
            stalled.wait_for_client()
            first = command.stdout.readline()
            assert command.poll() is None, "the heading came only when the check ended"
            assert first == f"preflight to maintenance: {DOMAIN} (stack window) at {stalled.endpoint} (--connect)\n"
        finally:
            command.kill()
            command.communicate()
    finally:
        stalled.close()
