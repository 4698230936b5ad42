"""The CloudFront Function, run in Node and njs over viewer-request and viewer-response events."""

import hashlib
import ipaddress
import json
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from edge_runtime import headers_of, request_event, request_object, response_event, route, run
from maintenance.edge import (
    ALLOWED_METHODS, BYPASS_COOKIE, BYPASS_HEADER, FUNCTION_SIZE_LIMIT, LIVE_ORIGIN_ID, FunctionTooLarge, PAGE_MARKER_HEADER,
    LIVE_PAGE_URI, PAGE_METADATA, PAGE_URI, PREVIEW_HEADER, STORE_MAINTENANCE, STORE_MODE_KEY, STORE_PASS_THROUGH, LiveRouting, live_routing,
    render_function_code, response_body,
)
from maintenance.cli.local_edge import Engine
from maintenance.settings import BYPASS_PATH_MAX_LENGTH, BYPASS_RULES_MAX, CLOUDFRONT_RESPONSE_CODES, MESSAGE_MAX_LENGTH
from requirements import require_program

ROOT = Path(__file__).resolve().parent.parent

# How much of Accept and Origin is read, as the README promises.
ACCEPT_READ = 512
ORIGIN_READ = 512
HOSTILE = 'He said "hi" 100% $message %(body)s \\ </script><script>alert(1)</script>\n\u2028 line two — café ✓ 🚧'
UNTIL = datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)
UNTIL_MS = int(UNTIL.timestamp() * 1000)

DEFAULT_CODE = render_function_code("Down for a database upgrade.", None, 300, 503)

CHROME_ACCEPT = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
                 "application/signed-exchange;v=b3;q=0.7")
FIREFOX_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
NAVIGATE = {"sec-fetch-mode": "navigate", "sec-fetch-dest": "document", "sec-fetch-site": "none", "sec-fetch-user": "?1"}
JAVA_ACCEPT = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"  # HttpURLConnection's default

API_REQUESTS = {
    "json GET": ("GET", {"accept": "application/json"}),
    "any type": ("GET", {"accept": "*/*"}),
    "no accept": ("GET", {}),
    "html refused": ("GET", {"accept": "text/html;q=0, application/xhtml+xml, application/json"}),
    "html refused, space before q": ("GET", {"accept": "text/html; q=0, application/xhtml+xml"}),
    "html refused by a navigation": ("GET", {"accept": "text/html; q=0.000, application/xhtml+xml", **NAVIGATE}),
    "Java HttpURLConnection": ("GET", {"accept": JAVA_ACCEPT}),
    "prefers JSON, tolerates HTML": ("GET", {"accept": "application/json, text/html;q=0.1"}),
    "html first but no xhtml": ("GET", {"accept": "text/html, */*"}),
    "fetch() from a page": ("GET", {"accept": "*/*", "sec-fetch-mode": "cors", "sec-fetch-dest": "empty", "sec-fetch-site": "cross-site"}),
    "fetch() asking for html": ("GET", {"accept": FIREFOX_ACCEPT, "sec-fetch-mode": "cors", "sec-fetch-dest": "empty"}),
    "an image tag": ("GET", {"accept": "image/avif,image/webp,*/*", "sec-fetch-mode": "no-cors", "sec-fetch-dest": "image"}),
    "POST with body": ("POST", {"accept": "application/json", "content-type": "application/json", "content-length": "27"}),
    "DELETE with body": ("DELETE", {"content-type": "application/json", "content-length": "2"}),
    "POST from a browser form": ("POST", {"accept": FIREFOX_ACCEPT, "content-type": "application/x-www-form-urlencoded", **NAVIGATE}),
    "PUT": ("PUT", {"accept": "application/json"}),
    "PATCH": ("PATCH", {}),
    "HEAD from curl": ("HEAD", {"accept": "*/*"}),
    "OPTIONS without preflight": ("OPTIONS", {}),
    "a malformed q": ("GET", {"accept": "text/html;q=abc, application/xhtml+xml"}),
    # Node's Number reads "0b1" as 1, njs's as NaN: a weight is read as a qvalue, so it is 0 in both.
    "a q in binary": ("GET", {"accept": "text/html;q=0b1,application/xhtml+xml"}),
    "a q too long to be a qvalue": ("GET", {"accept": "text/html;q=0.0001,application/xhtml+xml"}),
    # U+0130 lowercases to "i\u0307" in Node and to "i" in njs; no non-ASCII letter passes for ASCII.
    "a dotted capital I in the xhtml type": ("GET", {"accept": "TEXT/HTML,APPL\u0130CATION/XHTML+XML"}),
    "emoji, then html refused": ("GET", {"accept": "\U0001f6a7" * 240 + ",text/html;q=0"}),
    "html only after xhtml": ("GET", {"accept": "application/xhtml+xml,text/html"}),
    "fetch() with only Sec-Fetch-Mode": ("GET", {"accept": FIREFOX_ACCEPT, "sec-fetch-mode": "cors"}),
    "only Sec-Fetch-Site": ("GET", {"accept": FIREFOX_ACCEPT, "sec-fetch-site": "same-origin"}),
    "only Sec-Fetch-User": ("GET", {"accept": FIREFOX_ACCEPT, "sec-fetch-user": "?1"}),
    "Sec-Fetch-Dest of a worker": ("GET", {"accept": FIREFOX_ACCEPT, "sec-fetch-dest": "worker"}),
}


@pytest.mark.parametrize("name", API_REQUESTS)
def test_api_clients_get_503_json(name):
    method, headers = API_REQUESTS[name]
    [response] = run(DEFAULT_CODE, [request_event(method, headers=headers)])
    assert response["statusCode"] == 503
    assert response["statusDescription"] == "Service Unavailable"
    assert headers_of(response) == {
        "retry-after": "300",
        "cache-control": "no-store",
        "content-type": "application/json; charset=utf-8",
        "access-control-allow-origin": "*",
        "access-control-expose-headers": "Retry-After",
    }
    if method == "HEAD":
        assert "body" not in response  # RFC 9110, 9.3.2: GET's answer without its content
        return
    assert response["body"]["encoding"] == "text"
    assert json.loads(response["body"]["data"]) == {
        "maintenance": True, "status": 503, "message": "Down for a database upgrade.", "until": None,
    }


BROWSER_NAVIGATIONS = {
    "Chrome": ("GET", "/", {"accept": CHROME_ACCEPT, **NAVIGATE}),
    "Chrome, deep path": ("GET", "/v1/users/7/orders", {"accept": CHROME_ACCEPT, **NAVIGATE}),
    "Chrome iframe": ("GET", "/", {"accept": CHROME_ACCEPT, "sec-fetch-mode": "navigate", "sec-fetch-dest": "iframe"}),
    "Firefox without Sec-Fetch": ("GET", "/", {"accept": FIREFOX_ACCEPT}),
    "IE11": ("GET", "/", {"accept": "text/html, application/xhtml+xml, image/jxr, */*"}),
    "HEAD with odd spacing and case": ("HEAD", "/", {"accept": " TEXT/HTML ; Q=0.5 , Application/XHTML+XML"}),
    "Sec-Fetch-Dest: iframe alone": ("GET", "/", {"accept": "*/*", "sec-fetch-dest": "iframe"}),
    "Sec-Fetch-Dest: document alone": ("GET", "/", {"accept": "*/*", "sec-fetch-dest": "document"}),
    "Sec-Fetch-Mode: navigate alone": ("GET", "/", {"accept": "*/*", "sec-fetch-mode": "navigate"}),
    "a weight with a leading dot": ("GET", "/", {"accept": "text/html;q=.5,application/xhtml+xml"}),
    # Read up to its first non-ASCII character: the refusal after the emoji is never seen.
    "browser's Accept, then emoji": ("GET", "/", {"accept": "text/html,application/xhtml+xml," + "\U0001f6a7" * 240 + ",text/html;q=0"}),
}


@pytest.mark.parametrize("name", BROWSER_NAVIGATIONS)
def test_browser_navigations_are_sent_to_the_page_key(name):
    method, uri, headers = BROWSER_NAVIGATIONS[name]
    event = request_event(method, uri, headers, querystring={"utm_source": "mail", "page": "2"})
    [forwarded] = run(DEFAULT_CODE, [event])
    assert "statusCode" not in forwarded
    assert forwarded["method"] == method
    assert forwarded["uri"] == PAGE_URI
    assert forwarded["querystring"] == {}  # one cache key for every path and query string
    assert forwarded["headers"] == event["request"]["headers"]
    assert forwarded["cookies"] == event["request"]["cookies"]


def test_a_navigation_loses_its_validators_and_range_so_it_gets_the_whole_page():
    # A 304 would keep the browser on its own copy of that URL, say a live answer newer than the
    # page; a 206 would be part of the page. Nothing else is dropped.
    conditional = {
        "if-none-match": '"0123456789abcdef0123456789abcdef"',
        "if-modified-since": "Fri, 27 Nov 2026 10:00:00 GMT",
        "if-range": '"0123456789abcdef0123456789abcdef"',
        "range": "bytes=0-99",
    }
    kept = {"accept": CHROME_ACCEPT, **NAVIGATE, "cache-control": "max-age=0", "if-match": "*"}
    event = request_event("GET", "/", {**kept, **conditional})
    [forwarded] = run(DEFAULT_CODE, [event])
    assert forwarded["uri"] == PAGE_URI
    assert headers_of(forwarded) == {"host": "api.theboss.io", **kept}


def test_a_huge_accept_is_read_only_as_far_as_its_prefix():
    junk = ",".join(f"application/x-{n}" for n in range(2000))
    browser_then_junk = CHROME_ACCEPT + "," + junk  # refusing html far beyond what any browser sends
    events = [
        request_event(headers={"accept": junk + ",text/html,application/xhtml+xml"}),
        request_event(headers={"accept": browser_then_junk + ",text/html;q=0"}),
        request_event(headers={"accept": "text/html," + "application/xhtml+xml;" * 1000}),
    ]
    assert len(events[0]["request"]["headers"]["accept"]["value"]) > 16_000
    api, browser, cut = run(DEFAULT_CODE, events)
    assert api["statusCode"] == 503
    assert browser["uri"] == PAGE_URI
    assert cut["statusCode"] == 503  # its xhtml range is cut off at the prefix, so it cannot count


def accept_ending_at(length: int, filler: str = "b") -> str:
    """A browser's Accept padded with a parameter so that a refusal of text/html ends at `length` characters."""
    head, tail = "text/html,application/xhtml+xml;a=", ",text/html;q=0"
    return head + filler * (length - len(head) - len(tail)) + tail


def test_accept_is_read_to_its_512th_character_in_both_engines():
    read, cut = run(DEFAULT_CODE, [request_event(headers={"accept": accept_ending_at(ACCEPT_READ)}),
                                   request_event(headers={"accept": accept_ending_at(ACCEPT_READ + 1)})])
    assert read["statusCode"] == 503  # the refusal ends on the last character read
    assert cut["uri"] == PAGE_URI  # the refusal, cut short, is dropped


def test_accept_is_read_up_to_its_first_non_ascii_character():
    # Node counts UTF-16 units, njs code points: past a non-ASCII character their indices differ.
    # Media types are ASCII (RFC 9110, 8.3.1), so nothing past it is read, in either engine.
    for filler in ("\u00e9", "\U0001f6a7"):
        before, inside = run(DEFAULT_CODE, [
            request_event(headers={"accept": "text/html,application/xhtml+xml," + filler + ",text/html;q=0"}),
            request_event(headers={"accept": "text/html,application/xhtml+xml" + filler + ",text/html;q=0"}),
        ])
        assert before["uri"] == PAGE_URI  # the ranges before it count, the refusal after it is not read
        assert inside["statusCode"] == 503  # the xhtml range it cuts short is dropped


def test_a_huge_non_ascii_accept_costs_no_more_than_its_prefix():
    events = [request_event(headers={"accept": (unit + ",") * 5000}) for unit in ("\u00e9", "\U0001f6a7")]
    assert [answer["statusCode"] for answer in run(DEFAULT_CODE, events)] == [503, 503]


def preflight(origin=None, asked_headers="authorization, content-type"):
    headers = {"access-control-request-method": "POST"}
    if origin:
        headers["origin"] = origin
    if asked_headers:
        headers["access-control-request-headers"] = asked_headers
    return request_event("OPTIONS", headers=headers)


def test_preflight_with_an_origin_lets_a_credentialed_app_read_the_503():
    [response] = run(DEFAULT_CODE, [preflight("https://app.example.com")])
    assert response["statusCode"] == 204
    assert "body" not in response
    assert headers_of(response) == {
        "access-control-allow-origin": "https://app.example.com",
        "access-control-allow-credentials": "true",
        "vary": "Origin",
        "access-control-allow-methods": ", ".join(ALLOWED_METHODS),
        "access-control-allow-headers": "authorization, content-type",
        "access-control-max-age": "60",
        "cache-control": "no-store",
    }


def test_preflight_without_an_origin_allows_any():
    [response] = run(DEFAULT_CODE, [preflight(asked_headers=None)])
    assert headers_of(response) == {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": ", ".join(ALLOWED_METHODS),
        "access-control-max-age": "60",
        "cache-control": "no-store",
    }


def test_503_echoes_the_origin_with_credentials():
    event = request_event("POST", headers={"origin": "https://app.example.com", "content-type": "application/json",
                                           "cookie": "session=abc", "sec-fetch-mode": "cors"})
    [response] = run(DEFAULT_CODE, [event])
    headers = headers_of(response)
    assert response["statusCode"] == 503
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    assert headers["access-control-allow-credentials"] == "true"
    assert headers["vary"] == "Origin"
    assert headers["access-control-expose-headers"] == "Retry-After"


def origin_of_length(length: int, filler: str = "a") -> str:
    return "https://" + filler * (length - len("https://.example")) + ".example"


@pytest.mark.parametrize("origin", [
    origin_of_length(20_000),
    origin_of_length(ORIGIN_READ + 1),
    # Longer than ORIGIN_MAX_LENGTH in UTF-16 units, not in code points: not an origin either way,
    # since an origin is ASCII (RFC 6454, 6.2: the host in its A-label form).
    "https://" + "\U0001f6a7" * 300,
    "https://b\u00fccher.example",
    # The origin of sandboxed, file: and data: documents (HTML Standard, serialization of an origin).
    "null",
])
def test_an_origin_that_names_no_real_site_is_answered_with_a_star(origin):
    for event in (request_event(headers={"origin": origin}), preflight(origin)):
        [response] = run(DEFAULT_CODE, [event])
        headers = headers_of(response)
        assert headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in headers and "vary" not in headers


def test_an_origin_of_512_characters_is_echoed():
    origin = origin_of_length(ORIGIN_READ)
    [response] = run(DEFAULT_CODE, [request_event(headers={"origin": origin})])
    assert headers_of(response)["access-control-allow-origin"] == origin


def test_retry_after_is_the_http_date_of_until_then_seconds_once_it_has_passed():
    code = render_function_code("Back soon.", UNTIL, 120, 503)
    event = request_event(headers={"accept": "application/json"})
    [before] = run(code, [event], now=UNTIL_MS - 60_000)
    [after] = run(code, [event], now=UNTIL_MS + 1)
    assert headers_of(before)["retry-after"] == "Tue, 01 Dec 2026 06:00:00 GMT"
    assert headers_of(after)["retry-after"] == "120"
    assert json.loads(before["body"]["data"])["until"] == "2026-12-01T06:00:00Z"


# --- viewer response: the page's status -----------------------------------------------

S3_PAGE_HEADERS = {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "public, max-age=60",
    "etag": '"0123456789abcdef0123456789abcdef"',
    "last-modified": "Fri, 27 Nov 2026 10:00:00 GMT",
}
PAGE_REQUEST = request_object("GET", PAGE_URI, {"accept": CHROME_ACCEPT, **NAVIGATE}, querystring={})


def page_response(status=200, description="OK", headers=S3_PAGE_HEADERS):
    return response_event(status, description, dict(headers), PAGE_REQUEST)


# What a URL answers depends on these, so the page names them whatever its status: no shared or
# browser cache then hands the page to an API client (RFC 9110, 12.5.5).
PAGE_VARY = {"vary": "Accept, Sec-Fetch-Mode, Sec-Fetch-Dest"}
# RFC 9110, section 15, reason phrases of the statuses responseCode allows.
REASON_PHRASES = {
    400: "Bad Request", 403: "Forbidden", 404: "Not Found", 414: "URI Too Long", 500: "Internal Server Error",
    501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}


def test_the_page_is_a_503_with_retry_after_computed_as_for_api_clients():
    code = render_function_code("Back soon.", UNTIL, 120, 503)
    api = request_event(headers={"accept": "application/json"})
    for now in (UNTIL_MS - 60_000, UNTIL_MS + 1):
        page, answer = run(code, [page_response(), api], now=now)
        assert page["statusCode"] == 503
        assert page["statusDescription"] == "Service Unavailable"
        assert headers_of(page) == {
            **S3_PAGE_HEADERS,
            **PAGE_VARY,
            "cache-control": "no-store",  # a browser neither keeps nor revalidates the 503 page
            "retry-after": headers_of(answer)["retry-after"],
        }
        assert "body" not in page  # the page itself, from the cache, goes out untouched


def test_every_allowed_status_but_200_has_its_reason_phrase():
    assert set(REASON_PHRASES) == set(CLOUDFRONT_RESPONSE_CODES) - {200}


@pytest.mark.parametrize("code", [c for c in CLOUDFRONT_RESPONSE_CODES if c not in (200, 503)])
def test_the_page_takes_any_configured_status_without_retry_after(code):
    [page] = run(render_function_code("x", None, 300, code), [page_response()])
    assert page["statusCode"] == code
    assert page["statusDescription"] == REASON_PHRASES[code]
    assert headers_of(page) == {**S3_PAGE_HEADERS, **PAGE_VARY, "cache-control": "no-store"}


def test_response_code_200_leaves_the_page_as_the_bucket_sent_it_but_for_vary():
    [page] = run(render_function_code("x", None, 300, 200), [page_response()])
    sent = page_response()["response"]
    assert page == {**sent, "headers": {**sent["headers"], "vary": {"value": PAGE_VARY["vary"]}}}


@pytest.mark.parametrize("code", [405, 416])
def test_statuses_whose_headers_the_page_lacks_are_not_allowed(code):
    # A 405 must carry Allow, a 416 should carry Content-Range (RFC 9110, 15.5.6 and 15.5.17).
    assert code not in CLOUDFRONT_RESPONSE_CODES


@pytest.mark.parametrize(
    "status, description, headers",
    [
        # A browser revalidating a page it kept from a 200 window: its copy stays valid.
        (304, "Not Modified", {"etag": S3_PAGE_HEADERS["etag"], "cache-control": "public, max-age=60"}),
        # A Range request: the 206 describes part of the page and must stay a 206.
        (206, "Partial Content", {**S3_PAGE_HEADERS, "content-range": "bytes 0-99/4000"}),
    ],
)
def test_only_a_full_200_page_changes_status(status, description, headers):
    event = page_response(status, description, headers)
    [response] = run(DEFAULT_CODE, [event])
    assert response == event["response"]


def test_answers_the_request_side_generated_are_left_alone_if_the_response_side_sees_them():
    answer, no_content = run(DEFAULT_CODE, [request_event(headers={"accept": "application/json"}), preflight()])
    for generated in (answer, no_content):
        event = response_event(generated["statusCode"], generated["statusDescription"], headers_of(generated))
        [seen] = run(DEFAULT_CODE, [event])
        assert seen == event["response"]


def test_hostile_message_is_data_not_code():
    code = render_function_code(HOSTILE, UNTIL, 300, 503)
    assert HOSTILE not in code and "</script>" in code  # JSON-encoded, never pasted raw
    [response] = run(code, [request_event(headers={"accept": "application/json"})], now=UNTIL_MS - 1)
    assert json.loads(response["body"]["data"])["message"] == HOSTILE
    assert response["body"]["data"] == response_body(HOSTILE, UNTIL)


# Characters that cost the most bytes in the rendered code, each escaped twice over (in the
# JSON body, then in the JavaScript literal holding it) or 4 bytes of UTF-8.
COSTLY_CHARACTERS = ("\x01", "\u2028", "\u2029", '"', "\\", "🚧", "é")


def longest_code():
    """The function's code at the worst case settings accept: the costliest message and status."""
    candidates = [c * MESSAGE_MAX_LENGTH for c in COSTLY_CHARACTERS] + ["".join(COSTLY_CHARACTERS) * 100]
    return max(
        ((message[:MESSAGE_MAX_LENGTH], render_function_code(message[:MESSAGE_MAX_LENGTH], UNTIL, 86400, status))
         for message in candidates for status in CLOUDFRONT_RESPONSE_CODES),
        key=lambda pair: len(pair[1].encode("utf-8")),
    )


def test_code_stays_under_cloudfront_size_limit_at_the_worst_case_settings_accept():
    longest, code = longest_code()
    assert len(code.encode("utf-8")) < FUNCTION_SIZE_LIMIT
    [response, page] = run(code, [request_event(), page_response()], now=UNTIL_MS - 1)
    assert json.loads(response["body"]["data"])["message"] == longest
    assert page["statusCode"] != 200


def test_the_benchmark_runs_and_reports_a_ratio():
    # Timing is the benchmark's business (scripts/benchmark-edge); here it only has to run.
    require_program("njs")
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "benchmark-edge"), "--rounds", "1", "--target-ms", "2", "--max-ratio", "1e9"],
        capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert re.search(r"^ratio \d+\.\d\d \(worst case: .+; limit 1e\+09\)$", completed.stdout, re.M), completed.stdout
    # Non-ASCII headers cost njs more than ASCII ones of the same size: they are timed too.
    timed = set(re.findall(r"^ +\d+ ns/call +\d+\.\d\dx  (.+)$", completed.stdout, re.M))
    assert {"16 KB Accept of \u00e9,", "16 KB Accept of emoji,", "16 KB Origin of \u00e9", "16 KB Origin of emoji"} <= timed


# --- only the built-ins CloudFront's runtime lists ---------------------------------------
# AWS, CloudFront Developer Guide, "JavaScript runtime 2.0 features for CloudFront Functions"
# (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html):
# the methods it lists on the objects this code can use. Node and njs have more (charCodeAt, for one,
# is in both and not on the page), so running in them proves nothing about these.
RUNTIME_20_STRING_METHODS = {
    # ES 5.1, ES 6, ES 8, ES 9 and ES 12 prototype methods on strings
    "charAt", "concat", "indexOf", "lastIndexOf", "match", "replace", "search", "slice", "split", "substr",
    "substring", "toLowerCase", "trim", "toUpperCase", "codePointAt", "endsWith", "includes", "repeat",
    "startsWith", "padStart", "padEnd", "trimStart", "trimEnd", "replaceAll",
}
RUNTIME_20_ARRAY_METHODS = {
    "concat", "every", "filter", "forEach", "indexOf", "join", "lastIndexOf", "map", "pop", "push", "reduce",
    "reduceRight", "reverse", "shift", "slice", "some", "sort", "splice", "unshift", "copyWithin", "fill", "find",
    "findIndex", "includes",
}
RUNTIME_20_STATICS = {
    "String.fromCharCode", "String.fromCodePoint", "Array.isArray", "Array.of", "JSON.parse", "JSON.stringify",
    "Date.now",  # "All ES 5.1 Date features are supported"
}
RUNTIME_20_GLOBALS = {"decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "isFinite", "isNaN",
                      "parseFloat", "parseInt"}
# "All ES 5.1 types are supported": the length of a string or an array.
RUNTIME_20_PROPERTIES = {"length"}
# The same page, Built-in modules, Cryptographic (crypto): "crypto.createHash(algorithm)", "hash.update(data)",
# "hash.digest([encoding])" (encoding hex among others). async and await are core features of 2.0 there
# (Statements, ES 8), which need no name of their own.
RUNTIME_20_MODULES = {"crypto.createHash", "update", "digest"}
# The `cloudfront` module: "Helper methods for key value stores" (cf.kvs(), then get() on its handle) and
# "Helper methods for origin modification" (cf.selectRequestOriginById).
CLOUDFRONT_MODULE = {"cf.kvs", "get", "cf.selectRequestOriginById"}
# Fields of CloudFront's events and answers ("CloudFront Functions event structure"), and the one header
# the code names as a property (headers are keyed by their lower-case names there).
EVENT_FIELDS = {"context", "eventType", "request", "response", "method", "uri", "querystring", "headers", "cookies",
                "value", "statusCode", "statusDescription", "body", "encoding", "data", "viewer", "ip", "authorization"}


def builtins_used(code: str) -> set[str]:
    """Every method, function and property the code calls or reads that it does not define itself."""
    import tree_sitter_javascript
    from tree_sitter import Language, Parser

    tree = Parser(Language(tree_sitter_javascript.language())).parse(code.encode("utf-8"))
    nodes, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.children)
    text = lambda node: node.text.decode("utf-8")  # noqa: E731
    declared = {text(n.child_by_field_name("name")) for n in nodes
                if n.type in ("function_declaration", "variable_declarator")}
    declared |= {text(p) for n in nodes if n.type == "formal_parameters" for p in n.named_children}
    own_keys = {text(n.child_by_field_name("key")).strip('"') for n in nodes if n.type == "pair"}
    used = set()
    for node in nodes:
        if node.type == "call_expression":
            callee = node.child_by_field_name("function")
            if callee.type == "identifier" and text(callee) not in declared:
                used.add(text(callee))
        elif node.type == "member_expression":
            receiver, name = node.child_by_field_name("object"), text(node.child_by_field_name("property"))
            if receiver.type == "identifier" and text(receiver) not in declared:
                used.add(f"{text(receiver)}.{name}")
            elif name not in own_keys | EVENT_FIELDS:
                used.add(name)
    return used


def test_the_code_uses_only_built_ins_cloudfront_runtime_2_lists():
    _, code = longest_code()
    used = builtins_used(code)
    assert {"slice", "codePointAt", "toLowerCase", "search", "Date.now", "length"} <= used  # it finds them
    allowed = (RUNTIME_20_STRING_METHODS | RUNTIME_20_ARRAY_METHODS | RUNTIME_20_STATICS | RUNTIME_20_GLOBALS
               | RUNTIME_20_PROPERTIES)
    assert used - allowed == set()


def test_a_built_in_the_page_does_not_list_is_found():
    assert builtins_used('function f(s) { return s.charCodeAt(0) + Number(s) + Math.min(1, 2); }') == {
        "charCodeAt", "Number", "Math.min",
    }


def test_line_and_paragraph_separators_are_escaped_in_the_code():
    # ES5 string literals cannot hold U+2028 or U+2029 (see _js); Node and njs take them raw, so only
    # the code's text shows whether they were escaped.
    code = render_function_code("one\u2028two\u2029three", None, 300, 503)
    assert "\u2028" not in code and "\u2029" not in code
    [response] = run(code, [request_event(headers={"accept": "application/json"})])
    assert json.loads(response["body"]["data"])["message"] == "one\u2028two\u2029three"


# --- the live origin (issue 22): the store's mode, the bypass rules, origin `live` --------------------

LIVE_TOKEN = "qa-Team_0123456789abcdefghijklmnopqrstuv"
LIVE_HOST = "api.theboss.io"
LIVE = LiveRouting(
    host=LIVE_HOST,
    token_sha256=hashlib.sha256(LIVE_TOKEN.encode()).hexdigest(),
    cidrs=("203.0.113.0/24", "198.51.100.128/25", "2001:db8::/32", "2001:db8:abcd:1230::/62"),
    paths=("/webhooks/", "/health"),
)
LIVE_CODE = render_function_code("Down for a database upgrade.", None, 300, 503, LIVE)
MAINTENANCE_MODE = {STORE_MODE_KEY: STORE_MAINTENANCE}
PASS_THROUGH_MODE = {STORE_MODE_KEY: STORE_PASS_THROUGH}
TO_LIVE = {"id": LIVE_ORIGIN_ID, "params": {"hostHeader": LIVE_HOST}}
OUTSIDE = "192.0.2.77"  # in none of LIVE's CIDRs
NAVIGATION = {"accept": CHROME_ACCEPT, **NAVIGATE}


def live_route(events, store=MAINTENANCE_MODE, code=LIVE_CODE, now=None):
    return route(code, events, now=now, store=store)


def test_live_routing_reads_the_settings():
    settings = SimpleNamespace(live_origin=True, domain=LIVE_HOST, bypass_token=LIVE_TOKEN,
                               bypass_cidrs=("203.0.113.0/24",), bypass_paths=("/webhooks/",))
    assert live_routing(settings) == LiveRouting(LIVE_HOST, LIVE.token_sha256, ("203.0.113.0/24",), ("/webhooks/",))
    assert live_routing(SimpleNamespace(**{**vars(settings), "bypass_token": None})).token_sha256 is None
    assert live_routing(SimpleNamespace(**{**vars(settings), "live_origin": False})) is None


def test_the_token_is_in_the_code_only_as_its_sha256():
    assert LIVE_TOKEN not in LIVE_CODE
    assert LIVE.token_sha256 in LIVE_CODE


def test_the_live_code_begins_as_cloudfront_documents_its_modules():
    assert LIVE_CODE.startswith("import cf from 'cloudfront';\nimport crypto from 'crypto';\n")
    assert re.search(r"\basync function handler\(\w+\)\{", LIVE_CODE)  # the name CloudFront calls


ALL_TODAY = ([request_event(method, headers=headers) for method, headers in API_REQUESTS.values()]
             + [request_event(method, uri, headers) for method, uri, headers in BROWSER_NAVIGATIONS.values()]
             + [preflight("https://app.example.com"), preflight(asked_headers=None)])


@pytest.mark.parametrize("store", [MAINTENANCE_MODE, None, False, {}, {STORE_MODE_KEY: "Pass-Through"}],
                         ids=["maintenance", "store error", "no store associated", "no mode key", "an unknown mode"])
def test_without_a_bypass_every_request_is_answered_as_today(store):
    # The same answers as the function without the live origin, for every case above; a store that
    # cannot be read, or a missing key, means maintenance (get() returns an error for a missing key).
    today = run(DEFAULT_CODE, [json.loads(json.dumps(event)) for event in ALL_TODAY])
    results, selected = live_route([json.loads(json.dumps(event)) for event in ALL_TODAY], store=store)
    # The page has its own key with a live origin (edge.LIVE_PAGE_URI): all else is today's.
    assert [answer.get("uri") for answer in results if "uri" in answer] == [LIVE_PAGE_URI] * sum("uri" in t for t in today)
    assert results == [{**answer, "uri": LIVE_PAGE_URI} if "uri" in answer else answer for answer in today]
    assert selected == [None] * len(ALL_TODAY)


def test_a_navigation_to_the_page_loses_its_cookies_and_authorization():
    # The live origin's cache policy keys on all cookies and Authorization: the page stays one object.
    event = request_event("GET", "/v1/users", {**NAVIGATION, "cookie": "session=abc; theme=dark",
                                                "authorization": "Bearer abc"})
    [forwarded], [selected] = live_route([event])
    assert selected is None
    assert forwarded["uri"] == LIVE_PAGE_URI
    assert forwarded["cookies"] == {}
    assert "authorization" not in forwarded["headers"]
    assert headers_of(forwarded) == {"host": "api.theboss.io", **NAVIGATION}


def test_a_token_in_the_header_passes_the_request_to_live_without_the_header():
    api = request_event("POST", "/v1/orders", {"accept": "application/json", "authorization": "Bearer abc",
                                                 BYPASS_HEADER: LIVE_TOKEN, "cookie": "session=abc"}, viewer_ip=OUTSIDE)
    navigation = request_event("GET", "/v1/users", {**NAVIGATION, BYPASS_HEADER: LIVE_TOKEN}, viewer_ip=OUTSIDE)
    results, selected = live_route([api, navigation])
    assert selected == [TO_LIVE, TO_LIVE]  # hostHeader: the API's own name, which its certificate names
    for sent, forwarded in zip((api, navigation), results):
        expected = json.loads(json.dumps(sent["request"]))
        del expected["headers"][BYPASS_HEADER]
        assert forwarded == expected  # the path, query, cookies and Authorization go to the API as sent


def test_the_live_api_gets_its_own_name_whatever_host_the_viewer_asked_for():
    # A client that reaches the distribution by its cloudfront.net name, or with no Host (HTTP/1.0), still
    # gets to the load balancer as the API, whose certificate names it (the function's HOST, not the viewer's).
    events = [request_event(headers={"host": "d111111abcdef8.cloudfront.net", BYPASS_HEADER: LIVE_TOKEN}, viewer_ip=OUTSIDE),
              request_event(uri="/webhooks/x", headers={"host": "evil.example"}, viewer_ip=OUTSIDE)]
    del events[0]["request"]["headers"]["host"]
    for store in (MAINTENANCE_MODE, PASS_THROUGH_MODE):
        _, selected = live_route(json.loads(json.dumps(events)), store=store)
        assert selected == [TO_LIVE, TO_LIVE] and TO_LIVE["params"] == {"hostHeader": LIVE_HOST}


def test_a_token_in_the_cookie_passes_the_request_to_live_without_the_cookie():
    event = request_event("GET", "/v1/users", {"accept": "application/json",
                                               "cookie": f"session=abc; {BYPASS_COOKIE}={LIVE_TOKEN}; theme=dark"},
                          viewer_ip=OUTSIDE)
    [forwarded], [selected] = live_route([event])
    assert selected == TO_LIVE
    assert forwarded["cookies"] == {"session": {"value": "abc"}, "theme": {"value": "dark"}}
    assert forwarded["uri"] == "/v1/users"


@pytest.mark.parametrize("value", [
    LIVE_TOKEN[:-1] + "w", LIVE_TOKEN.upper(), LIVE_TOKEN[:-1], LIVE_TOKEN + "x", "", LIVE.token_sha256,
    f"{LIVE_TOKEN},{LIVE_TOKEN}",
], ids=["one character off", "another case", "cut short", "one too many", "empty", "its sha256", "twice"])
def test_a_wrong_token_gets_the_maintenance_answer(value):
    events = [request_event(headers={"accept": "application/json", BYPASS_HEADER: value}, viewer_ip=OUTSIDE),
              request_event(headers={"accept": "application/json", "cookie": f"{BYPASS_COOKIE}={value}"}, viewer_ip=OUTSIDE)]
    results, selected = live_route(events)
    assert [result["statusCode"] for result in results] == [503, 503]
    assert selected == [None, None]


def test_whitespace_around_the_token_is_no_part_of_it():
    # RFC 9110, 5.5: a field value's leading and trailing whitespace is not part of it.
    event = request_event(headers={BYPASS_HEADER: f" \t{LIVE_TOKEN} "}, viewer_ip=OUTSIDE)
    [forwarded], [selected] = live_route([event])
    assert selected == TO_LIVE and BYPASS_HEADER not in forwarded["headers"]


def test_without_a_token_setting_no_header_passes():
    code = render_function_code("x", None, 300, 503, LiveRouting(LIVE_HOST, None, (), ()))
    [answer], [selected] = live_route([request_event(headers={BYPASS_HEADER: "null"}, viewer_ip=OUTSIDE)], code=code)
    assert answer["statusCode"] == 503 and selected is None


ADDRESSES = {
    # 203.0.113.0/24: its first and last addresses, and the neighbours on either side.
    "203.0.113.0": True, "203.0.113.255": True, "203.0.112.255": False, "203.0.114.0": False,
    # 198.51.100.128/25, a prefix that ends inside a hex digit.
    "198.51.100.128": True, "198.51.100.255": True, "198.51.100.127": False, "198.51.101.128": False,
    # 2001:db8::/32, in compressed, full and upper-case text.
    "2001:db8::1": True, "2001:0db8:ffff:ffff:ffff:ffff:ffff:ffff": True, "2001:DB8::": True,
    "2001:db9::": False, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff": False,
    # 2001:db8:abcd:1230::/62 within 2001:db8::/32 would match anyway: its own edges are checked below.
    # An IPv4 address whose bits begin as 2001:db8 does (32.1.13.184 is 0x20010db8) is no IPv6 address.
    "32.1.13.184": False,
    "::ffff:203.0.113.5": False,  # IPv4-mapped: CloudFront gives an IPv4 viewer's address as IPv4 text
    "::": False, "::1": False, "fe80::1": False,
    # Not addresses: never a match, never an error.
    "": False, "203.0.113": False, "203.0.113.1.1": False, "203.0.113.256": False, "203.0.113.-1": False,
    "203.0.113.1 ": False, "203.0.113.0x1": False, "2001:db8::1::": False, "2001:db8:::1": False,
    "2001:db8:1:2:3:4:5:6:7": False, "2001:db8:1:2:3:4:5": False, "2001:db8::g": False, "2001:db8::12345": False,
    "2001:db8::1%eth0": False, ":": False, ":::": False, "2001:db8:1:2:3:4:5::6": False,
}


def test_a_viewer_in_a_cidr_goes_to_live():
    events = [request_event(headers={"accept": "application/json"}, viewer_ip=ip) for ip in ADDRESSES]
    results, selected = live_route(events)
    assert {ip: origin == TO_LIVE for ip, origin in zip(ADDRESSES, selected)} == ADDRESSES
    for result, origin in zip(results, selected):
        assert ("statusCode" in result) == (origin is None)


def test_a_prefix_that_ends_inside_a_hex_digit_matches_to_its_last_bit():
    # /62 alone (without 2001:db8::/32 around it): its edges and its neighbours.
    code = render_function_code("x", None, 300, 503, LiveRouting(LIVE_HOST, None, ("2001:db8:abcd:1230::/62",), ()))
    addresses = {"2001:db8:abcd:1230::": True, "2001:db8:abcd:1233:ffff:ffff:ffff:ffff": True,
                 "2001:db8:abcd:1234::": False, "2001:db8:abcd:122f:ffff:ffff:ffff:ffff": False}
    _, selected = live_route([request_event(viewer_ip=ip) for ip in addresses], code=code)
    assert {ip: origin == TO_LIVE for ip, origin in zip(addresses, selected)} == addresses


CIDR_LENGTHS = {4: (1, 7, 8, 9, 15, 22, 23, 24, 25, 30, 31, 32), 6: (1, 3, 4, 5, 31, 32, 33, 62, 63, 64, 65, 126, 127, 128)}


def test_a_cidr_of_each_length_matches_its_edges_and_not_its_neighbours():
    # Lengths on and around hex-digit and group boundaries, from one address of each version: the first
    # and last address of each network go to live; the addresses just before and after it do not.
    for version, base in ((4, "203.0.113.77"), (6, "2001:db8:abcd:1234:5678:9abc:def0:1234")):
        for length in CIDR_LENGTHS[version]:
            network = ipaddress.ip_network(f"{base}/{length}", strict=False)
            first, last = int(network.network_address), int(network.broadcast_address)
            outside = [n for n in (first - 1, last + 1) if 0 <= n < 2 ** network.max_prefixlen]
            address = ipaddress.IPv6Address if version == 6 else ipaddress.IPv4Address
            ips = [str(address(n)) for n in [first, last] + outside]
            code = render_function_code("x", None, 300, 503, LiveRouting(LIVE_HOST, None, (network.compressed,), ()))
            _, selected = live_route([request_event(viewer_ip=ip) for ip in ips], code=code)
            assert selected == [TO_LIVE, TO_LIVE] + [None] * len(outside), (network, ips)


@pytest.mark.parametrize("uri, passes", [
    ("/webhooks/stripe", True), ("/webhooks/", True), ("/health", True), ("/healthz", True),
    ("/webhooks", False), ("/v1/webhooks/stripe", False), ("/Webhooks/stripe", False), ("/", False),
])
def test_a_uri_that_starts_with_a_path_goes_to_live(uri, passes):
    events = [request_event("POST", uri, {"content-type": "application/json"}, viewer_ip=OUTSIDE),
              request_event("GET", uri, NAVIGATION, viewer_ip=OUTSIDE)]
    results, selected = live_route(events)
    assert selected == ([TO_LIVE] * 2 if passes else [None] * 2)
    if passes:
        assert [result["uri"] for result in results] == [uri, uri]


@pytest.mark.parametrize("uri", ["/webhooks/../admin", "/webhooks/./x", "/webhooks/%2e%2e/admin", "/webhooks/..%2fadmin",
                                 "/webhooks/x\\..\\..\\admin", "/webhooks//admin", "/health/.."])
def test_a_path_that_a_normalisation_could_turn_into_another_is_passed_by_no_prefix(uri):
    events = [request_event("POST", uri, {"content-type": "application/json"}, viewer_ip=OUTSIDE),
              request_event("POST", uri, {BYPASS_HEADER: LIVE_TOKEN}, viewer_ip=OUTSIDE),
              request_event("POST", uri, {}, viewer_ip="203.0.113.9")]
    results, selected = live_route(events)
    # Not by its prefix; the token and the CIDR still pass it, as they pass any path.
    assert selected == [None, TO_LIVE, TO_LIVE]
    assert results[0]["statusCode"] == 503


@pytest.mark.parametrize("store", [PASS_THROUGH_MODE, MAINTENANCE_MODE])
def test_a_preview_gets_the_maintenance_answers_whatever_the_store_says(store):
    # How on's preflight sees the real distribution answer maintenance while the store still says pass-through.
    preview = {PREVIEW_HEADER: "1"}
    events = [request_event("GET", "/v1/users", {"accept": "application/json", **preview}, viewer_ip=OUTSIDE),
              request_event("GET", "/v1/users", {**NAVIGATION, **preview}, viewer_ip=OUTSIDE),
              request_event("POST", "/webhooks/x", {BYPASS_HEADER: LIVE_TOKEN, **preview}, viewer_ip="203.0.113.9"),
              request_event("GET", "/v1/users", {"accept": "application/json"}, viewer_ip=OUTSIDE)]
    results, selected = live_route(events, store=store)
    assert selected[:3] == [None, None, None]
    assert results[0]["statusCode"] == 503 and results[1]["uri"] == LIVE_PAGE_URI and results[2]["statusCode"] == 503
    assert selected[3] == (TO_LIVE if store is PASS_THROUGH_MODE else None)


def test_pass_through_sends_every_request_to_live_as_sent():
    events = [request_event("POST", "/v1/orders", {"content-type": "application/json", "authorization": "Bearer abc"},
                            viewer_ip=OUTSIDE),
              request_event("GET", "/v1/users", {**NAVIGATION, "cookie": "session=abc"}, viewer_ip=OUTSIDE),
              preflight("https://app.example.com"),
              request_event("GET", "/v1/users", {BYPASS_HEADER: "wrong", "cookie": f"{BYPASS_COOKIE}=wrong"},
                            viewer_ip=OUTSIDE)]
    results, selected = live_route([json.loads(json.dumps(event)) for event in events], store=PASS_THROUGH_MODE)
    assert selected == [TO_LIVE] * len(events)
    assert results[:3] == [event["request"] for event in events[:3]]
    # The bypass header and cookie never reach the API, whatever they hold.
    assert BYPASS_HEADER not in results[3]["headers"] and results[3]["cookies"] == {}


def test_a_bypass_works_when_the_store_cannot_be_read():
    events = [request_event(headers={BYPASS_HEADER: LIVE_TOKEN}, viewer_ip=OUTSIDE),
              request_event(viewer_ip="203.0.113.9"), request_event(uri="/webhooks/x", viewer_ip=OUTSIDE),
              request_event(headers={"accept": "application/json"}, viewer_ip=OUTSIDE)]
    for store in (None, False, {}):
        _, selected = live_route(events, store=store)
        assert selected == [TO_LIVE, TO_LIVE, TO_LIVE, None]


LIVE_ANSWER_HEADERS = {"content-type": "application/json", "cache-control": "private, max-age=30", "etag": '"abc"'}


@pytest.mark.parametrize("store", [MAINTENANCE_MODE, PASS_THROUGH_MODE])
def test_a_live_answer_goes_out_untouched_even_a_200(store):
    events = [response_event(200, "OK", LIVE_ANSWER_HEADERS), response_event(201, "Created", LIVE_ANSWER_HEADERS),
              page_response(200, "OK", {**S3_PAGE_HEADERS, "x-amz-meta-other": "true"})]
    results, selected = live_route([json.loads(json.dumps(event)) for event in events], store=store)
    assert results == [event["response"] for event in events]
    assert selected == [None] * len(events)


def test_the_page_is_known_by_its_metadata_which_goes_and_gets_todays_treatment():
    assert PAGE_MARKER_HEADER == "x-amz-meta-" + next(iter(PAGE_METADATA))
    marked = {**S3_PAGE_HEADERS, PAGE_MARKER_HEADER: PAGE_METADATA["maintenance-page"]}
    code = render_function_code("Back soon.", UNTIL, 120, 503, LIVE)
    for now in (UNTIL_MS - 60_000, UNTIL_MS + 1):
        [page, not_modified], _ = live_route([page_response(200, "OK", marked),
                                              page_response(304, "Not Modified", marked)], code=code, now=now)
        [today] = run(render_function_code("Back soon.", UNTIL, 120, 503), [page_response()], now=now)
        assert page == today  # 503, Retry-After, no-store, Vary: and no marker
        assert not_modified == page_response(304, "Not Modified")["response"]


def test_the_live_code_uses_only_built_ins_cloudfront_runtime_2_lists():
    used = builtins_used(LIVE_CODE)
    assert {"crypto.createHash", "cf.selectRequestOriginById", "get", "digest"} <= used  # it finds them
    allowed = (RUNTIME_20_STRING_METHODS | RUNTIME_20_ARRAY_METHODS | RUNTIME_20_STATICS | RUNTIME_20_GLOBALS
               | RUNTIME_20_PROPERTIES | RUNTIME_20_MODULES | CLOUDFRONT_MODULE)
    assert used - allowed == set()


def test_a_hostile_message_is_data_in_the_live_code_too():
    # The live variant builds the body with JSON.stringify from the message's literal: the same text as
    # json.dumps gives, for every character that either escapes.
    controls = "".join(chr(c) for c in range(1, 32)) + "\x7f\u2028\u2029"
    for message in (HOSTILE, controls, '"\\' * 10, "\U0001f6a7\u00e9"):
        code = render_function_code(message, UNTIL, 300, 503, LIVE)
        [response], _ = live_route([request_event(headers={"accept": "application/json"}, viewer_ip=OUTSIDE)],
                                   code=code, now=UNTIL_MS - 1)
        assert response["body"]["data"] == response_body(message, UNTIL)


# The longest text of each setting the live variant holds (maintenance/settings.py): a host name of 253
# characters, the longest IPv6 networks' text, paths of 64 characters.
LONGEST_HOST = ".".join(["a" * 63] * 3 + ["b" * 61])
LONGEST_CIDRS = tuple(ipaddress.ip_network(f"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff{n:02x}/127").compressed
                      for n in range(0, 2 * BYPASS_RULES_MAX, 2))
LONGEST_PATHS = tuple(f"/{n:02d}" + "x" * (BYPASS_PATH_MAX_LENGTH - 3) for n in range(BYPASS_RULES_MAX))
LONGEST_LIVE = LiveRouting(LONGEST_HOST, "f" * 64, LONGEST_CIDRS, LONGEST_PATHS)


def test_the_longest_settings_are_the_longest_code():
    assert len(LONGEST_HOST) == 253 and len(set(LONGEST_CIDRS)) == BYPASS_RULES_MAX
    assert max(len(cidr) for cidr in LONGEST_CIDRS) == 43  # no network's compressed text is longer
    assert {len(path) for path in LONGEST_PATHS} == {BYPASS_PATH_MAX_LENGTH} and len(set(LONGEST_PATHS)) == BYPASS_RULES_MAX


def test_the_live_code_fits_at_the_longest_settings_with_a_message_of_500_four_byte_characters():
    message = "\U0001f600" * MESSAGE_MAX_LENGTH
    code = max((render_function_code(message, UNTIL, 86400, status, LONGEST_LIVE) for status in CLOUDFRONT_RESPONSE_CODES),
               key=lambda text: len(text.encode("utf-8")))
    assert len(code.encode("utf-8")) < FUNCTION_SIZE_LIMIT
    last_network = ipaddress.ip_network(LONGEST_CIDRS[-1])
    events = [request_event(headers={"accept": "application/json"}, viewer_ip=OUTSIDE),
              request_event(uri=LONGEST_PATHS[-1] + "/more", viewer_ip=OUTSIDE),
              request_event(viewer_ip=str(last_network.broadcast_address)),
              request_event(viewer_ip=str(last_network.broadcast_address + 1)),
              page_response(200, "OK", {**S3_PAGE_HEADERS, PAGE_MARKER_HEADER: "true"})]
    results, selected = live_route(events, code=code, now=UNTIL_MS - 1)
    assert json.loads(results[0]["body"]["data"])["message"] == message
    to_live = {"id": LIVE_ORIGIN_ID, "params": {"hostHeader": LONGEST_HOST}}
    assert selected == [None, to_live, to_live, None, None]
    assert results[4]["statusCode"] != 200


def test_past_the_size_limit_the_live_code_is_refused_with_the_numbers():
    # 500 characters that each cost 6 bytes in a string literal (U+2028 must be escaped in ES5), with every
    # bypass rule at its longest: 10761 bytes, 761 too many. Said before CloudFront's API would refuse it.
    with pytest.raises(FunctionTooLarge, match=r"would be \d+ bytes, over CloudFront's 10000: shorten the message"):
        render_function_code("\u2028" * MESSAGE_MAX_LENGTH, UNTIL, 86400, 503, LONGEST_LIVE)


@pytest.mark.parametrize("engine", ["node", "njs"])
def test_serves_engine_runs_the_live_variant_with_a_store_it_can_change(engine):
    # local_edge.Engine, the long-lived process `serve` uses: an async handler, the cloudfront stub,
    # and a store set between events (None: it cannot be read).
    require_program(engine)
    api = request_event("POST", headers={"accept": "application/json"}, viewer_ip=OUTSIDE)
    bypassed = request_event(headers={BYPASS_HEADER: LIVE_TOKEN}, viewer_ip=OUTSIDE)
    process = Engine(engine, LIVE_CODE, MAINTENANCE_MODE)
    try:
        answer, selected = process.route(api)
        assert answer["statusCode"] == 503 and selected is None
        forwarded, selected = process.route(bypassed)
        assert selected == TO_LIVE and BYPASS_HEADER not in forwarded["headers"]
        process.store = PASS_THROUGH_MODE
        assert process.route(api) == (api["request"], TO_LIVE)
        process.store = None
        assert process.handle(api)["statusCode"] == 503
        assert process.route(bypassed)[1] == TO_LIVE  # a rule holds whatever the store says
    finally:
        process.close()


def test_squeezing_keeps_every_space_and_line_end_javascript_needs():
    from maintenance.edge import _rename, _squeeze

    assert _squeeze('var a = b - -c + +d;  // why\nvar s = "x  y // z";\n\nreturn typeof a;\n') == (
        'var a=b- -c+ +d;var s="x  y // z";return typeof a;\n')
    # A line end stays where the next line could continue the statement before it.
    assert _squeeze("var a = b\n(c)\n") == "var a=b\n(c)\n"
    # Properties and object keys keep their names; declared names shrink, and no name is one the code holds.
    renamed = _rename('function header(headers, value) { return {value: headers.value, header: header}; }\n')
    assert renamed == 'function b(a, c) { return {value: a.value, header: b}; }\n'


STUB_PROBE = """import cf from 'cloudfront';
async function handler(event) {
  var answer = {};
  try { answer.value = await cf.kvs().get(event.key); } catch (error) { answer.error = true; }
  if (event.select) {
    cf.selectRequestOriginById("live", { hostHeader: "a.example" });
    try { cf.selectRequestOriginById("other"); } catch (error) { answer.twice = true; }
  }
  return answer;
}
"""


def test_the_cloudfront_stub_models_the_store_and_the_origin_choice():
    # get() resolves to the key's value, and "returns an error" for a missing key (Developer Guide, "Helper
    # methods for key value stores"); a store that cannot be read errors too. One origin choice an event.
    events = [{"key": "mode"}, {"key": "other"}, {"key": "mode", "select": True}]
    results, selected = route(STUB_PROBE, events, store={"mode": "pass-through"})
    assert results == [{"value": "pass-through"}, {"error": True}, {"value": "pass-through", "twice": True}]
    assert selected == [None, None, {"id": "live", "params": {"hostHeader": "a.example"}}]
    results, _ = route(STUB_PROBE, events[:1], store=None)
    assert results == [{"error": True}]
    results, _ = route(STUB_PROBE, events[:1], store=False)  # no store associated: cf.kvs() itself fails
    assert results == [{"error": True}]


OVERRIDE_PROBE = """import cf from 'cloudfront';
function handler(event) {
  try { cf.selectRequestOriginById("live", event.overrides); return {chosen: true}; }
  catch (error) { return {refused: String(error)}; }
}
"""


def test_the_cloudfront_stub_takes_only_the_origin_overrides_aws_documents():
    # "Helper methods for origin modification", selectRequestOriginById: origin_overrides holds hostHeader,
    # sni and allowedCertificateNames; a host header or SNI "can't include a colon (:) and can't be an IP
    # address" and "can be up to 253 characters".
    events = [{"overrides": overrides} for overrides in (
        {"hostHeader": "api.example.com", "sni": "api.example.com", "allowedCertificateNames": ["*.example.com"]},
        {"hostheader": "api.example.com"}, {"host": "api.example.com"}, {"hostHeader": "api.example.com:443"},
        {"hostHeader": "203.0.113.9"}, {"sni": "a" * 254}, {"hostHeader": ""},
    )]
    results, selected = route(OVERRIDE_PROBE, events, store={})
    assert results[0] == {"chosen": True} and selected[0]["params"] == events[0]["overrides"]
    assert all("refused" in result for result in results[1:]) and selected[1:] == [None] * 6
