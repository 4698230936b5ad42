"""The maintenance distribution on this machine: the stack's edge function and page, answering as CloudFront does.

`serve` runs it for operators, and the tests' loopback distribution (tests/edge_runtime.py) is
this same code, so what an operator sees and what the tests check cannot drift apart.

What is modelled: the viewer-request function decides; an answer it generates goes out as it
is; a request it forwards gets the bucket's one object, the page rendered from the settings,
with the headers S3 sends for it, passed through the viewer-response function. With
`liveOrigin`, the function's store (its `mode` key) and origin `live`: a request the function
sends there is forwarded as the function left it (method, path and query, headers, body, the
Host it selected, X-Forwarded-For) to a live API (`LiveOrigin`: a URL, or serve's stand-in),
whose answer goes through the viewer-response function too. What is not: CloudFront's own
headers (Via, X-Cache, Age), its cache and compression, conditional and Range requests, and a
request header's repeated values (the function reads `value`, the first).
"""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import Message
from email.utils import format_datetime
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import httpx

from ..edge import (
    ALLOWED_METHODS, LIVE_ORIGIN_ID, PAGE_METADATA, STORE_MAINTENANCE, STORE_MODE_KEY, live_routing,
    render_function_code,
)
from ..settings import Settings
from ..site import OBJECT_CACHE_CONTROL, PAGE_CONTENT_TYPE, PAGE_TEMPLATE, page_object
from .options import endpoint_text

# njs (nginx's JavaScript engine) first: it is far closer to CloudFront's runtime than Node and
# refuses much of what Node accepts. Each with the Debian package that installs it.
ENGINES = {"njs": "njs", "node": "nodejs"}
DISTRIBUTION_DOMAIN = "d111111abcdef8.cloudfront.net"
DISTRIBUTION_ID = "EDFDVBD6EXAMPLE"
# Which answer a request got, for the log: the function's JSON, its preflight answer, the bucket's
# page, or the live origin's answer (with liveOrigin).
JSON, PREFLIGHT, PAGE, LIVE = "JSON", "preflight", "page", "live"
FUNCTION_FAILED = "function error"
LIVE_FAILED = "live origin error"  # CloudFront's own 502 or 504: the live origin did not answer
TOO_LARGE = "body too large"  # serve's own limit on a body it forwards, not CloudFront's
# The largest request body serve reads to forward: a local preview's bound, not a CloudFront quota.
BODY_LIMIT = 16 * 1024 * 1024
# CloudFront's defaults for an origin: 10 seconds to connect (CloudFront API, Origin, ConnectionTimeout:
# "the default (if you don't specify otherwise) is 10 seconds"), and 30 for the answer and between its
# packets (OriginReadTimeout: "the default (if you don't specify otherwise) is 30 seconds"); serve waits as long.
LIVE_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# Hop-by-hop headers (RFC 9110, 7.6.1) and the framing that each hop sets for itself.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                        "upgrade", "content-length", "host"})

# The engine's loop, after the function's code: one message a line on standard input (ASCII JSON,
# so a read never splits a character), {"event": ..., "store": {...} or null}, one answer a line on
# standard output, {"result": ..., "selected": {"id", "params"} or null} or {"error": ...}. Each event
# sets the `cloudfront` module's model (cloudfront_module.js) and goes through
# Promise.resolve(handler(event)), so an async handler's awaits run before the next line is read.
# fs.readSync and fs.writeSync on descriptors 0 and 1 exist in both njs (0.7.7+) and Node; njs
# therefore runs without -s (its sandbox has no fs), unlike the tests' one-shot runs (tests/edge_runtime.py).
_LOOP = """
function __serve(fs) {
  var input = Buffer.alloc(65536);
  var pending = "";
  function answer(line) { fs.writeSync(1, JSON.stringify(line) + "\\n"); }
  function next() {
    var end;
    while ((end = pending.indexOf("\\n")) < 0) {
      var count = fs.readSync(0, input, 0, input.length, null);
      if (count === 0) return;
      pending += input.toString("utf8", 0, count);
    }
    var line = pending.slice(0, end);
    var model = null;
    pending = pending.slice(end + 1);
    Promise.resolve().then(function () {
      var message = JSON.parse(line);
      model = globalThis.cloudfrontModel = { store: message.store, selected: null };
      return handler(message.event);
    }).then(function (result) {
      answer({ result: result, selected: model.selected });
    }, function (error) {
      answer({ error: String(error) });
    }).then(next);
  }
  next();
}
"""
# How the loop starts: a script (the function without the live origin) has require; a module (the
# live variant, which imports `cloudfront`) imports fs.
_SCRIPT_START = "__serve(require(\"fs\"));\n"
_MODULE_START = "import fs from \"fs\";\n__serve(fs);\n"
CLOUDFRONT_MODULE = Path(__file__).with_name("cloudfront_module.js")


def is_module(code: str) -> bool:
    """Whether the function's code is an ES module (the live variant, which imports `cloudfront`)."""
    return code.startswith("import ")


def install_cloudfront_module(directory: Path) -> None:
    """The `cloudfront` module stub where each engine finds it for a module run from `directory`.

    njs (-p directory) loads a file named as the module; Node loads directory/node_modules/cloudfront,
    for a .mjs script in directory.
    """
    stub = CLOUDFRONT_MODULE.read_text(encoding="utf-8")
    (directory / "cloudfront").write_text(stub, encoding="utf-8")
    package = directory / "node_modules" / "cloudfront"
    package.mkdir(parents=True, exist_ok=True)
    (package / "index.js").write_text(stub, encoding="utf-8")
    (package / "package.json").write_text('{"type": "module", "main": "index.js"}\n', encoding="utf-8")


def module_command(program: str, name: str, directory: Path, script: Path) -> list[str]:
    """The command line that runs the module `script`, with `cloudfront` resolved in `directory`."""
    return [program, str(script)] if name == "node" else [program, "-p", str(directory), str(script)]


class NoEngine(Exception):
    """Neither njs nor Node is installed."""


class FunctionFailed(Exception):
    """The function threw, or its engine stopped."""


def find_engine() -> str:
    """The name of the engine to run the function in: njs where installed, else Node."""
    for name in ENGINES:
        if shutil.which(name):
            return name
    raise NoEngine(
        "neither njs nor node is installed: the edge function needs one to run. "
        f"Fix: apt-get install {ENGINES['njs']} (the engine closest to CloudFront's runtime)"
    )


def engine_version(name: str) -> str:
    completed = subprocess.run([shutil.which(name), "-v"], capture_output=True, text=True, timeout=10)
    return completed.stdout.strip().lstrip("v")


class Engine:
    """One long-lived njs or Node process running the function's handler over events, one at a time.

    store: the key value store the function reads (`cloudfront` module), a dict, or None for a store
    that cannot be read; settable, and applied to later events.
    """

    def __init__(self, name: str, code: str, store: Optional[dict[str, str]] = None):
        self.name = name
        self.store = store
        program = shutil.which(name)
        if program is None:
            raise NoEngine(f"{name} is not installed. Fix: apt-get install {ENGINES[name]}")
        directory = None
        if is_module(code):
            directory = Path(tempfile.mkdtemp(prefix="maintenance-edge-"))
            install_cloudfront_module(directory)
            script = directory / "function.mjs"
            script.write_text(code + _LOOP + _MODULE_START, encoding="utf-8")
            command = module_command(program, name, directory, script)
        else:
            command = [program, "-c" if name == "njs" else "-e", code + _LOOP + _SCRIPT_START]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        )
        self._lock = threading.Lock()
        self._stop = weakref.finalize(self, _stop, self._process, directory)

    def handle(self, event: dict) -> dict:
        """The handler's result for event."""
        return self.route(event)[0]

    def route(self, event: dict) -> tuple[dict, Optional[dict]]:
        """The handler's result for event, and the origin it selected ({"id": ..., "params": {...}}) or None."""
        with self._lock:
            try:
                self._process.stdin.write(json.dumps({"event": event, "store": self.store}) + "\n")
                self._process.stdin.flush()
                line = self._process.stdout.readline()
            except OSError:
                line = ""
            if not line:
                self._process.wait(timeout=10)
                raise FunctionFailed(f"{self.name} stopped: {self._process.stderr.read().strip()}")
        answer = json.loads(line)
        if "error" in answer:
            raise FunctionFailed(answer["error"])
        return answer["result"], answer["selected"]

    def close(self) -> None:
        self._stop()


def _stop(process: subprocess.Popen, directory: Optional[Path]) -> None:
    # End of input ends the loop; the engine exits by itself.
    try:
        process.stdin.close()
    except BrokenPipeError:  # it has stopped already, with an event still in the buffer
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()
    process.stderr.close()
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


# --- events, shaped as in the CloudFront Developer Guide, "CloudFront Functions event structure" ----


def fields(values: dict[str, str]) -> dict[str, dict[str, str]]:
    return {name: {"value": value} for name, value in values.items()}


def cookies(header: Optional[str]) -> dict[str, dict[str, str]]:
    """The Cookie header as the event's cookies object (the header itself is not in headers)."""
    found = {}
    for pair in (header or "").split(";"):
        name, _, value = pair.strip().partition("=")
        if name:
            found[name] = {"value": value}
    return found


def context(event_type: str) -> dict:
    return {
        "distributionDomainName": DISTRIBUTION_DOMAIN,
        "distributionId": DISTRIBUTION_ID,
        "eventType": event_type,
        "requestId": "EXAMPLEntjQpEXAMPLE_SG5Z-EXAMPLEPmPfEXAMPLEu3EqEXAMPLE==",
    }


def request_object(method: str, uri: str, headers: dict[str, str], querystring: dict[str, str]) -> dict:
    """A request as the event carries it; header names in lower case, as CloudFront passes them."""
    return {
        "method": method,
        "uri": uri,
        "querystring": fields(querystring),
        "headers": fields({name: value for name, value in headers.items() if name != "cookie"}),
        "cookies": cookies(headers.get("cookie")),
    }


def viewer_event(event_type: str, request: dict, viewer_ip: str, response: Optional[dict] = None) -> dict:
    event = {"version": "1.0", "context": context(event_type), "viewer": {"ip": viewer_ip}, "request": request}
    if response is not None:
        event["response"] = response
    return event


def response_object(status: int, description: str, headers: dict[str, str]) -> dict:
    return {"statusCode": status, "statusDescription": description, "headers": fields(headers), "cookies": {}}


def headers_of(answer: dict) -> dict[str, str]:
    return {name: value["value"] for name, value in answer["headers"].items()}


# --- the distribution ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    kind: str  # JSON, PREFLIGHT, PAGE, LIVE, FUNCTION_FAILED, LIVE_FAILED or TOO_LARGE
    note: str = ""  # why, for the log (a live origin that did not answer)
    set_cookies: tuple[str, ...] = ()  # Set-Cookie lines, which one header each cannot hold in `headers`


@dataclass(frozen=True)
class PageObject:
    """The bucket's one object as S3 serves it: its key, the body and the headers of a GET."""

    key: str
    body: bytes
    headers: dict[str, str]

    @classmethod
    def from_settings(cls, settings: Settings, uploaded: datetime) -> "PageObject":
        key, page = page_object(PAGE_TEMPLATE, settings)
        body = page.encode("utf-8")
        # The bucket encrypts with SSE-S3 and the page is one PUT, so its ETag is the MD5 of the body
        # (Amazon S3 API Reference, Object, ETag: "Objects created by the PUT Object ... and are
        # encrypted by SSE-S3 or plaintext, have ETags that are an MD5 digest of their object data").
        etag = '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'
        headers = {
            "content-type": PAGE_CONTENT_TYPE,
            "cache-control": OBJECT_CACHE_CONTROL,
            "etag": etag,
            "last-modified": format_datetime(uploaded, usegmt=True),
        }
        if settings.live_origin:
            # With liveOrigin the object carries user-defined metadata that marks it as the page, which
            # S3 returns as an x-amz-meta-* header (Amazon S3 User Guide, "Working with object metadata",
            # user-defined metadata: names begin with x-amz-meta-, and "when you retrieve the object
            # using the REST API, this prefix is returned"). The viewer-response function leaves every
            # other answer, the live API's, untouched.
            headers.update({f"x-amz-meta-{name}": value for name, value in PAGE_METADATA.items()})
        return cls(key, body, headers)


@dataclass(frozen=True)
class OriginAnswer:
    status: int
    reason: str
    headers: list[tuple[str, str]]  # names in lower case, each value of a repeated header
    body: bytes  # as sent: a Content-Encoding is passed on, not decoded


class LiveOrigin:
    """Origin `live`: the scheme, host and port of a URL, to which requests are forwarded with httpx.

    The connection goes to the URL's host; Host, and the TLS server name with it, are what the
    function selected (hostHeader), as CloudFront sends them, so a load balancer sees the API's name.
    """

    def __init__(self, url: str, timeout: httpx.Timeout = LIVE_TIMEOUT):
        parts = urlsplit(url)
        self.url = f"{parts.scheme}://{parts.netloc}"
        self.host = parts.netloc
        # The CA bundle httpx ships (certifi), or the file SSL_CERT_FILE names, as status trusts; no proxy.
        self._client = httpx.Client(timeout=timeout, trust_env=False, verify=httpx.create_ssl_context())

    def forward(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes,
                host: str) -> "OriginAnswer":
        """The origin's answer, its body as sent (not decoded); httpx.TransportError when there is none."""
        request = httpx.Request(method, self.url + target, headers=[("host", host), *headers], content=body,
                                extensions={"sni_hostname": host.rsplit(":", 1)[0]} if self.url.startswith("https:") else {})
        response = self._client.send(request, stream=True)
        try:
            return OriginAnswer(response.status_code, response.reason_phrase,
                                [(name.lower(), value) for name, value in response.headers.multi_items()],
                                b"".join(response.iter_raw()))
        finally:
            response.close()

    def close(self) -> None:
        self._client.close()


STAND_IN_SAYS = ("This is not the live API: api-maintenance serve's stand-in for it answered. "
                 "Give serve --live URL to forward to a real one.")


class StandInLiveApi:
    """serve's stand-in for the live API when no --live URL is given: an HTTP server on loopback that
    answers every request 200 with JSON that says so and echoes what it got."""

    def __init__(self):
        self.server = EdgeServer(self._answer, ("127.0.0.1", 0), body_limit=BODY_LIMIT).start()
        self.url = self.server.url.rstrip("/")

    @staticmethod
    def _answer(method: str, target: str, headers: Message, client: str, body: bytes) -> Reply:
        document = {
            "standIn": STAND_IN_SAYS,
            "method": method,
            "path": target,
            "host": headers.get("Host"),
            "headers": dict(sorted((name.lower(), value) for name, value in headers.items())),
            "bodyBytes": len(body),
        }
        return Reply(200, {"content-type": "application/json; charset=utf-8", "cache-control": "no-store"},
                     (json.dumps(document, indent=2) + "\n").encode(), LIVE)

    def close(self) -> None:
        self.server.close()


def _field_values(fields_: dict) -> list[str]:
    """A header's, cookie's or query parameter's values in an event: `value`, then any `multiValue`."""
    return [field["value"] for field in fields_.get("multiValue") or [fields_]]


def _query(querystring: dict) -> str:
    return urlencode([(name, value) for name, field in querystring.items() for value in _field_values(field)],
                     quote_via=quote)


def _set_cookie_event(lines: list[str]) -> dict:
    """Set-Cookie lines as the response event's cookies (Developer Guide, event structure: value and attributes)."""
    found: dict[str, dict] = {}
    for line in lines:
        pair, _, attributes = line.partition(";")
        name, _, value = pair.strip().partition("=")
        cookie = {"value": value}
        if attributes.strip():
            cookie["attributes"] = attributes.strip()
        if name in found:
            found[name].setdefault("multiValue", [dict(found[name])]).append(cookie)
        else:
            found[name] = cookie
    return found


def _set_cookie_lines(cookies_: dict) -> tuple[str, ...]:
    lines = []
    for name, cookie in cookies_.items():
        for each in cookie.get("multiValue") or [cookie]:
            lines.append(f"{name}={each['value']}" + (f"; {each['attributes']}" if each.get("attributes") else ""))
    return tuple(lines)


class LocalDistribution:
    """The stack's function on both viewer events, in one engine process, the bucket's page and,
    with liveOrigin, the function's store and origin `live`."""

    def __init__(self, settings: Settings, engine: str, uploaded: Optional[datetime] = None,
                 live: Optional[LiveOrigin] = None, store_mode: Optional[str] = STORE_MAINTENANCE):
        """uploaded: when the page object was put in the bucket (default now), its Last-Modified.

        With settings.live_origin: live is origin `live`, and store_mode the value of the store's
        `mode` key (None: the key is missing). Without it both are ignored.
        """
        routing = live_routing(settings)
        code = render_function_code(settings.message, settings.until, settings.retry_after, settings.response_code,
                                    live=routing)
        self.page = PageObject.from_settings(settings, uploaded or datetime.now(timezone.utc).replace(microsecond=0))
        if routing is None:
            self.engine = Engine(engine, code)
            self.live = None
        else:
            if live is None:
                raise ValueError("a distribution with liveOrigin needs origin live")
            self.engine = Engine(engine, code, {} if store_mode is None else {STORE_MODE_KEY: store_mode})
            self.live = live

    def close(self) -> None:
        self.engine.close()

    def answer(self, method: str, target: str, headers: Message, viewer_ip: str, body: bytes = b"") -> Reply:
        """The answer to one request: target is the request line's path and query, body what it carried."""
        url = urlsplit(target)
        lowered: dict[str, str] = {}
        for name, value in headers.items():
            lowered.setdefault(name.lower(), value)
        request = request_object(method, url.path, lowered, dict(parse_qsl(url.query, keep_blank_values=True)))
        try:
            return self._answer(request, url.query, headers, viewer_ip, body)
        except FunctionFailed as error:
            # CloudFront answers a function's execution error with 503 (Developer Guide, "HTTP 503
            # status code (Service Unavailable)", Lambda@Edge or CloudFront Function execution error).
            return Reply(503, {"content-type": "text/plain; charset=utf-8"},
                         f"The CloudFront function returned an execution error: {error}\n".encode(), FUNCTION_FAILED)

    def _answer(self, request: dict, query: str, headers: Message, viewer_ip: str, body: bytes) -> Reply:
        event = viewer_event("viewer-request", request, viewer_ip)
        result, origin = self.engine.route(event)
        if "statusCode" in result:
            # The function answers a CORS preflight with 204, everything else with the 503 JSON
            # (whose HEAD answer has no body, so the body cannot tell them apart).
            kind = PREFLIGHT if result["statusCode"] == 204 else JSON
            data = result.get("body", {}).get("data", "")
            return Reply(result["statusCode"], headers_of(result), data.encode("utf-8"), kind)
        if origin is not None:
            if self.live is None or origin.get("id") != LIVE_ORIGIN_ID:
                raise FunctionFailed(f"the function selected origin {origin.get('id')!r}, which the distribution does not have")
            # The query as the viewer sent it, unless the function changed it.
            if result.get("querystring") != request["querystring"]:
                query = _query(result.get("querystring") or {})
            return self._forward(result, query, headers, viewer_ip, body, (origin.get("params") or {}).get("hostHeader"))
        if result["uri"] != "/" + self.page.key:
            raise FunctionFailed(f"the function forwarded {result['uri']}, which the bucket does not hold")
        response = response_object(200, "OK", self.page.headers)
        result = self.engine.handle(viewer_event("viewer-response", result, viewer_ip, response))
        return Reply(result["statusCode"], headers_of(result), self.page.body, PAGE)

    def _forward(self, request: dict, query: str, viewer_headers: Message, viewer_ip: str, body: bytes,
                 host: Optional[str]) -> Reply:
        """Origin live's answer to the request as the function left it, through the viewer-response function."""
        sent: list[tuple[str, str]] = []
        for name, field in request["headers"].items():
            if name not in HOP_BY_HOP and name != "x-forwarded-for":
                sent += [(name, value) for value in _field_values(field)]
        cookie = "; ".join(f"{name}={value}" for name, field in request.get("cookies", {}).items()
                           for value in _field_values(field))
        if cookie:
            sent.append(("cookie", cookie))
        # CloudFront adds the viewer's address to X-Forwarded-For, after any the viewer sent
        # (Developer Guide, "Request and response behavior for custom origins", client IP addresses).
        forwarded = viewer_headers.get("X-Forwarded-For")
        sent.append(("x-forwarded-for", f"{forwarded}, {viewer_ip}" if forwarded else viewer_ip))
        target = request["uri"] + (f"?{query}" if query else "")
        try:
            answer = self.live.forward(request["method"], target, sent, body, host or self.live.host)
        except httpx.TimeoutException as error:
            return _origin_failed(504, f"{self.live.url}: no answer in time ({type(error).__name__})")
        except httpx.TransportError as error:
            return _origin_failed(502, f"{self.live.url}: {type(error).__name__}: {error}")
        received = answer.headers
        kept: dict[str, str] = {}
        for name, value in received:
            if name in HOP_BY_HOP and not (name == "content-length" and request["method"] == "HEAD"):
                continue
            if name != "set-cookie":
                kept[name] = f"{kept[name]}, {value}" if name in kept else value
        set_cookies = [value for name, value in received if name == "set-cookie"]
        if answer.status >= 400:
            # No viewer-response function runs when the origin answers 400 or higher (Developer
            # Guide, "Restrictions on all edge functions"; see edge.py).
            return Reply(answer.status, kept, answer.body, LIVE, set_cookies=tuple(set_cookies))
        response = {"statusCode": answer.status, "statusDescription": answer.reason,
                    "headers": fields(kept), "cookies": _set_cookie_event(set_cookies)}
        result = self.engine.handle(viewer_event("viewer-response", request, viewer_ip, response))
        return Reply(result["statusCode"], headers_of(result), answer.body, LIVE,
                     set_cookies=_set_cookie_lines(result.get("cookies") or {}))


def _origin_failed(status: int, why: str) -> Reply:
    """CloudFront's own error answer when the origin does not answer (Developer Guide, "HTTP 502 status
    code (Bad Gateway)": it "couldn't connect to the origin server"; "HTTP 504 status code (Gateway Timeout)")."""
    body = (f"<!DOCTYPE html><html><head><title>ERROR: The request could not be satisfied</title></head>"
            f"<body><h1>{status} ERROR</h1><h2>The request could not be satisfied.</h2>"
            f"<p>CloudFront wasn't able to connect to the origin.</p></body></html>\n")
    return Reply(status, {"content-type": "text/html", "x-cache": "Error from cloudfront"}, body.encode(), LIVE_FAILED,
                 note=why)


# --- the HTTP server ----------------------------------------------------------------------

Answer = Callable[..., Reply]  # method, target, headers, client address[, body] -> Reply


class BodyTooLarge(Exception):
    """A request body over the server's limit."""


class EdgeServer:
    """An HTTP(S) server on a thread: `answer` gives each request's Reply; `log` hears of each one.

    HTTP/1.1 with keep-alive, as browsers and API clients use it. A HEAD answer has no body. With
    body_limit, a request's body (Content-Length or chunked) is read up to that many bytes and given
    to `answer` as a fifth argument, and a longer one is refused with 413 without being read;
    without it, the body is read and dropped (no function sees one).
    """

    def __init__(self, answer: Answer, address: tuple[str, int] = ("127.0.0.1", 0),
                 context: Optional[ssl.SSLContext] = None, log: Optional[Callable[[str, str, Reply], None]] = None,
                 body_limit: Optional[int] = None):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The headers and the body go out in two writes; with Nagle's algorithm the body waits
            # for the client's delayed ACK of the headers: 21 requests a second here, not 280.
            disable_nagle_algorithm = True

            def version_string(self):
                return "maintenance-serve"

            def _respond(self):
                if body_limit is None:
                    self._drop_body()
                    reply = answer(self.command, self.path, self.headers, self.client_address[0])
                else:
                    try:
                        body = self._read_body(body_limit)
                    except BodyTooLarge as error:
                        self.close_connection = True  # the rest of the body is not read
                        reply = Reply(413, {"content-type": "text/plain; charset=utf-8"},
                                      f"{error}\n".encode(), TOO_LARGE, note=str(error))
                    else:
                        reply = answer(self.command, self.path, self.headers, self.client_address[0], body)
                # The origin's own Server and Date, when it sent them, go out in place of this server's.
                given = {name.lower() for name in reply.headers}
                self.log_request(reply.status)
                self.send_response_only(reply.status)
                if "server" not in given:
                    self.send_header("Server", self.version_string())
                if "date" not in given:
                    self.send_header("Date", self.date_time_string())
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                for line in reply.set_cookies:
                    self.send_header("Set-Cookie", line)
                # RFC 9110, 8.6: "A server MUST NOT send a Content-Length header field in any
                # response with a status code of 1xx (Informational) or 204 (No Content)". A HEAD
                # answer forwarded from the live origin keeps the origin's.
                if reply.status != 204 and "content-length" not in given:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD" and reply.status != 204:
                    self.wfile.write(reply.body)
                if log:
                    log(self.command, self.path, reply)

            def _chunked(self) -> bool:
                return "chunked" in self.headers.get("Transfer-Encoding", "").lower()

            def _content_length(self) -> int:
                """The body's declared length; 0 for none, and for one that is no number, which also ends
                the connection (the body's end is unknown)."""
                try:
                    return int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    self.close_connection = True
                    return 0

            def _drop_body(self):
                if self._chunked():
                    self.close_connection = True  # the body is not read: the connection cannot be reused
                    return
                remaining = self._content_length()
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 65536))
                    if not chunk:
                        break
                    remaining -= len(chunk)

            def _read_body(self, limit: int) -> bytes:
                too_large = BodyTooLarge(f"the request body is over {limit} bytes, the most serve forwards")
                if self._chunked():
                    return self._read_chunked(limit, too_large)
                length = self._content_length()
                if length > limit:
                    raise too_large
                return self.rfile.read(length) if length > 0 else b""

            def _read_chunked(self, limit: int, too_large: BodyTooLarge) -> bytes:
                # RFC 9112, 7.1: chunks of hexadecimal size (extensions after ";"), a 0 chunk, trailers, CRLF.
                body = bytearray()
                while True:
                    line = self.rfile.readline(1024)
                    try:
                        size = int(line.split(b";")[0].strip(), 16)
                    except ValueError:
                        self.close_connection = True
                        return bytes(body)
                    if size == 0:
                        break
                    if len(body) + size > limit:
                        raise too_large
                    body += self.rfile.read(size)
                    self.rfile.readline(1024)  # the chunk's CRLF
                while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields, dropped
                return bytes(body)

            def log_message(self, *args):
                pass

        for method in ALLOWED_METHODS:
            setattr(Handler, f"do_{method}", Handler._respond)
        self.httpd = _Server(address, Handler)
        if context is not None:
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.host, self.port = self.httpd.server_address[:2]
        self.endpoint = endpoint_text(self.host, self.port)
        self.url = f"{'http' if context is None else 'https'}://{self.endpoint}/"
        self._thread: Optional[threading.Thread] = None

    def start(self) -> "EdgeServer":
        """Serve on a thread of its own."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on this thread until stop() is called from another."""
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()

    def close(self) -> None:
        if self._thread is not None:
            self.stop()
        self.httpd.server_close()


class _Server(http.server.ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], handler):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, handler)
