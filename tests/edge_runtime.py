"""CloudFront Functions events, and the function run over them in Node and in njs.

Events are shaped as in the CloudFront Developer Guide, "CloudFront Functions event structure":
version "1.0"; context with distributionDomainName, distributionId, eventType and requestId;
viewer.ip; request with method, uri, querystring, headers (lower-case names, each
{"value": ...}) and cookies (Cookie headers are not in headers); for viewer-response events
also response with statusCode (an integer), statusDescription, headers and cookies.

The engines. CloudFront runs `cloudfront-js-2.0`, which looks like njs 0.8 or later: AWS lists as
unavailable in 2.0 exactly the non-standard string methods (bytesFrom, fromBytes, fromUTF8,
toBytes, toUTF8) that njs 0.8.0 removed (Developer Guide, "JavaScript runtime features for
CloudFront Functions"; nginx.org, "Changes with njs 0.8.0"). Debian ships njs 0.7.9, which still
has them. The code uses none; test_edge.py checks every built-in it uses against the lists of
"JavaScript runtime 2.0 features for CloudFront Functions", since both engines here have more than
that page allows (charCodeAt, for one). njs indexes strings by code point, Node by UTF-16 unit: the
function reads a header only up to its first non-ASCII character, before which the two agree.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from maintenance.edge import PAGE_URI, render_function_code
from maintenance.settings import Settings
from maintenance.site import OBJECT_CACHE_CONTROL, page_object
from requirements import require_program

HARNESS = Path(__file__).with_name("run_cloudfront_function.js").read_text(encoding="utf-8")
# njs (nginx's JavaScript engine) is far closer to CloudFront's runtime than Node: it refuses
# much of what Node accepts. Every case runs in both and the answers must agree.
ENGINES = ("node", "njs")
DISTRIBUTION_DOMAIN = "d111111abcdef8.cloudfront.net"


def _fields(values: dict[str, str]) -> dict[str, dict[str, str]]:
    return {name: {"value": value} for name, value in values.items()}


def _cookies(header: str | None) -> dict[str, dict[str, str]]:
    cookies = {}
    for pair in (header or "").split(";"):
        name, _, value = pair.strip().partition("=")
        if name:
            cookies[name] = {"value": value}
    return cookies


def _context(event_type: str) -> dict:
    return {
        "distributionDomainName": DISTRIBUTION_DOMAIN,
        "distributionId": "EDFDVBD6EXAMPLE",
        "eventType": event_type,
        "requestId": "EXAMPLEntjQpEXAMPLE_SG5Z-EXAMPLEPmPfEXAMPLEu3EqEXAMPLE==",
    }


def request_object(method: str = "GET", uri: str = "/v1/users", headers: dict[str, str] | None = None,
                   querystring: dict[str, str] | None = None) -> dict:
    headers = {"host": "api.theboss.io", **(headers or {})}
    assert all(name == name.lower() for name in headers), "CloudFront passes header names in lower case"
    return {
        "method": method,
        "uri": uri,
        "querystring": _fields(querystring if querystring is not None else {"page": "2"}),
        "headers": _fields({name: value for name, value in headers.items() if name != "cookie"}),
        "cookies": _cookies(headers.get("cookie")),
    }


def request_event(method: str = "GET", uri: str = "/v1/users", headers: dict[str, str] | None = None,
                  querystring: dict[str, str] | None = None) -> dict:
    return {
        "version": "1.0",
        "context": _context("viewer-request"),
        "viewer": {"ip": "198.51.100.10"},
        "request": request_object(method, uri, headers, querystring),
    }


def response_event(status: int, description: str, headers: dict[str, str], request: dict | None = None) -> dict:
    return {
        "version": "1.0",
        "context": _context("viewer-response"),
        "viewer": {"ip": "198.51.100.10"},
        "request": request or request_object(),
        "response": {"statusCode": status, "statusDescription": description, "headers": _fields(headers), "cookies": {}},
    }


def script(code: str, events: list[dict], now: int | None) -> str:
    return f"var __input = {json.dumps({'events': events, 'now': now})};\n{HARNESS}\n{code}\n__finish(handler);\n"


def run_in(engine: str, code: str, events: list[dict], now: int | None = None) -> list[dict]:
    # njs -s: sandbox mode, no file system, as CloudFront's runtime restricts it.
    command = [require_program("node"), "-"] if engine == "node" else [require_program("njs"), "-s", "-"]
    completed = subprocess.run(command, input=script(code, events, now), capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0 and not completed.stderr, f"{engine} failed:\n{completed.stderr}{completed.stdout}"
    return json.loads("".join(completed.stdout.split("\n")))


def run(code: str, events: list[dict], now: int | None = None) -> list[dict]:
    """The handler's results for events, the same in Node and in njs."""
    node, njs = (run_in(engine, code, events, now) for engine in ENGINES)
    assert node == njs, "Node and njs disagree"
    return njs


def headers_of(answer: dict) -> dict[str, str]:
    return {name: value["value"] for name, value in answer["headers"].items()}


ROOT = Path(__file__).resolve().parent.parent
# What S3 sends with the page object as site.py uploads it (ETag and Last-Modified are S3's own).
PAGE_OBJECT_HEADERS = {
    "content-type": "text/html; charset=utf-8",
    "cache-control": OBJECT_CACHE_CONTROL,
    "etag": '"0123456789abcdef0123456789abcdef"',
    "last-modified": "Fri, 27 Nov 2026 10:00:00 GMT",
}


def distribution(settings: Settings):
    """The maintenance distribution as an HttpServer answer: the real function on both viewer events.

    The viewer-request event decides: an answer the function generates goes out as it is; a
    request it forwards reaches the bucket, whose one object is the page rendered from the
    settings, and the page's 200 then goes through the viewer-response event.
    """
    code = render_function_code(settings.message, settings.until, settings.retry_after, settings.response_code)
    _, page = page_object(ROOT / "site" / "index.html", settings)

    def answer(method: str, path: str, headers) -> tuple[int, dict[str, str], str]:
        url = urlsplit(path)
        event = request_event(method, url.path, {name.lower(): value for name, value in headers.items()},
                              dict(parse_qsl(url.query)))
        [result] = run(code, [event])
        if "statusCode" in result:
            return result["statusCode"], headers_of(result), result.get("body", {}).get("data", "")
        assert result["uri"] == PAGE_URI, f"the function forwarded {result['uri']}, which the bucket does not hold"
        [response] = run(code, [response_event(200, "OK", PAGE_OBJECT_HEADERS, result)])
        return response["statusCode"], headers_of(response), page

    return answer
