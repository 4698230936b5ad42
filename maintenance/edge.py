"""The CloudFront Function that answers every request during a window.

One code, associated for both viewer events; it branches on event.context.eventType, which
CloudFront sets to "viewer-request" or "viewer-response" (CloudFront Developer Guide,
"CloudFront Functions event structure", context object).

- viewer request: a browser navigation (GET/HEAD) is rewritten to the page's real key with
  no query string, so every page view is one cached object; every other request gets the
  503 JSON answer, generated at the edge, so nothing but page reads ever reaches the bucket.
- viewer response: the page's 200 becomes `responseCode`. A viewer-response function runs
  "regardless of whether the response comes from the CloudFront cache or the origin"
  (Developer Guide, "Determine function purpose"), and "can generate or modify the
  statusCode" (event structure, response object). It does not run for responses a
  viewer-request function generated ("CloudFront events that can trigger a Lambda@Edge
  function", viewer response; the page the CloudFront Functions guide points to for event
  types), nor when the origin answers 400 or higher ("Restrictions on all edge functions");
  the code only touches a 200, so it is right either way. It changes statusCode,
  statusDescription and the cache-control and retry-after headers; only Via and Warning are
  read-only in viewer responses ("Restrictions on all edge functions", HTTP headers).
"""

from __future__ import annotations

import json
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

_CODE = """\
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

function header(headers, name) {
  return headers[name] ? headers[name].value : "";
}

// Whether the media range text[start, end) has a weight above 0 (no q means 1).
function acceptable(text, start, end) {
  var semicolon = text.indexOf(";", start);
  while (semicolon >= 0 && semicolon < end) {
    var next = text.indexOf(";", semicolon + 1);
    if (next < 0 || next > end) next = end;
    var param = text.slice(semicolon + 1, next);
    var equals = param.indexOf("=");
    if ((equals < 0 ? param : param.slice(0, equals)).trim() === "q") {
      return equals >= 0 && Number(param.slice(equals + 1).trim()) > 0;
    }
    semicolon = next < end ? next : -1;
  }
  return true;
}

function isType(text, start, end, type) {
  if (text.slice(start, start + type.length) !== type) return false;
  var after = text.charCodeAt(start + type.length);
  return start + type.length === end || after === 59 || after === 32 || after === 9;  // ; space tab
}

// What the first media ranges of Accept say, reading at most ACCEPT_PREFIX characters and
// ACCEPT_RANGES ranges, with no allocation per range beyond two short slices.
function acceptSays(accept) {
  var text = accept.slice(0, ACCEPT_PREFIX).toLowerCase();
  var limit = accept.length > ACCEPT_PREFIX ? text.lastIndexOf(",") : text.length;  // drop a range cut short
  var says = { htmlFirst: false, xhtml: false, htmlRefused: false };
  var start = 0;
  for (var n = 0; n < ACCEPT_RANGES && start <= limit; n++) {
    var end = text.indexOf(",", start);
    if (end < 0 || end > limit) end = limit;
    while (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9) start++;
    if (isType(text, start, end, "text/html")) {
      var weighted = acceptable(text, start, end);
      if (n === 0) says.htmlFirst = weighted;
      if (!weighted) says.htmlRefused = true;
    } else if (isType(text, start, end, "application/xhtml+xml") && acceptable(text, start, end)) {
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
  return String(RETRY_AFTER_SECONDS);
}

function withCors(requestHeaders, headers) {
  var origin = header(requestHeaders, "origin");
  if (origin && origin.length <= ORIGIN_MAX_LENGTH) {
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

function unavailable(requestHeaders) {
  return {
    statusCode: 503,
    statusDescription: "Service Unavailable",
    headers: withCors(requestHeaders, {
      "retry-after": { value: retryAfter() },
      "cache-control": { value: "no-store" },
      "content-type": { value: "application/json; charset=utf-8" },
      "access-control-expose-headers": { value: "Retry-After" }
    }),
    body: { encoding: "text", data: BODY }
  };
}

function pageResponse(response) {
  if (response.statusCode !== 200 || PAGE_STATUS === 200) return response;
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
    return request;
  }
  return unavailable(request.headers);
}
"""


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
        "retry_after": _js(retry_after),
        "until_http_date": _js(format_datetime(until, usegmt=True) if until else None),
        "until_epoch_ms": _js(int(until.timestamp() * 1000) if until else None),
        "allowed_methods": _js(", ".join(ALLOWED_METHODS)),
        "page_uri": _js(PAGE_URI),
        "page_status": _js(page_status),
        "page_status_text": _js(HTTPStatus(page_status).phrase),
        "accept_prefix": _js(ACCEPT_PREFIX),
        "accept_ranges": _js(ACCEPT_RANGES),
        "origin_max_length": _js(ORIGIN_MAX_LENGTH),
    }
