"""The maintenance distribution on this machine: the stack's edge function and page, answering as CloudFront does.

`serve` runs it for operators, and the tests' loopback distribution (tests/edge_runtime.py) is
this same code, so what an operator sees and what the tests check cannot drift apart.

What is modelled: the viewer-request function decides; an answer it generates goes out as it
is; a request it forwards gets the bucket's one object, the page rendered from the settings,
with the headers S3 sends for it, passed through the viewer-response function. What is not:
CloudFront's own headers (Via, X-Cache, Age), its cache and compression, conditional and
Range requests, and a header's repeated values (the function reads `value`, the first).
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
from urllib.parse import parse_qsl, urlsplit

from ..edge import ALLOWED_METHODS, PAGE_URI, render_function_code
from ..settings import Settings
from ..site import OBJECT_CACHE_CONTROL, PAGE_CONTENT_TYPE, PAGE_TEMPLATE, page_object
from .options import endpoint_text

# njs (nginx's JavaScript engine) first: it is far closer to CloudFront's runtime than Node and
# refuses much of what Node accepts. Each with the Debian package that installs it.
ENGINES = {"njs": "njs", "node": "nodejs"}
DISTRIBUTION_DOMAIN = "d111111abcdef8.cloudfront.net"
DISTRIBUTION_ID = "EDFDVBD6EXAMPLE"
# Which answer a request got, for the log: the function's JSON, its preflight answer, or the bucket's page.
JSON, PREFLIGHT, PAGE = "JSON", "preflight", "page"
FUNCTION_FAILED = "function error"

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
    kind: str  # JSON, PREFLIGHT, PAGE or FUNCTION_FAILED


@dataclass(frozen=True)
class PageObject:
    """The bucket's one object as S3 serves it: the body and the headers of a GET."""

    body: bytes
    headers: dict[str, str]

    @classmethod
    def from_settings(cls, settings: Settings, uploaded: datetime) -> "PageObject":
        _, page = page_object(PAGE_TEMPLATE, settings)
        body = page.encode("utf-8")
        # The bucket encrypts with SSE-S3 and the page is one PUT, so its ETag is the MD5 of the body
        # (Amazon S3 API Reference, Object, ETag: "Objects created by the PUT Object ... and are
        # encrypted by SSE-S3 or plaintext, have ETags that are an MD5 digest of their object data").
        etag = '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'
        return cls(body, {
            "content-type": PAGE_CONTENT_TYPE,
            "cache-control": OBJECT_CACHE_CONTROL,
            "etag": etag,
            "last-modified": format_datetime(uploaded, usegmt=True),
        })


class LocalDistribution:
    """The stack's function on both viewer events, in one engine process, and the bucket's page."""

    def __init__(self, settings: Settings, engine: str, uploaded: Optional[datetime] = None):
        """uploaded: when the page object was put in the bucket (default now), its Last-Modified."""
        code = render_function_code(settings.message, settings.until, settings.retry_after, settings.response_code)
        self.page = PageObject.from_settings(settings, uploaded or datetime.now(timezone.utc).replace(microsecond=0))
        self.engine = Engine(engine, code)

    def close(self) -> None:
        self.engine.close()

    def answer(self, method: str, target: str, headers: Message, viewer_ip: str) -> Reply:
        """The answer to one request: target is the request line's path and query."""
        url = urlsplit(target)
        lowered: dict[str, str] = {}
        for name, value in headers.items():
            lowered.setdefault(name.lower(), value)
        request = request_object(method, url.path, lowered, dict(parse_qsl(url.query, keep_blank_values=True)))
        try:
            return self._answer(request, viewer_ip)
        except FunctionFailed as error:
            # CloudFront answers a function's execution error with 503 (Developer Guide, "HTTP 503
            # status code (Service Unavailable)", Lambda@Edge or CloudFront Function execution error).
            return Reply(503, {"content-type": "text/plain; charset=utf-8"},
                         f"The CloudFront function returned an execution error: {error}\n".encode(), FUNCTION_FAILED)

    def _answer(self, request: dict, viewer_ip: str) -> Reply:
        result = self.engine.handle(viewer_event("viewer-request", request, viewer_ip))
        if "statusCode" in result:
            # The function answers a CORS preflight with 204, everything else with the 503 JSON
            # (whose HEAD answer has no body, so the body cannot tell them apart).
            kind = PREFLIGHT if result["statusCode"] == 204 else JSON
            body = result.get("body", {}).get("data", "")
            return Reply(result["statusCode"], headers_of(result), body.encode("utf-8"), kind)
        if result["uri"] != PAGE_URI:
            raise FunctionFailed(f"the function forwarded {result['uri']}, which the bucket does not hold")
        response = response_object(200, "OK", self.page.headers)
        result = self.engine.handle(viewer_event("viewer-response", result, viewer_ip, response))
        return Reply(result["statusCode"], headers_of(result), self.page.body, PAGE)


# --- the HTTP server ----------------------------------------------------------------------

Answer = Callable[[str, str, Message, str], Reply]  # method, target, headers, client address -> Reply


class EdgeServer:
    """An HTTP(S) server on a thread: `answer` gives each request's Reply; `log` hears of each one.

    HTTP/1.1 with keep-alive, as browsers and API clients use it. A HEAD answer has no body; a
    request's body is read and dropped (no function sees one).
    """

    def __init__(self, answer: Answer, address: tuple[str, int] = ("127.0.0.1", 0),
                 context: Optional[ssl.SSLContext] = None, log: Optional[Callable[[str, str, Reply], None]] = None):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The headers and the body go out in two writes; with Nagle's algorithm the body waits
            # for the client's delayed ACK of the headers: 21 requests a second here, not 280.
            disable_nagle_algorithm = True

            def version_string(self):
                return "maintenance-serve"

            def _respond(self):
                self._drop_body()
                reply = answer(self.command, self.path, self.headers, self.client_address[0])
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                # RFC 9110, 8.6: "A server MUST NOT send a Content-Length header field in any
                # response with a status code of 1xx (Informational) or 204 (No Content)".
                if reply.status != 204:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD" and reply.status != 204:
                    self.wfile.write(reply.body)
                if log:
                    log(self.command, self.path, reply)

            def _drop_body(self):
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    self.close_connection = True  # the body is not read: the connection cannot be reused
                    return
                try:
                    remaining = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    remaining = 0
                    self.close_connection = True
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 65536))
                    if not chunk:
                        break
                    remaining -= len(chunk)

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
