"""Notices to notifyUrl against loopback HTTPS receivers: the document and its headers, and every way a
receiver can fail (refused, slow, untrusted, an error answer), each one line and never a raise."""

import http.server
import json
import ssl
import subprocess
import threading
import time
from datetime import datetime, timezone

import pytest
import trustme

from loopback_servers import StreamingServer, closed_port, dripping, http_answer
from maintenance.cli.notify import notice_document, notice_text, notify, notify_stack, operator

UNTIL = datetime(2026, 12, 4, 7, 0, tzinfo=timezone.utc)
NOTICE = dict(stack="production", mode="maintenance", reason="db upgrade", until=UNTIL, by="Ada Lovelace")


class Receiver:
    """A webhook receiver on loopback over TLS: records each request (headers and body) and answers
    `status` with `body` after `delay` seconds."""

    def __init__(self, certificate, status=200, body=b"ok", delay=0.0, headers=None):
        self.requests = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                receiver.requests.append({"method": self.command, "path": self.path,
                                          "headers": dict(self.headers), "body": self.rfile.read(length)})
                time.sleep(delay)
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A client that refuses the certificate ends the handshake: expected here, not worth a traceback.
        self.server.handle_error = lambda request, address: None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        certificate.configure_cert(context)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/secretpath"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def context(ca):
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def receiver(ca):
    started = []

    def start(**options):
        server = Receiver(ca.issue_cert("127.0.0.1"), **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def _notify(url, context, **options):
    text = notice_text("on", NOTICE["stack"], NOTICE["mode"], NOTICE["reason"], NOTICE["until"], NOTICE["by"])
    return notify(url, text=text, context=context, **NOTICE, **options)


def test_one_json_post_in_slacks_form_with_every_fact(receiver, context):
    server = receiver()
    assert _notify(server.url, context) is None
    [request] = server.requests
    assert (request["method"], request["path"]) == ("POST", "/services/T000/B000/secretpath")
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["User-Agent"] == "api-maintenance-notify"
    assert json.loads(request["body"]) == {
        "text": "production: maintenance on, the API is in maintenance: db upgrade (until 2026-12-04 07:00 UTC); "
                "by Ada Lovelace",
        "stack": "production", "mode": "maintenance", "reason": "db upgrade", "until": "2026-12-04T07:00:00Z",
        "by": "Ada Lovelace",
    }


def test_unknown_facts_are_null_and_the_text_leaves_them_out():
    text = notice_text("off", "production", "live", None, None, None)
    assert text == "production: maintenance off, the API is live"
    assert notice_document(text=text, stack="production", mode="live", reason=None, until=None, by=None) == {
        "text": text, "stack": "production", "mode": "live", "reason": None, "until": None, "by": None}


def test_any_2xx_is_success(receiver, context):
    assert _notify(receiver(status=204, body=b"").url, context) is None


def test_an_error_answer_is_one_line_with_slacks_words_and_no_secret_path(receiver, context):
    server = receiver(status=400, body=b"invalid_payload\nmore")
    problem = _notify(server.url, context)
    port = server.url.split(":")[2].split("/")[0]
    assert problem == f"notification not accepted by https://127.0.0.1:{port}: it answered HTTP 400: 'invalid_payload'"


def test_a_long_error_answer_is_cut(receiver, context):
    problem = _notify(receiver(status=500, body=b"x" * 300).url, context)
    assert problem.endswith(f"it answered HTTP 500: {'x' * 60!r}... (300 characters)")


def test_a_redirect_is_not_followed(receiver, context):
    server = receiver(status=302, body=b"", headers={"Location": "https://example.com/"})
    assert _notify(server.url, context).endswith(
        "it answered HTTP 302 (a redirect is not followed: give the URL it points to)")
    assert len(server.requests) == 1


def test_a_refused_connection_is_one_line_and_fast(context):
    started = time.monotonic()
    endpoint = closed_port()
    problem = _notify(f"https://{endpoint}/hook/secret", context)
    assert problem == f"notification not sent to https://{endpoint}: connection refused"
    assert time.monotonic() - started < 2


def test_a_slow_receiver_is_given_up_at_the_timeout(receiver, context):
    server = receiver(delay=3)
    started = time.monotonic()
    problem = _notify(server.url, context, timeout=0.5)
    elapsed = time.monotonic() - started
    assert problem.endswith("no answer within 0.5s (it answered too slowly)"), problem
    assert elapsed < 1.5
    assert len(server.requests) == 1  # the notice was delivered; only its answer was late


def test_a_dripping_answer_is_bounded_as_a_whole(ca, context):
    server = StreamingServer(dripping(http_answer(b"ok" * 50), size=5, every=0.2), ca.issue_cert("127.0.0.1"))
    try:
        started = time.monotonic()
        problem = _notify(server.url + "hook", context, timeout=1.0)
        assert problem.endswith("no answer within 1s (it answered too slowly)"), problem
        assert time.monotonic() - started < 2
    finally:
        server.close()


def test_an_untrusted_certificate_is_refused(receiver):
    server = receiver()
    other = ssl.create_default_context()
    trustme.CA().configure_trust(other)
    problem = _notify(server.url, other)
    assert "its certificate is not trusted: " in problem and "secretpath" not in problem
    assert server.requests == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "not a url", ""])
def test_a_url_that_is_not_https_is_never_contacted(url):
    assert notify(url, text="t", **NOTICE) == (
        "notification not sent: notifyUrl must be an https:// URL such as https://hooks.slack.com/services/...")


@pytest.mark.parametrize("host", ["a..b", "xn--a.com", "exa mple.com"])
def test_it_never_raises_even_for_a_host_httpx_refuses(context, host):
    problem = _notify(f"https://{host}/hook", context)
    assert problem.startswith(f"notification not sent to https://{host}: ")


# --- the notice of a window command, from the stack's own notifyUrl ----------------------

class _Value:
    def __init__(self, value):
        self.value, self.secret = value, True


class _Stack:
    """A PulumiStack as notify_stack uses it: its name, and values() with secrets decrypted."""

    def __init__(self, url=None, failure=None):
        self.name, self.url, self.failure = "production", url, failure

    def values(self, keys):
        if self.failure:
            from maintenance.cli.pulumi_stack import PulumiFailed
            raise PulumiFailed(self.failure)
        return {key: _Value(self.url) if key == "notifyUrl" and self.url else None for key in keys}


def test_the_stacks_notify_url_gets_the_commands_notice(receiver, context):
    server = receiver()
    assert notify_stack(_Stack(server.url), command="off", mode="live", reason="done", until=None, by="Ada",
                        context=context) is None
    assert json.loads(server.requests[0]["body"]) == {
        "text": "production: maintenance off, the API is live: done; by Ada", "stack": "production", "mode": "live",
        "reason": "done", "until": None, "by": "Ada"}


def test_no_notify_url_no_notice_and_an_unreadable_one_is_one_line():
    assert notify_stack(_Stack(), command="on", mode="maintenance", reason=None, until=None, by=None) is None
    problem = notify_stack(_Stack(failure="error: passphrase must be set\nmore"), command="on", mode="maintenance",
                           reason=None, until=None, by=None)
    assert problem == "notification not sent: the stack's notifyUrl could not be read (error: passphrase must be set)"


def test_the_operator_is_gits_user_name_else_the_login_name(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.gitconfig
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("USER", "ada")
    monkeypatch.setenv("LOGNAME", "ada")
    assert operator(tmp_path) == "ada"
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=30)
    subprocess.run(["git", "config", "user.name", "Ada Lovelace"], cwd=tmp_path, check=True, timeout=30)
    assert operator(tmp_path) == "Ada Lovelace"
