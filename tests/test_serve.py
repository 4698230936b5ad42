"""`python -m maintenance serve`: started as an operator starts it, requested as real clients request.

Each answer is compared with the README's response contract ("Response contract for API clients").
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import queue
import re
import secrets
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from email.message import Message
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
import trustme

from client_headers import CLIENTS
from commands import (
    DOMAIN, ROOT, leave_output, process_running, run_command, run_with_output_closed, stack_file, start_command,
)
from edge_runtime import distribution
from maintenance.cli.local_edge import (
    BODY_LIMIT, FUNCTION_FAILED, STAND_IN_SAYS, EdgeServer, Engine, LiveOrigin, LocalDistribution, Reply,
    StandInLiveApi,
)
from maintenance.cli.serve import LAST_MOMENT, certificate_end
from maintenance.edge import ALLOWED_METHODS, STORE_MAINTENANCE, STORE_PASS_THROUGH
from maintenance.settings import load_from_stack_file
from maintenance.site import PAGE_TEMPLATE, page_object
from requirements import require_program

MESSAGE = 'Upgrading the <b>database</b> & "search" 🚧'
CONTACT = "ops@theboss.io"
# Ahead, so Retry-After is its HTTP date (README: "the HTTP date of `until` while that is in the future").
UNTIL = (datetime.now(timezone.utc) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
ORIGIN = "https://app.theboss.io"
LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d (?P<method>[A-Z]+) (?P<path>\S+) -> (?P<status>\d{3}) (?P<kind>.+)$")
STARTED = "requests (Ctrl-C stops):"


def client(name: str) -> dict[str, str]:
    [found] = [c for c in CLIENTS if c.name == name]
    return found.headers


@pytest.fixture
def stack(tmp_path):
    return stack_file(tmp_path, maintenance=True, extra=(
        f"  api-maintenance:message: {json.dumps(MESSAGE, ensure_ascii=False)}\n"
        f"  api-maintenance:contact: {CONTACT}\n"
        f"  api-maintenance:until: \"{UNTIL:%Y-%m-%dT%H:%M:%SZ}\"\n"
    ))


class Served:
    """`serve` running on a free port: its banner, then its log lines as they come."""

    def __init__(self, folder: Path, *arguments: str, path: str = "/usr/bin:/bin"):
        self.process = start_command("serve", folder, "--port", "0", *arguments, path=path)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.banner = []
        while (line := self.next_line()) != STARTED:
            self.banner.append(line)
        self.url = self.banner[1].split()[0]

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self, timeout: float = 30) -> str:
        line = self.lines.get(timeout=timeout)
        assert line is not None, f"serve exited {self.process.wait()}: {self.process.stderr.read()}"
        return line

    def log(self, count: int) -> list[dict]:
        return [LOG_LINE.match(self.next_line()).groupdict() for _ in range(count)]

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.fixture
def serve():
    started = []

    def start(folder, *arguments, **options):
        started.append(Served(folder, *arguments, **options))
        return started[-1]

    yield start
    for served in started:
        served.stop()


def assert_json_contract(response: httpx.Response, origin: str | None = None):
    """README: 503, Retry-After, Cache-Control no-store, the JSON type, CORS, and the JSON body."""
    assert response.status_code == 503
    headers = response.headers
    assert headers["retry-after"] == format_datetime(UNTIL, usegmt=True)
    assert headers["cache-control"] == "no-store"
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["access-control-expose-headers"] == "Retry-After"
    if origin is None:
        assert headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in headers
    else:
        assert headers["access-control-allow-origin"] == origin
        assert headers["access-control-allow-credentials"] == "true"
        assert headers["vary"] == "Origin"
    assert response.json() == {"maintenance": True, "status": 503, "message": MESSAGE,
                               "until": f"{UNTIL:%Y-%m-%dT%H:%M:%SZ}"}


def test_each_kind_of_client_gets_the_response_contract(stack, serve):
    require_program("njs")
    served = serve(stack)
    assert served.banner[0].startswith(
        f"serving the maintenance answers of stack window ({DOMAIN}): the edge function runs in njs 0.")
    assert served.banner[0].endswith(", the engine closest to CloudFront's runtime")
    settings = load_from_stack_file(stack, "window")
    _, page = page_object(PAGE_TEMPLATE, settings)
    navigation = client("Chromium 156 address-bar navigation")
    with httpx.Client(base_url=served.url, timeout=30) as http:
        for name in ("curl", "Node.js fetch (undici)"):
            assert_json_contract(http.get("/v1/users?page=2", headers=client(name)))

        # fetch(url, {method: "POST", credentials: "include", body: JSON}) from the app's page.
        posted = http.post("/v1/orders", content=b'{"sku": 1}', headers={
            **client("Chromium 156 fetch() cross-site"), "origin": ORIGIN, "content-type": "application/json"})
        assert_json_contract(posted, origin=ORIGIN)

        preflight = http.options("/v1/orders", headers={**client("Chromium 156 CORS preflight"), "origin": ORIGIN})
        assert preflight.status_code == 204 and preflight.content == b""
        assert {name: preflight.headers.get(name) for name in (
            "access-control-allow-origin", "access-control-allow-credentials", "vary", "access-control-allow-methods",
            "access-control-allow-headers", "access-control-max-age", "content-length")} == {
            "access-control-allow-origin": ORIGIN, "access-control-allow-credentials": "true", "vary": "Origin",
            "access-control-allow-methods": ", ".join(ALLOWED_METHODS),
            "access-control-allow-headers": "authorization,content-type", "access-control-max-age": "60",
            "content-length": None}

        # The page for every path and query string: 503 (responseCode's default) with the API's
        # Retry-After and no-store, the object's type and ETag (the MD5 of the page as site.py renders it).
        viewed = http.get("/account/settings?tab=billing&lang=fr", headers=navigation)
        assert viewed.status_code == 503
        assert viewed.text == page
        assert viewed.headers["content-type"] == "text/html; charset=utf-8"
        assert viewed.headers["cache-control"] == "no-store"
        assert viewed.headers["retry-after"] == format_datetime(UNTIL, usegmt=True)
        assert viewed.headers["etag"] == f'"{hashlib.md5(page.encode()).hexdigest()}"'
        assert '<meta name="api-maintenance" content="on">' in viewed.text
        assert "Upgrading the &lt;b&gt;database&lt;/b&gt; &amp; &quot;search&quot; 🚧" in viewed.text
        assert f'<a href="mailto:{CONTACT}">{CONTACT}</a>' in viewed.text

        head = http.head("/account/settings?tab=billing&lang=fr", headers=navigation)
        assert (head.status_code, head.content) == (503, b"")
        assert head.headers["content-length"] == str(len(page.encode()))
        assert head.headers["etag"] == viewed.headers["etag"]
        head_api = http.head("/v1/users", headers=client("curl"))
        assert (head_api.status_code, head_api.content, head_api.headers["content-type"]) == (
            503, b"", "application/json; charset=utf-8")

    assert served.log(7) == [
        {"method": "GET", "path": "/v1/users?page=2", "status": "503", "kind": "JSON"},
        {"method": "GET", "path": "/v1/users?page=2", "status": "503", "kind": "JSON"},
        {"method": "POST", "path": "/v1/orders", "status": "503", "kind": "JSON"},
        {"method": "OPTIONS", "path": "/v1/orders", "status": "204", "kind": "preflight"},
        {"method": "GET", "path": "/account/settings?tab=billing&lang=fr", "status": "503", "kind": "page"},
        {"method": "HEAD", "path": "/account/settings?tab=billing&lang=fr", "status": "503", "kind": "page"},
        {"method": "HEAD", "path": "/v1/users", "status": "503", "kind": "JSON"},
    ]


def test_one_engine_process_answers_every_request_without_delay(stack, serve):
    served = serve(stack)
    engines = _children(served.process.pid)
    started = time.monotonic()
    with httpx.Client(base_url=served.url, timeout=30) as http:
        for number in range(100):
            assert http.get(f"/v1/users?page={number}", headers=client("curl")).status_code == 503
    # About 0.4 s here; a process per request (njs) takes 2.5 to 5 s, a Nagle wait between the
    # headers and the body 4.7 s.
    assert time.monotonic() - started < 2
    assert len(engines) == 1 and _children(served.process.pid) == engines


def _children(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


def test_the_banner_gives_curl_lines_that_get_each_answer(stack, serve):
    served = serve(stack)
    assert served.banner[1] == f"  {served.url}"
    commands = [shlex.split(line) for line in served.banner if line.startswith("  curl ")]
    whats = [line.strip() for line in served.banner if line.startswith("  # ")]
    assert whats == ["# an API call: 503 and the JSON", "# a browser navigation: the page",
                     "# a CORS preflight: 204 and its Access-Control-* headers"]
    curl = require_program("curl")
    statuses = [subprocess.run([curl, *words[1:]], capture_output=True, text=True, timeout=30).stdout.split()[1]
                for words in commands]
    assert statuses == ["503", "503", "204"]
    assert [entry["kind"] for entry in served.log(3)] == ["JSON", "page", "preflight"]


@pytest.mark.parametrize("until_days", [None, 3, 29, 30, 400])
def test_the_throwaway_certificate_passes_preflights_rule(until_days):
    """More than 7 days left and past the stack's until: what preflight's tls check asks of a certificate."""
    now = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)
    until = None if until_days is None else now + timedelta(days=until_days)
    end = certificate_end(now, until)
    assert end - now > timedelta(days=7)
    assert until is None or end > until


def test_the_throwaway_certificate_for_the_latest_until_does_not_overflow():
    assert certificate_end(datetime(2026, 11, 29, tzinfo=timezone.utc), LAST_MOMENT) == LAST_MOMENT


def test_with_tls_it_is_the_domain_and_passes_preflight(stack, serve):
    served = serve(stack, "--tls")
    assert served.url.startswith(f"https://{DOMAIN}:")
    [check] = [line for line in served.banner if " preflight " in line]
    words = shlex.split(check)
    assert words[:8] == ["python", "-m", "maintenance", "preflight", "window", "--to", "maintenance", "--connect"]
    ca_file = Path(words[words.index("--cacert") + 1])
    assert ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
    result = subprocess.run([sys.executable, *words[1:]], capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "4/4 checks passed: ready to switch to maintenance (exit 0)"
    assert [(entry["method"], entry["kind"]) for entry in served.log(3)] == [
        ("GET", "JSON"), ("GET", "page"), ("OPTIONS", "preflight")]
    served.process.send_signal(signal.SIGINT)
    served.process.wait(timeout=10)
    assert not ca_file.parent.exists(), "the throwaway CA's folder outlives the server"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_cleans_up_as_ctrl_c_does(stack, serve, signum):
    # A service manager's or a closed terminal's stop: the throwaway CA's key must not stay behind.
    served = serve(stack, "--tls")
    [check] = [line for line in served.banner if " preflight " in line]
    words = shlex.split(check)
    folder = Path(words[words.index("--cacert") + 1]).parent
    [engine] = _children(served.process.pid)
    served.process.send_signal(signum)
    assert served.process.wait(timeout=10) == 128 + signum
    assert "Traceback" not in served.process.stderr.read()
    assert not folder.exists(), "the throwaway CA's folder outlives the server"
    deadline = time.monotonic() + 10
    while process_running(engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_running(engine), "the engine process outlives serve"


def test_ctrl_c_ends_it_at_once_with_its_engine(stack, serve):
    served = serve(stack)
    [engine] = _children(served.process.pid)
    started = time.monotonic()
    served.process.send_signal(signal.SIGINT)
    code = served.process.wait(timeout=10)
    assert time.monotonic() - started < 2
    assert code in (0, 130)
    assert "Traceback" not in served.process.stderr.read()
    deadline = time.monotonic() + 10
    while process_running(engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_running(engine), "the engine process outlives serve"


def test_a_log_whose_reader_has_gone_stops_it_with_141(stack):
    def request(banner):
        assert httpx.get(banner[1].split()[0], headers=client("curl")).status_code == 503

    # As `serve | head -5` does after its fifth line.
    process = start_command("serve", stack, "--port", "0")
    assert leave_output(process, lambda line: line == STARTED + "\n", request, timeout=10) == (141, "")


def test_a_banner_whose_reader_has_gone_exits_141_at_once(stack):
    result = run_with_output_closed("serve", stack, "--port", "0")
    assert (result.returncode, result.stderr) == (141, "")


def test_a_port_in_use_exits_2_saying_so(stack):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_command("serve", stack, "--port", str(port))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"error: cannot listen on 127.0.0.1 port {port}: Address already in use. Fix: give another with --port" \
        in result.stderr


def test_an_address_not_of_this_machine_exits_2_asking_for_another(stack):
    result = run_command("serve", stack, "--host", "192.0.2.1", "--port", "0")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert ("error: cannot listen on 192.0.2.1 port 0: Cannot assign requested address. "
            "Fix: give an address of this machine with --host, such as 127.0.0.1") in result.stderr


@pytest.mark.parametrize("config, message", [
    (None, "no stack file Pulumi.window.yaml"),
    ("config: [unclosed\n", "Pulumi.window.yaml: line 2, column 1 is not valid YAML"),
    ("config:\n  api-maintenance:domain: api.theboss.io\n  api-maintenance:liveTarget: x.example.net\n"
     "  api-maintenance:message:\n    secure: AAABAKz\n", "api-maintenance:message in Pulumi.window.yaml is a secret"),
    ("config:\n  api-maintenance:domain: api.theboss.io\n  api-maintenance:liveTarget: x.example.net\n"
     "  api-maintenance:responseCode: \"302\"\n", "api-maintenance:responseCode must be one of the page's status codes"),
], ids=["unknown stack", "malformed", "secret message", "bad responseCode"])
def test_a_bad_or_unknown_stack_exits_2_naming_the_problem(tmp_path, config, message):
    if config is not None:
        (tmp_path / "Pulumi.window.yaml").write_text(config)
    result = run_command("serve", tmp_path, "--port", "0")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr


def test_without_njs_or_node_exits_2_naming_the_package(stack, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    result = run_command("serve", stack, "--port", "0", path=str(empty))
    assert result.returncode == 2
    assert "neither njs nor node is installed" in result.stderr and "apt-get install njs" in result.stderr


def test_without_njs_it_runs_in_node_and_says_so(stack, tmp_path, serve):
    only_node = tmp_path / "only-node"
    only_node.mkdir()
    os.symlink(require_program("node"), only_node / "node")
    served = serve(stack, path=str(only_node))
    assert re.search(r"runs in Node \d+\.\d+\.\d+ \(njs, closer to CloudFront's runtime, is not installed: "
                     r"apt-get install njs\)$", served.banner[0])
    assert_json_contract(httpx.get(served.url + "v1/users", headers=client("curl"), timeout=30))


@pytest.mark.parametrize("port, message", [("http", "the port must be a number"),
                                           ("65536", "the port must be from 0 to 65535")])
def test_a_bad_port_is_a_usage_error(stack, port, message):
    result = run_command("serve", stack, "--port", port)
    assert result.returncode == 2 and message in result.stderr


@pytest.mark.parametrize("engine", ["njs", "node"])
def test_a_function_that_throws_or_an_engine_that_stops_is_cloudfronts_503(stack, engine):
    require_program(engine)
    distribution = LocalDistribution(load_from_stack_file(stack, "window"), engine)
    try:
        headers = Message()
        headers["Accept"] = "application/json"
        distribution.engine.close()
        distribution.engine = Engine(engine, 'function handler(e) { throw new TypeError("no " + e.request.uri); }')
        thrown = distribution.answer("GET", "/v1/users", headers, "127.0.0.1")
        assert (thrown.status, thrown.kind) == (503, FUNCTION_FAILED)
        assert thrown.headers == {"content-type": "text/plain; charset=utf-8"}
        assert thrown.body == b"The CloudFront function returned an execution error: TypeError: no /v1/users\n"
        distribution.engine._process.kill()
        distribution.engine._process.wait()  # gone before the next event is written
        stopped = distribution.answer("GET", "/v1/users", headers, "127.0.0.1")
        assert (stopped.status, stopped.kind) == (503, FUNCTION_FAILED)
        assert stopped.body.startswith(f"The CloudFront function returned an execution error: {engine} stopped".encode())
    finally:
        distribution.close()


def test_help_lists_the_exit_codes(stack):
    result = run_command("serve", stack, "--help")
    assert result.returncode == 0
    assert "exit codes:" in result.stdout and "a port in use" in result.stdout and "130" in result.stdout


# --- with liveOrigin: the store, the bypass rules and origin live ------------------------------

BYPASS_PATH = "/webhooks/"
OTHER_CIDRS = ("203.0.113.0/24", "2001:db8::/32")  # neither holds the loopback viewer


def live_stack(folder: Path, cidrs=OTHER_CIDRS, token=True) -> Path:
    return stack_file(folder, maintenance=True, extra=(
        f"  api-maintenance:message: {json.dumps(MESSAGE, ensure_ascii=False)}\n"
        f"  api-maintenance:until: \"{UNTIL:%Y-%m-%dT%H:%M:%SZ}\"\n"
        "  api-maintenance:liveOrigin: \"true\"\n"
        + ("  api-maintenance:bypassToken:\n    secure: v1:c2VjcmV0:AAAA\n" if token else "") +
        f"  api-maintenance:bypassPaths:\n    - {BYPASS_PATH}\n"
        "  api-maintenance:bypassCidrs:\n" + "".join(f"    - \"{cidr}\"\n" for cidr in cidrs)
    ))


def banner_token(served: Served) -> str:
    [line] = [line for line in served.banner if "this run's token" in line]
    return re.search(r"this run's token (\S+)", line).group(1)


def assert_stand_in(response: httpx.Response, method: str, path: str) -> dict:
    """The stand-in live API's answer: 200, saying it is the stand-in, echoing what it got."""
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["standIn"] == STAND_IN_SAYS
    assert (document["method"], document["path"], document["host"]) == (method, path, DOMAIN)
    return document


class LiveApi:
    """A live API on loopback that records each request it gets, body too, and answers as a test sets."""

    def __init__(self):
        self.requests: list[dict] = []
        self.reply = Reply(200, {"content-type": "application/json", "x-live": "yes"}, b'{"users": []}', "live",
                           set_cookies=("session=abc; Path=/; HttpOnly", "theme=dark"))
        self.server = EdgeServer(self._answer, body_limit=BODY_LIMIT).start()
        self.url = self.server.url.rstrip("/")

    def _answer(self, method, target, headers, client, body):
        self.requests.append({"method": method, "target": target, "headers": {k.lower(): v for k, v in headers.items()},
                              "body": body})
        return self.reply

    def close(self):
        self.server.close()


@pytest.fixture
def live_api():
    api = LiveApi()
    yield api
    api.close()


def test_live_origin_bypassed_requests_reach_the_stand_in_and_the_rest_get_the_window(tmp_path, serve):
    served = serve(live_stack(tmp_path))
    token = banner_token(served)
    assert len(token) >= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert served.banner[2] == ("live origin (liveOrigin): the store's mode is maintenance "
                                "(--store pass-through models it after off)")
    assert served.banner[3].startswith("  origin live: serve's stand-in for the live API at http://127.0.0.1:")
    assert served.banner[3].endswith(f", Host: {DOMAIN}")
    assert "  bypass: viewer IPs in bypassCidrs: 203.0.113.0/24, 2001:db8::/32" in served.banner
    assert f"  bypass: paths starting with bypassPaths: {BYPASS_PATH}" in served.banner
    with httpx.Client(base_url=served.url, timeout=30) as http:
        bypassed = http.get("/v1/users?page=2", headers={**client("curl"), "x-maintenance-bypass": token})
        document = assert_stand_in(bypassed, "GET", "/v1/users?page=2")
        assert "x-maintenance-bypass" not in document["headers"]
        assert document["headers"]["x-forwarded-for"] == "127.0.0.1"
        assert "x-amz-meta-maintenance-page" not in bypassed.headers and "retry-after" not in bypassed.headers

        by_cookie = http.get("/v1/users", headers={**client("curl"), "cookie": f"maintenance-bypass={token}; a=1"})
        assert assert_stand_in(by_cookie, "GET", "/v1/users")["headers"]["cookie"] == "a=1"

        webhook = http.post("/webhooks/stripe?id=7", content=b'{"type": "charge"}',
                            headers={"content-type": "application/json"})
        assert assert_stand_in(webhook, "POST", "/webhooks/stripe?id=7")["bodyBytes"] == 18

        assert_json_contract(http.get("/v1/users?page=2", headers=client("curl")))
        assert_json_contract(http.get("/v1/users", headers={**client("curl"), "x-maintenance-bypass": "x" * 43}))
        page = http.get("/account", headers=client("Chromium 156 address-bar navigation"))
        # The page object carries the marker (S3 returns its metadata); the function knows the page by
        # it, turns the 200 into 503 and drops it.
        assert page.status_code == 503 and "x-amz-meta-maintenance-page" not in page.headers
        assert '<meta name="api-maintenance" content="on">' in page.text
    assert [(entry["path"], entry["status"], entry["kind"]) for entry in served.log(6)] == [
        ("/v1/users?page=2", "200", "live"), ("/v1/users", "200", "live"), ("/webhooks/stripe?id=7", "200", "live"),
        ("/v1/users?page=2", "503", "JSON"), ("/v1/users", "503", "JSON"), ("/account", "503", "page")]


def test_the_banners_curl_lines_get_past_the_page_with_the_token_and_the_path(tmp_path, serve):
    served = serve(live_stack(tmp_path))
    commands = [shlex.split(line) for line in served.banner if line.startswith("  curl ")]
    whats = [line.strip() for line in served.banner if line.startswith("  # ")]
    assert whats[3:] == ["# past the page with this run's bypass token: the live API's answer",
                         "# a bypass path (bypassPaths): the live API's answer"]
    curl = require_program("curl")
    statuses = [subprocess.run([curl, *words[1:]], capture_output=True, text=True, timeout=30).stdout.split()[1]
                for words in commands]
    assert statuses == ["503", "503", "204", "200", "200"]
    assert [entry["kind"] for entry in served.log(5)] == ["JSON", "page", "preflight", "live", "live"]


def test_without_a_bypass_token_in_the_stack_no_token_passes(tmp_path, serve):
    # The distribution's function then holds no token digest (edge.py: TOKEN_SHA256 null): serve makes none.
    served = serve(live_stack(tmp_path, token=False))
    assert "  bypass: by token, none (the stack has no bypassToken)" in served.banner
    assert not any("token" in line for line in served.banner if line.startswith("  # "))
    with httpx.Client(base_url=served.url, timeout=30) as http:
        for token in ("x" * 43, secrets.token_urlsafe(32)):
            assert_json_contract(http.get("/v1/users", headers={**client("curl"), "x-maintenance-bypass": token}))
        webhook = http.post("/webhooks/stripe", content=b"{}", headers={"content-type": "application/json"})
        assert_stand_in(webhook, "POST", "/webhooks/stripe")


def test_a_loopback_viewer_in_bypass_cidrs_reaches_the_live_api(tmp_path, serve):
    served = serve(live_stack(tmp_path, cidrs=("127.0.0.1/32",)))
    assert ("  bypass: viewer IPs in bypassCidrs: 127.0.0.1/32 (requests from this machine, 127.0.0.1, match)"
            in served.banner)
    assert_stand_in(httpx.get(served.url + "v1/users", headers=client("curl"), timeout=30), "GET", "/v1/users")
    assert served.log(1)[0]["kind"] == "live"


def test_the_pass_through_store_sends_everything_to_the_live_api(tmp_path, serve):
    served = serve(live_stack(tmp_path), "--store", "pass-through")
    assert served.banner[2] == ("live origin (liveOrigin): the store's mode is pass-through: "
                                "every request goes to the live API")
    assert not any("bypass" in line for line in served.banner)
    with httpx.Client(base_url=served.url, timeout=30) as http:
        assert_stand_in(http.get("/v1/users?page=2", headers=client("curl")), "GET", "/v1/users?page=2")
        navigation = http.get("/account", headers=client("Chromium 156 address-bar navigation"))
        assert_stand_in(navigation, "GET", "/account")
    assert [entry["kind"] for entry in served.log(2)] == ["live", "live"]


def test_live_url_gets_the_request_as_the_function_left_it(tmp_path, serve, live_api):
    served = serve(live_stack(tmp_path), "--live", live_api.url)
    assert served.banner[3] == f"  origin live: {live_api.url}, Host: {DOMAIN}"
    token = banner_token(served)
    with httpx.Client(base_url=served.url, timeout=30) as http:
        answer = http.put("/v1/users/7?tag=a&tag=b&q=a+b&x=%2F", content=b'{"name": "Ada"}', headers={
            "content-type": "application/json", "x-maintenance-bypass": token, "authorization": "Bearer t",
            "x-forwarded-for": "192.0.2.1", "cookie": "a=1"})
        # Chunked (a generator's body): read whole and forwarded.
        chunked = http.post("/webhooks/stripe", content=(part for part in (b"chunk one, ", b"chunk two")))
    # The live answer, untouched by the viewer-response function: its 200, its headers, both cookies.
    assert (answer.status_code, answer.content) == (200, b'{"users": []}')
    assert answer.headers["x-live"] == "yes" and "vary" not in answer.headers and "retry-after" not in answer.headers
    assert answer.headers.get_list("set-cookie") == ["session=abc; Path=/; HttpOnly", "theme=dark"]
    assert len(answer.headers.get_list("date")) == len(answer.headers.get_list("server")) == 1
    assert chunked.status_code == 200
    put, post = live_api.requests
    assert (put["method"], put["target"], put["body"]) == ("PUT", "/v1/users/7?tag=a&tag=b&q=a+b&x=%2F", b'{"name": "Ada"}')
    assert put["headers"]["host"] == DOMAIN
    assert "x-maintenance-bypass" not in put["headers"]
    assert (put["headers"]["authorization"], put["headers"]["content-type"], put["headers"]["cookie"]) == (
        "Bearer t", "application/json", "a=1")
    assert put["headers"]["x-forwarded-for"] == "192.0.2.1, 127.0.0.1"
    assert (post["method"], post["target"], post["body"]) == ("POST", "/webhooks/stripe", b"chunk one, chunk two")
    assert [entry["kind"] for entry in served.log(2)] == ["live", "live"]


@pytest.mark.parametrize("status", [400, 404])
def test_a_live_error_answer_goes_out_as_the_live_api_sent_it(tmp_path, serve, live_api, status):
    # "CloudFront doesn't invoke edge functions for viewer response events when the origin returns HTTP status
    # code 400 or higher" (Developer Guide, "Restrictions on all edge functions"): even the page's marker,
    # which the viewer-response function would remove, goes out as the API sent it.
    live_api.reply = Reply(status, {"content-type": "application/json", "x-amz-meta-maintenance-page": "true"},
                           b'{"error": "no such user"}', "live")
    served = serve(live_stack(tmp_path), "--live", live_api.url, "--store", "pass-through")
    answer = httpx.get(served.url + "v1/users/8", timeout=30)
    assert (answer.status_code, answer.content) == (status, b'{"error": "no such user"}')
    assert answer.headers["x-amz-meta-maintenance-page"] == "true"
    assert served.log(1) == [{"method": "GET", "path": "/v1/users/8", "status": str(status), "kind": "live"}]


def test_a_dead_live_target_is_cloudfronts_502_and_the_log_says_why(tmp_path, serve):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    served = serve(live_stack(tmp_path), "--live", f"http://127.0.0.1:{port}", "--store", "pass-through")
    answer = httpx.get(served.url + "v1/users", timeout=30)
    assert answer.status_code == 502
    assert "The request could not be satisfied." in answer.text
    assert answer.headers["x-cache"] == "Error from cloudfront"
    [entry] = served.log(1)
    assert (entry["status"], entry["kind"].split(":")[0]) == ("502", "live origin error")
    assert f"http://127.0.0.1:{port}: ConnectError: " in entry["kind"]


def test_the_live_origin_waits_for_an_answer_as_long_as_cloudfront_does():
    # CloudFront waits 30 s for an origin's answer by default (API Reference, OriginReadTimeout), longer
    # than it waits for a connection (10 s, ConnectionTimeout): an API that answers in 11 s reaches its client.
    slow = EdgeServer(lambda *request: time.sleep(11) or Reply(200, {}, b"slow but there", "live")).start()
    origin = LiveOrigin(slow.url)
    try:
        answer = origin.forward("GET", "/v1/report", [], b"", DOMAIN)
        assert (answer.status, answer.body) == (200, b"slow but there")
    finally:
        origin.close()
        slow.close()


def test_an_https_live_origin_gets_the_apis_name_as_its_server_name_and_trusts_ssl_cert_file(tmp_path, monkeypatch):
    # CloudFront connects to origin live over HTTPS with the hostHeader as the TLS server name (Developer
    # Guide, "Helper methods for origin modification", sni: "If this is not provided, the value from the
    # hostHeader parameter is used"): the certificate names the API, not the address serve connects to.
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(DOMAIN).configure_cert(context)
    seen = []
    api = EdgeServer(lambda method, target, headers, client: seen.append(headers["Host"]) or
                     Reply(200, {}, b"over TLS", "live"), context=context).start()
    try:
        untrusted = LiveOrigin(f"https://127.0.0.1:{api.port}")
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            untrusted.forward("GET", "/v1/users", [], b"", DOMAIN)
        untrusted.close()
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        origin = LiveOrigin(f"https://127.0.0.1:{api.port}")
        answer = origin.forward("GET", "/v1/users", [], b"", DOMAIN)
        origin.close()
        assert (answer.status, answer.body, seen) == (200, b"over TLS", [DOMAIN])
    finally:
        api.close()


def test_a_body_over_the_limit_is_refused_unread():
    server = EdgeServer(lambda *request: pytest.fail("answered a body over the limit"), body_limit=10).start()
    try:
        with socket.create_connection((server.host, server.port), timeout=10) as connection:
            connection.sendall(b"POST /webhooks/a HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n")
            answer = connection.makefile("rb").read()
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert answer.endswith(b"the request body is over 10 bytes, the most serve forwards\n")
    finally:
        server.close()


@pytest.mark.parametrize("options", [["--live", "http://127.0.0.1:9"], ["--store", "pass-through"]])
def test_live_options_on_a_stack_without_live_origin_are_usage_errors(stack, options):
    result = run_command("serve", stack, "--port", "0", *options)
    assert result.returncode == 2
    assert (f"error: {options[0]} models the live origin, which stack window does not have. "
            "Fix: pulumi config set api-maintenance:liveOrigin true -s window") in result.stderr


@pytest.mark.parametrize("url, message", [
    ("ftp://x.example", "is not an http:// or https:// URL with a host"),
    ("http://127.0.0.1:8080/v1", "give only scheme://host[:port]"),
    ("http://127.0.0.1:http", "the port must be a number"),
])
def test_a_bad_live_url_is_a_usage_error(tmp_path, url, message):
    result = run_command("serve", live_stack(tmp_path), "--port", "0", "--live", url)
    assert result.returncode == 2 and message in result.stderr


def test_without_live_origin_the_banner_and_answers_are_as_before(stack, serve):
    served = serve(stack)
    assert not any("live" in line for line in served.banner[1:])


@pytest.mark.parametrize("store, kinds", [
    (STORE_MAINTENANCE, ["live", "live", "live", "JSON", "page"]),
    (STORE_PASS_THROUGH, ["live", "live", "live", "live", "live"]),
    (None, ["live", "live", "live", "JSON", "page"]),  # a missing key means maintenance
])
def test_in_both_engines_each_rule_picks_the_live_origin(tmp_path, store, kinds):
    """serve's distribution (local_edge.py) in Node and njs: token, path, CIDR (the loopback viewer), neither."""
    settings = dataclasses.replace(load_from_stack_file(live_stack(tmp_path, ("127.0.0.0/8",)), "window"),
                                   bypass_token="t" * 40)
    stand_in = StandInLiveApi()
    origin = LiveOrigin(stand_in.url)
    try:
        answer = distribution(settings, live=origin, store_mode=store)

        def kind(method, path, headers, viewer_ip="198.51.100.10", body=b""):
            message = Message()
            for name, value in headers.items():
                message[name] = value
            status, _, text = answer(method, path, message, viewer_ip, body)
            if status == 200 and json.loads(text).get("standIn") == STAND_IN_SAYS:
                document = json.loads(text)
                assert document["host"] == DOMAIN and "x-maintenance-bypass" not in document["headers"]
                assert document["bodyBytes"] == len(body)
                return "live"
            return "page" if text.startswith("<!") else "JSON"

        navigation = client("Chromium 156 address-bar navigation")
        assert [
            kind("GET", "/v1/users", {"x-maintenance-bypass": "t" * 40}),
            kind("POST", "/webhooks/stripe", {}, body=b"{}"),
            kind("GET", "/v1/users", {}, viewer_ip="127.0.0.1"),
            kind("GET", "/v1/users", {"x-maintenance-bypass": "u" * 40}),
            kind("GET", "/account", navigation),
        ] == kinds
    finally:
        origin.close()
        stand_in.close()


@pytest.mark.parametrize("engine", ["njs", "node"])
def test_the_live_answer_goes_through_the_viewer_response_function_and_only_origin_live_exists(tmp_path, engine):
    require_program(engine)
    stand_in = StandInLiveApi()
    origin = LiveOrigin(stand_in.url)
    distribution_ = LocalDistribution(load_from_stack_file(live_stack(tmp_path), "window"), engine, live=origin)
    try:
        distribution_.engine.close()
        distribution_.engine = Engine(engine, (
            "import cf from 'cloudfront';\n"
            "async function handler(e) {\n"
            "  if (e.context.eventType === 'viewer-response') {\n"
            "    e.response.headers['x-seen'] = { value: e.response.statusCode + ' ' + e.request.uri };\n"
            "    return e.response;\n"
            "  }\n"
            "  cf.selectRequestOriginById(e.request.uri === '/elsewhere' ? 's3' : 'live', { hostHeader: 'h.example' });\n"
            "  return e.request;\n"
            "}\n"), {})
        seen = distribution_.answer("GET", "/v1/users", Message(), "127.0.0.1")
        assert (seen.status, seen.kind, seen.headers["x-seen"]) == (200, "live", "200 /v1/users")
        assert json.loads(seen.body)["host"] == "h.example"
        elsewhere = distribution_.answer("GET", "/elsewhere", Message(), "127.0.0.1")
        assert (elsewhere.status, elsewhere.kind) == (503, FUNCTION_FAILED)
        assert b"the function selected origin 's3', which the distribution does not have" in elsewhere.body
    finally:
        distribution_.close()
        origin.close()
        stand_in.close()


def test_a_live_answer_keeps_its_encoding_and_a_head_answer_its_length(tmp_path, serve, live_api):

    document = b'{"users": ["' + b"a" * 5000 + b'"]}'
    live_api.reply = Reply(200, {"content-type": "application/json", "content-encoding": "gzip"},
                           gzip.compress(document), "live")
    served = serve(live_stack(tmp_path), "--live", live_api.url, "--store", "pass-through")
    with httpx.Client(base_url=served.url, timeout=30) as http:
        with http.stream("GET", "/v1/users", headers={"accept-encoding": "gzip"}) as answer:
            raw = b"".join(answer.iter_raw())
        head = http.head("/v1/users", headers={"accept-encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip" and gzip.decompress(raw) == document
    assert live_api.requests[0]["headers"]["accept-encoding"] == "gzip"
    assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", str(len(gzip.compress(document))))
    assert [(entry["method"], entry["kind"]) for entry in served.log(2)] == [("GET", "live"), ("HEAD", "live")]
