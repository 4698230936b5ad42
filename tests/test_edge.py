"""The CloudFront Function run in Node over CloudFront viewer-request events."""

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from maintenance.edge import ALLOWED_METHODS, FUNCTION_SIZE_LIMIT, PAGE_REQUEST_URI, render_function_code, response_body
from maintenance.settings import MESSAGE_MAX_LENGTH
from requirements import require_program

RUNNER = Path(__file__).with_name("run_cloudfront_function.js")

HOSTILE = 'He said "hi" 100% $message %(body)s \\ </script><script>alert(1)</script>\n\u2028 line two — café ✓ 🚧'
UNTIL = datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)
UNTIL_MS = int(UNTIL.timestamp() * 1000)


def event(method="GET", uri="/v1/users", accept=None, **headers):
    all_headers = {"host": {"value": "api.theboss.io"}}
    if accept is not None:
        all_headers["accept"] = {"value": accept}
    all_headers.update({name.replace("_", "-"): {"value": value} for name, value in headers.items()})
    return {
        "version": "1.0",
        "context": {"distributionDomainName": "d111111abcdef8.cloudfront.net", "eventType": "viewer-request"},
        "viewer": {"ip": "198.51.100.10"},
        "request": {"method": method, "uri": uri, "querystring": {"page": {"value": "2"}}, "headers": all_headers, "cookies": {}},
    }


def run(code, events, now=None):
    completed = subprocess.run(
        [require_program("node"), str(RUNNER)], input=json.dumps({"code": code, "events": events, "now": now}),
        capture_output=True, text=True, check=True, timeout=60,
    )
    return json.loads(completed.stdout)


def headers_of(response):
    return {name: value["value"] for name, value in response["headers"].items()}


DEFAULT_CODE = render_function_code("Down for a database upgrade.", None, 300)

API_EVENTS = {
    "json GET": event(accept="application/json"),
    "any type": event(accept="*/*"),
    "no accept": event(),
    "html refused": event(accept="text/html;q=0, application/json"),
    "POST with body": event("POST", accept="application/json", content_type="application/json", content_length="27"),
    "DELETE with body": event("DELETE", uri="/v1/users/7", content_type="application/json", content_length="2"),
    "POST from a browser form": event("POST", accept="text/html,application/xhtml+xml", content_type="application/x-www-form-urlencoded"),
    "PUT": event("PUT", accept="application/json"),
    "PATCH": event("PATCH"),
    "HEAD from curl": event("HEAD", accept="*/*"),
    "OPTIONS without preflight": event("OPTIONS"),
}


@pytest.mark.parametrize("name", API_EVENTS)
def test_api_clients_get_503_json(name):
    [response] = run(DEFAULT_CODE, [API_EVENTS[name]])
    assert response["statusCode"] == 503
    assert response["statusDescription"] == "Service Unavailable"
    assert headers_of(response) == {
        "retry-after": "300",
        "cache-control": "no-store",
        "content-type": "application/json",
        "access-control-allow-origin": "*",
        "access-control-expose-headers": "Retry-After",
    }
    assert response["body"]["encoding"] == "text"
    assert json.loads(response["body"]["data"]) == {
        "maintenance": True, "status": 503, "message": "Down for a database upgrade.", "until": None,
    }


@pytest.mark.parametrize(
    "method, uri, accept",
    [
        ("GET", "/", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        ("GET", "/v1/users/7/orders?x=1", "text/html"),
        ("HEAD", "/", "TEXT/HTML; q=0.5"),
    ],
)
def test_browsers_go_on_to_the_page(method, uri, accept):
    request = event(method, uri, accept)
    [forwarded] = run(DEFAULT_CODE, [request])
    assert "statusCode" not in forwarded
    assert forwarded["method"] == method
    assert forwarded["uri"] == PAGE_REQUEST_URI
    assert forwarded["querystring"] == {}
    assert forwarded["headers"] == request["request"]["headers"]


def test_preflight_lets_a_browser_app_read_the_503():
    preflight = event(
        "OPTIONS", origin="https://app.example.com", access_control_request_method="POST",
        access_control_request_headers="authorization, content-type",
    )
    [response] = run(DEFAULT_CODE, [preflight])
    assert response["statusCode"] == 204
    assert "body" not in response
    assert headers_of(response) == {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": ", ".join(ALLOWED_METHODS),
        "access-control-allow-headers": "authorization, content-type",
        "access-control-max-age": "60",
        "cache-control": "no-store",
    }


def test_retry_after_is_the_http_date_of_until_then_seconds_once_it_has_passed():
    code = render_function_code("Back soon.", UNTIL, 120)
    request = event(accept="application/json")
    [before] = run(code, [request], now=UNTIL_MS - 60_000)
    [after] = run(code, [request], now=UNTIL_MS + 1)
    assert headers_of(before)["retry-after"] == "Tue, 01 Dec 2026 06:00:00 GMT"
    assert headers_of(after)["retry-after"] == "120"
    assert json.loads(before["body"]["data"])["until"] == "2026-12-01T06:00:00Z"


def test_hostile_message_is_data_not_code():
    code = render_function_code(HOSTILE, UNTIL, 300)
    assert HOSTILE not in code and "</script>" in code  # JSON-encoded, never pasted raw
    [response] = run(code, [event(accept="application/json")], now=UNTIL_MS - 1)
    assert json.loads(response["body"]["data"])["message"] == HOSTILE
    assert response["body"]["data"] == response_body(HOSTILE, UNTIL)


def test_code_stays_under_cloudfront_size_limit_with_the_longest_message():
    longest = "🚧\u2028\"" * (MESSAGE_MAX_LENGTH // 3)
    code = render_function_code(longest, UNTIL, 86400)
    assert len(code.encode("utf-8")) < FUNCTION_SIZE_LIMIT
    [response] = run(code, [event()], now=UNTIL_MS - 1)
    assert json.loads(response["body"]["data"])["message"] == longest
