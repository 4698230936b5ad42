"""The CloudFront Function that answers API clients during a window (viewer request).

Browsers asking for HTML get the page from the bucket; everyone else gets a 503 JSON
answer with Retry-After, generated at the edge so that no request but GET/HEAD of the
page ever reaches the bucket.
"""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import format_datetime

from .page import utc_iso

FUNCTION_SIZE_LIMIT = 10 * 1024
ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# A key that is never in the bucket: S3 answers 403 and the distribution's custom error
# response serves /index.html with the configured responseCode, for every path alike.
PAGE_REQUEST_URI = "/maintenance-page"

_CODE = """\
var BODY = %(body)s;
var RETRY_AFTER_SECONDS = %(retry_after)s;
var UNTIL_HTTP_DATE = %(until_http_date)s;
var UNTIL_EPOCH_MS = %(until_epoch_ms)s;
var ALLOWED_METHODS = %(allowed_methods)s;
var PAGE_REQUEST_URI = %(page_request_uri)s;

function header(headers, name) {
  return headers[name] ? headers[name].value : "";
}

function wantsHtml(accept) {
  return accept.split(",").some(function (range) {
    var parts = range.split(";");
    if (parts[0].trim().toLowerCase() !== "text/html") return false;
    return !parts.slice(1).some(function (param) {
      var pair = param.split("=");
      return pair[0].trim().toLowerCase() === "q" && parseFloat(pair[1]) === 0;
    });
  });
}

function retryAfter() {
  if (UNTIL_HTTP_DATE !== null && Date.now() < UNTIL_EPOCH_MS) return UNTIL_HTTP_DATE;
  return String(RETRY_AFTER_SECONDS);
}

function preflight(headers) {
  var response = {
    statusCode: 204,
    statusDescription: "No Content",
    headers: {
      "access-control-allow-origin": { value: "*" },
      "access-control-allow-methods": { value: ALLOWED_METHODS },
      "access-control-max-age": { value: "60" },
      "cache-control": { value: "no-store" }
    }
  };
  var asked = header(headers, "access-control-request-headers");
  if (asked) response.headers["access-control-allow-headers"] = { value: asked };
  return response;
}

function unavailable() {
  return {
    statusCode: 503,
    statusDescription: "Service Unavailable",
    headers: {
      "retry-after": { value: retryAfter() },
      "cache-control": { value: "no-store" },
      "content-type": { value: "application/json" },
      "access-control-allow-origin": { value: "*" },
      "access-control-expose-headers": { value: "Retry-After" }
    },
    body: { encoding: "text", data: BODY }
  };
}

function handler(event) {
  var request = event.request;
  var method = request.method;
  if (method === "OPTIONS" && header(request.headers, "access-control-request-method")) {
    return preflight(request.headers);
  }
  if ((method === "GET" || method === "HEAD") && wantsHtml(header(request.headers, "accept"))) {
    request.uri = PAGE_REQUEST_URI;
    request.querystring = {};
    return request;
  }
  return unavailable();
}
"""


def _js(value: object) -> str:
    # ASCII-only JSON is a valid JavaScript literal whatever the text holds (U+2028 included).
    return json.dumps(value, ensure_ascii=True)


def response_body(message: str, until: datetime | None) -> str:
    """The 503 JSON body API clients receive."""
    document = {
        "maintenance": True,
        "status": 503,
        "message": message,
        "until": utc_iso(until) if until else None,
    }
    return json.dumps(document, ensure_ascii=False)


def render_function_code(message: str, until: datetime | None, retry_after: int) -> str:
    return _CODE % {
        "body": _js(response_body(message, until)),
        "retry_after": _js(retry_after),
        "until_http_date": _js(format_datetime(until, usegmt=True) if until else None),
        "until_epoch_ms": _js(int(until.timestamp() * 1000) if until else None),
        "allowed_methods": _js(", ".join(ALLOWED_METHODS)),
        "page_request_uri": _js(PAGE_REQUEST_URI),
    }
