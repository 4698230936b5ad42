"""The CloudFront Function that answers every request during a window.

One code, associated for both viewer events; it branches on event.context.eventType, which
CloudFront sets to "viewer-request" or "viewer-response" (CloudFront Developer Guide,
"CloudFront Functions event structure", context object).

- viewer request: a browser navigation (GET/HEAD) is rewritten to the page's real key with
  no query string and no validators or range, so every page view is one cached object and
  gets the whole page; every other request gets the 503 JSON answer (without a body for
  HEAD), generated at the edge, so nothing but page reads ever reaches the bucket.
- viewer response: the page's 200 becomes `responseCode`. A viewer-response function runs
  "regardless of whether the response comes from the CloudFront cache or the origin"
  (Developer Guide, "Determine function purpose"), and "can generate or modify the
  statusCode" (event structure, response object). It does not run for responses a
  viewer-request function generated ("CloudFront events that can trigger a Lambda@Edge
  function", viewer response; the page the CloudFront Functions guide points to for event
  types), nor when the origin answers 400 or higher ("Restrictions on all edge functions");
  the code only touches a 200, so it is right either way. It sets Vary, and changes
  statusCode, statusDescription and the cache-control and retry-after headers; only Via and
  Warning are read-only in viewer responses ("Restrictions on all edge functions", HTTP headers).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from email.utils import format_datetime
from http import HTTPStatus

from .page import utc_iso

FUNCTION_SIZE_LIMIT = 10 * 1024
ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
EVENT_TYPES = ("viewer-request", "viewer-response")
# The page's key in the bucket: browsers are sent to it, so S3 answers 200 and CloudFront
# caches that one object for every path and query string.
PAGE_URI = "/index.html"
# How much of a hostile header the function reads: browsers' Accept fits in ~140 characters.
ACCEPT_PREFIX = 512
ACCEPT_RANGES = 16
ORIGIN_MAX_LENGTH = 512  # longer than any scheme://host:port

_COMMENTED_CODE = """\
var BODY = %(body)s;
var RETRY_AFTER_SECONDS = %(retry_after)s;
var UNTIL_HTTP_DATE = %(until_http_date)s;
var UNTIL_EPOCH_MS = %(until_epoch_ms)s;
var ALLOWED_METHODS = %(allowed_methods)s;
var PAGE_URI = %(page_uri)s;
var PAGE_STATUS = %(page_status)s;
var PAGE_STATUS_TEXT = %(page_status_text)s;
var ACCEPT_PREFIX = %(accept_prefix)s;
var ACCEPT_RANGES = %(accept_ranges)s;
var ORIGIN_MAX_LENGTH = %(origin_max_length)s;
// What the page depends on, so that no cache hands it to an API client (RFC 9110, 12.5.5 Vary).
var PAGE_VARY = "Accept, Sec-Fetch-Mode, Sec-Fetch-Dest";
// A browser's validators or a range would get a 304 or 206 for its own copy, say a live answer:
// dropped, so every navigation gets the whole page (none is read-only in viewer requests:
// Developer Guide, "Restrictions on all edge functions", HTTP headers).
var CONDITIONAL_HEADERS = ["if-none-match", "if-modified-since", "if-range", "range"];
// Media types and origins are ASCII (RFC 9110, 5.6.2 tokens; RFC 6454, 6.2 origin serialization).
// A header is read up to its first other character: before it, Node's string indices (UTF-16
// units) and njs's (code points) count alike, and lowercasing costs njs little.
var NOT_ASCII = /[^\\x00-\\x7f]/;

function header(headers, name) {
  return headers[name] ? headers[name].value : "";
}

// text's first `count` characters, up to its first non-ASCII one.
function asciiPrefix(text, count) {
  var prefix = text.slice(0, count);
  var other = prefix.search(NOT_ASCII);
  return other < 0 ? prefix : prefix.slice(0, other);
}

// Whether a weight is above 0. A qvalue is at most 5 characters of digits and a dot (RFC 9110,
// 12.4.2); anything else counts as 0, where Number would read "0b1" as 1 in Node, NaN in njs.
function positive(weight) {
  if (weight.length > 5) return false;
  var digits = 0, dots = 0, nonzero = false;
  for (var i = 0; i < weight.length; i++) {
    var code = weight.codePointAt(i);
    if (code === 46) dots++;
    else if (code >= 48 && code <= 57) { digits++; nonzero = nonzero || code !== 48; }
    else return false;
  }
  return digits > 0 && dots <= 1 && nonzero;
}

// Whether the media range text[start, end), in lower case, has a weight above 0 (no q means 1).
function acceptable(text, start, end) {
  var semicolon = text.indexOf(";", start);
  while (semicolon >= 0 && semicolon < end) {
    var next = text.indexOf(";", semicolon + 1);
    if (next < 0 || next > end) next = end;
    var param = text.slice(semicolon + 1, next);
    var equals = param.indexOf("=");
    var name = (equals < 0 ? param : param.slice(0, equals)).trim();
    if (name === "q") return equals >= 0 && positive(param.slice(equals + 1).trim());
    semicolon = next < end ? next : -1;
  }
  return true;
}

// Whether text[start, end), in lower case, is the media type `type`, with or without parameters.
function isType(text, start, end, type) {
  if (!text.startsWith(type, start)) return false;
  var after = text.codePointAt(start + type.length);
  return start + type.length === end || after === 59 || after === 32 || after === 9;  // ; space tab
}

// What the first media ranges of Accept say, reading at most ACCEPT_PREFIX characters (all ASCII)
// and ACCEPT_RANGES ranges, comparing each in place, and only when its first letter can begin
// one of the two types (116 "t", 97 "a").
function acceptSays(accept) {
  var text = asciiPrefix(accept, ACCEPT_PREFIX).toLowerCase();
  var limit = text.length < accept.length ? text.lastIndexOf(",") : text.length;  // drop a range cut short
  var says = { htmlFirst: false, xhtml: false, htmlRefused: false };
  var start = 0;
  for (var n = 0; n < ACCEPT_RANGES && start <= limit; n++) {
    var end = text.indexOf(",", start);
    if (end < 0 || end > limit) end = limit;
    var first = text.codePointAt(start);
    while (first === 32 || first === 9) first = text.codePointAt(++start);
    if (first === 116 && isType(text, start, end, "text/html")) {
      var weighted = acceptable(text, start, end);
      if (n === 0) says.htmlFirst = weighted;
      if (!weighted) says.htmlRefused = true;
    } else if (first === 97 && isType(text, start, end, "application/xhtml+xml") && acceptable(text, start, end)) {
      says.xhtml = true;
    }
    start = end + 1;
  }
  return says;
}

function isNavigation(headers) {
  var says = acceptSays(header(headers, "accept"));
  if (says.htmlRefused) return false;
  var mode = header(headers, "sec-fetch-mode");
  var dest = header(headers, "sec-fetch-dest");
  if (mode || dest || headers["sec-fetch-site"] || headers["sec-fetch-user"]) {
    return mode === "navigate" || dest === "document" || dest === "iframe";
  }
  return says.htmlFirst && says.xhtml;
}

function retryAfter() {
  if (UNTIL_HTTP_DATE !== null && Date.now() < UNTIL_EPOCH_MS) return UNTIL_HTTP_DATE;
  return RETRY_AFTER_SECONDS;
}

// "null" is the origin of sandboxed, file: and data: documents (HTML Standard, serialization of an
// origin): echoed with credentials, it would let any of them read the answer, so it gets "*".
function withCors(requestHeaders, headers) {
  var origin = header(requestHeaders, "origin");
  if (origin && origin !== "null" && origin.length <= ORIGIN_MAX_LENGTH && origin.search(NOT_ASCII) < 0) {
    headers["access-control-allow-origin"] = { value: origin };
    headers["access-control-allow-credentials"] = { value: "true" };
    headers["vary"] = { value: "Origin" };
  } else {
    headers["access-control-allow-origin"] = { value: "*" };
  }
  return headers;
}

function preflight(requestHeaders) {
  var headers = {
    "access-control-allow-methods": { value: ALLOWED_METHODS },
    "access-control-max-age": { value: "60" },
    "cache-control": { value: "no-store" }
  };
  var asked = header(requestHeaders, "access-control-request-headers");
  if (asked) headers["access-control-allow-headers"] = { value: asked };
  return { statusCode: 204, statusDescription: "No Content", headers: withCors(requestHeaders, headers) };
}

function unavailable(request) {
  var answer = {
    statusCode: 503,
    statusDescription: "Service Unavailable",
    headers: withCors(request.headers, {
      "retry-after": { value: retryAfter() },
      "cache-control": { value: "no-store" },
      "content-type": { value: "application/json; charset=utf-8" },
      "access-control-expose-headers": { value: "Retry-After" }
    })
  };
  // The answer to HEAD is GET's without its content (RFC 9110, 9.3.2).
  if (request.method !== "HEAD") answer.body = { encoding: "text", data: BODY };
  return answer;
}

function pageResponse(response) {
  if (response.statusCode !== 200) return response;
  response.headers["vary"] = { value: PAGE_VARY };
  if (PAGE_STATUS === 200) return response;
  response.statusCode = PAGE_STATUS;
  response.statusDescription = PAGE_STATUS_TEXT;
  response.headers["cache-control"] = { value: "no-store" };
  if (PAGE_STATUS === 503) response.headers["retry-after"] = { value: retryAfter() };
  return response;
}

function handler(event) {
  if (event.context.eventType === "viewer-response") return pageResponse(event.response);
  var request = event.request;
  var method = request.method;
  if (method === "OPTIONS" && header(request.headers, "access-control-request-method")) {
    return preflight(request.headers);
  }
  if ((method === "GET" || method === "HEAD") && isNavigation(request.headers)) {
    request.uri = PAGE_URI;
    request.querystring = {};
    for (var i = 0; i < CONDITIONAL_HEADERS.length; i++) delete request.headers[CONDITIONAL_HEADERS[i]];
    return request;
  }
  return unavailable(request);
}
"""


# The comments are for readers of this file: CloudFront gets the code without its comment lines,
# which keeps the longest message within the 10 KB code limit.
_CODE = re.sub(r"^ *//.*\n", "", _COMMENTED_CODE, flags=re.MULTILINE)

# RFC 9110's reason phrases, where Python's HTTPStatus kept RFC 7231's until 3.13: the rendered code
# must not change with the Python that renders it.
_RFC_9110_PHRASES = {414: "URI Too Long"}


def _reason_phrase(status: int) -> str:
    return _RFC_9110_PHRASES.get(status, HTTPStatus(status).phrase)


def _js(value: object) -> str:
    # JSON is a JavaScript literal once U+2028 and U+2029 (line ends in ES5 strings) are
    # escaped. Other text stays UTF-8, which CloudFront's runtime takes in string literals
    # ("JavaScript runtime 2.0 features", Unicode): 4 bytes for an emoji, not 12 as \uXXXX
    # pairs, which keeps the longest message within the 10 KB code limit.
    return json.dumps(value, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def response_body(message: str, until: datetime | None) -> str:
    """The 503 JSON body API clients receive."""
    document = {
        "maintenance": True,
        "status": 503,
        "message": message,
        "until": utc_iso(until) if until else None,
    }
    return json.dumps(document, ensure_ascii=False)


def render_function_code(message: str, until: datetime | None, retry_after: int, page_status: int) -> str:
    return _CODE % {
        "body": _js(response_body(message, until)),
        "retry_after": _js(str(retry_after)),
        "until_http_date": _js(format_datetime(until, usegmt=True) if until else None),
        "until_epoch_ms": _js(int(until.timestamp() * 1000) if until else None),
        "allowed_methods": _js(", ".join(ALLOWED_METHODS)),
        "page_uri": _js(PAGE_URI),
        "page_status": _js(page_status),
        "page_status_text": _js(_reason_phrase(page_status)),
        "accept_prefix": _js(ACCEPT_PREFIX),
        "accept_ranges": _js(ACCEPT_RANGES),
        "origin_max_length": _js(ORIGIN_MAX_LENGTH),
    }
