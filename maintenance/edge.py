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

With `liveOrigin` (live_routing), the code is the live variant: an ES module in runtime 2.0 that reads
the mode from the distribution's KeyValueStore and sends chosen requests, or every request in
pass-through mode, on to the origin `live` (see _COMMENTED_LIVE_CODE). Without it, the code is
byte for byte what it was before the live origin existed.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from http import HTTPStatus
from typing import Optional

from .page import utc_iso

# CloudFront Developer Guide, Quotas, CloudFront Functions: "Maximum function size 10 KB", not said to be
# 10,000 or 10,240 bytes: the stricter reading, so no code this program accepts can be refused by the API.
FUNCTION_SIZE_LIMIT = 10_000
ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
EVENT_TYPES = ("viewer-request", "viewer-response")
# The page's key in the bucket: browsers are sent to it, so S3 answers 200 and CloudFront
# caches that one object for every path and query string.
PAGE_URI = "/index.html"
# With a live origin the page has a key no API path uses, which the function never passes to the live API:
# CloudFront's cache key holds no origin ("Understand the cache key": the distribution's domain, the URL
# path, and what the cache policy adds), so an API answer at the page's path would be the page's object.
LIVE_PAGE_URI = "/.api-maintenance/index.html"
# How much of a hostile header the function reads: browsers' Accept fits in ~140 characters.
ACCEPT_PREFIX = 512
ACCEPT_RANGES = 16
ORIGIN_MAX_LENGTH = 512  # longer than any scheme://host:port

# The live origin (issue 22): names the distribution, the store and the site share with the function.
LIVE_ORIGIN_ID = "live"  # the distribution's origin for the live API
STORE_MODE_KEY = "mode"  # the KeyValueStore's one key
STORE_MAINTENANCE = "maintenance"
STORE_PASS_THROUGH = "pass-through"
# The key's value for each of the stack's modes (Settings.mode): what the distribution does then.
STORE_MODES = {"maintenance": STORE_MAINTENANCE, "live": STORE_PASS_THROUGH}
# S3 user metadata the site sets on the page object; S3 returns it as the header x-amz-meta-maintenance-page,
# so the viewer-response function knows the page from a live answer.
PAGE_METADATA = {"maintenance-page": "true"}
PAGE_MARKER_HEADER = "x-amz-meta-maintenance-page"
BYPASS_HEADER = "x-maintenance-bypass"
BYPASS_COOKIE = "maintenance-bypass"
# A request carrying this header gets the maintenance answers whatever the store says: how `on`'s
# preflight sees the real distribution answer maintenance while the store still says pass-through.
# It only ever makes its own sender's answer a maintenance one.
PREVIEW_HEADER = "x-maintenance-preview"

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


# The live variant's first lines, as CloudFront documents them ("Helper methods for origin modification":
# `import cf from 'cloudfront'` "in the first line of the function code", runtime 2.0). crypto is a built-in
# module of runtime 2.0 ("JavaScript runtime 2.0 features for CloudFront Functions", Built-in modules).
# The store's handle, cf.kvs(), is taken in the handler's try (see there), not here as the Guide's example
# does: a module-level error would fail every request, the maintenance answers too.
_LIVE_HEAD = """\
import cf from 'cloudfront';
import crypto from 'crypto';
"""

_COMMENTED_LIVE_CODE = """\
var HOST = %(host)s;
var TOKEN_SHA256 = %(token_sha256)s;
// Each CIDR as: the bits of its last hex digit that count (0 for all 4), its IP version, then the hex
// digits of its network address that the prefix covers (live_routing's _cidr_entry).
var CIDRS = %(cidrs)s;
var PATHS = %(paths)s;
var HEX = "0123456789abcdef";

// The viewer's address as its IP version and its hex digits ("4" and 8, "6" and 32), or "" for any other text.
function addressKey(ip) {
  var key = "", parts, part, i;
  if (ip.indexOf(":") < 0) {
    parts = ip.split(".");
    if (parts.length !== 4) return "";
    for (i = 0; i < 4; i++) {
      part = parts[i];
      if (!part || part.length > 3 || part.search(/[^0-9]/) >= 0 || part > 255) return "";
      key += HEX[part >> 4] + HEX[part & 15];
    }
    return "4" + key;
  }
  // "::" stands for one or more groups of zeros (RFC 4291, 2.2).
  var halves = ip.toLowerCase().split("::");
  var head = halves[0] ? halves[0].split(":") : [];
  var tail = halves[1] ? halves[1].split(":") : [];
  var zeros = 8 - head.length - tail.length;
  if (halves.length > 2 || (halves.length > 1 ? zeros < 1 : zeros)) return "";
  for (i = 0; i < zeros; i++) head.push("0");
  parts = head.concat(tail);
  for (i = 0; i < 8; i++) {
    part = parts[i];
    if (!part || part.length > 4 || part.search(/[^0-9a-f]/) >= 0) return "";
    key += "000".slice(part.length - 1) + part;
  }
  return "6" + key;
}

function inCidrs(ip) {
  var key = addressKey(ip);
  for (var i = 0; key && i < CIDRS.length; i++) {
    var bits = CIDRS[i][0], net = CIDRS[i].slice(1), whole = net.length - (bits > 0);
    if (key.startsWith(net.slice(0, whole)) &&
        (bits < 1 || (parseInt(key[whole], 16) ^ parseInt(net[whole], 16)) >> 4 - bits === 0)) return true;
  }
  return false;
}

// The token is held as its SHA-256 only (crypto.createHash, hash.update, hash.digest("hex"): runtime 2.0,
// Built-in modules, Cryptographic module). A field value's surrounding whitespace is no part of it (RFC 9110, 5.5).
function isToken(field) {
  return !!field && crypto.createHash("sha256").update(field.value.trim()).digest("hex") === TOKEN_SHA256;
}

// A path bypass holds for a plain path only: a dot segment, a percent-escape, a backslash or an empty
// segment may name another path once the load balancer or the API normalises it (RFC 3986, 5.2.4
// remove_dot_segments; 2.1 percent-encoding), so such a URI is passed by no prefix.
var NOT_PLAIN = ["/.", "%%", "\\\\", "//"];

function bypasses(request, ip) {
  if (TOKEN_SHA256 !== null && (isToken(request.headers[%(bypass_header)s]) || isToken(request.cookies[%(bypass_cookie)s]))) {
    return true;
  }
  if (inCidrs(ip)) return true;
  for (var i = 0; i < NOT_PLAIN.length; i++) if (request.uri.indexOf(NOT_PLAIN[i]) >= 0) return false;
  for (i = 0; i < PATHS.length; i++) if (request.uri.startsWith(PATHS[i])) return true;
  return false;
}

// Runtime 2.0 runs an async handler and its awaits ("JavaScript runtime 2.0 features", Statements:
// async and await, await inside async functions only).
async function handler(event) {
  if (event.context.eventType === "viewer-response") {
    var response = event.response;
    // Only the page object carries the marker: a live answer, even a 200, goes out untouched. Answers
    // the viewer-request side generated never get here (see the module's docstring).
    if (!response.headers[%(page_marker)s]) return response;
    delete response.headers[%(page_marker)s];
    return pageResponse(response);
  }
  var request = event.request, mode = %(store_maintenance)s;
  // get() "will return an error when the key that you requested doesn't exist" (Developer Guide,
  // "Helper methods for key value stores"): that, or any other error, means maintenance; so does a
  // cf.kvs() that fails, as it would for a function with no store associated.
  try {
    mode = await cf.kvs().get(%(mode_key)s);
  } catch (e) {}
  // The page's own key and a preview are never passed: only the page fills that cache entry.
  var passed = request.uri !== PAGE_URI && !request.headers[%(preview_header)s] &&
    (mode === %(store_pass_through)s || bypasses(request, event.viewer.ip));
  if (passed) {
    delete request.headers[%(bypass_header)s];
    delete request.cookies[%(bypass_cookie)s];
    // An origin already in the distribution, by its id, with the Host the live API's certificate
    // names (Developer Guide, "Helper methods for origin modification": origins can be changed "on
    // viewer request CloudFront Functions only"; selectRequestOriginById(origin_id, {origin_overrides}),
    // whose hostHeader (for custom origins) "can't include a colon" or be an IP address, up to 253
    // characters, and is the TLS server name too when no sni is given).
    cf.selectRequestOriginById(%(origin_id)s, { hostHeader: HOST });
    return request;
  }
  var answer = maintenanceAnswer(event);
  // The page's cache key holds all cookies and Authorization (the live origin's cache policy): without
  // them every navigation reads the one cached page.
  if (answer === request) {
    request.cookies = {};
    delete request.headers.authorization;
  }
  return answer;
}
"""

# What the squeezing and renaming below leave as they are: JavaScript's string literals, the code's regular
# expression literals (character classes only), the template's placeholders; and comments, which go.
_LITERAL = re.compile(r'("(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|/\[[^\]\n]*\]/|%\(\w+\)s|//[^\n]*)')
_WORD_CHARACTER = re.compile(r"[A-Za-z0-9_$]")
_RESERVED = {"do", "if", "in", "for", "let", "new", "try", "var", "int", "NaN"}
# Names the code must keep: the handler CloudFront calls, and what the module's first lines import.
_KEPT_NAMES = {"handler", "cf", "crypto"}


def _squeeze(code: str) -> str:
    """code without comments, indentation, blank lines, and spaces JavaScript does not need.

    A space stays between two characters of names or numbers, and between two + or two - (a - -b is
    not a--b). A line end goes only after ; { } , & or | and before no ( [ + - / or `: there, no statement
    comes to rely on a semicolon it did not have (ECMAScript, automatic semicolon insertion).
    """
    parts = _LITERAL.split(code)
    out = []
    for index, part in enumerate(parts):
        if index % 2:  # a literal, kept as it is, or a comment, dropped
            out.append("" if part.startswith("//") else part)
            continue

        def space(match, part=part):
            before = part[match.start() - 1] if match.start() > 0 else ""
            after = part[match.end()] if match.end() < len(part) else ""
            keep = (_WORD_CHARACTER.match(before) and _WORD_CHARACTER.match(after)) or (before == after and before in "+-" and before)
            return " " if keep else ""

        out.append(re.sub(r"[ \t]+", space, part))
    return re.sub(r"(?<=[;{},&|])\n+(?![(\[+\-/`])", "", re.sub(r"\n+", "\n", "".join(out))).strip("\n") + "\n"


def _declared(masked: str) -> set[str]:
    """The names the code declares: functions, their parameters, and var statements' names."""
    names = set(re.findall(r"\bfunction (\w+)", masked))
    for parameters in re.findall(r"\bfunction\s*\w*\(([^)]*)\)", masked):
        names |= {name.strip() for name in parameters.split(",") if name.strip()}
    for start in (match.end() for match in re.finditer(r"\bvar ", masked)):
        depth, item = 0, start
        for index in range(start, len(masked)):
            character = masked[index]
            if character in "([{":
                depth += 1
            elif character in ")]}":
                depth -= 1
            if depth < 0 or (depth == 0 and character in ",;\n"):
                names.add(re.match(r"\s*(\w+)", masked[item:]).group(1))
                if character != ",":
                    break
                item = index + 1
    return names


def _short_names(taken: set[str]):
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for name in list(letters) + [a + b for a in letters for b in letters + "0123456789"]:
        if name not in taken and name not in _RESERVED:
            yield name


def _rename(code: str) -> str:
    """code with every name it declares (but _KEPT_NAMES) renamed to one or two letters, the most used first.

    A property (after a dot) or an object key (after { or , and before :) keeps its name. The new names
    are no word the code holds anywhere, so no two names meet and no built-in is shadowed.
    """
    masked = "".join("#" * len(part) if index % 2 else part for index, part in enumerate(_LITERAL.split(code)))
    occurrences: dict[str, list[int]] = {}
    for match in re.finditer(r"[A-Za-z_$][\w$]*", masked):
        start, end = match.span()
        before = masked[:start].rstrip()[-1:]
        after = masked[end:end + 1]
        if before == "." or (before in ("{", ",") and after == ":"):
            continue
        occurrences.setdefault(match.group(), []).append(start)
    renamed = sorted(_declared(masked) - _KEPT_NAMES, key=lambda name: (-len(occurrences[name]) * len(name), name))
    new_names = _short_names(set(re.findall(r"[\w$]+", masked)))
    replacements = []
    for name in renamed:
        short = next(new_names)
        if len(short) < len(name):
            replacements += [(start, len(name), short) for start in occurrences[name]]
    for start, length, short in sorted(replacements, reverse=True):
        code = code[:start] + short + code[start + length:]
    return code


# The 503 body, built from the message's literal rather than held as a literal of its JSON text: each of
# the message's escapes is written once, not twice (a quote costs 2 bytes, not 4). JSON.stringify escapes
# as json.dumps(ensure_ascii=False) does (ECMAScript, QuoteJSONString; tested in both engines).
_LIVE_BODY = "var BODY = %(body_before)s + JSON.stringify(%(message)s) + %(body_after)s;"

# Today's code, its handler renamed for the live handler to call, then the live code: squeezed and its
# names shortened, to keep within the 10 KB limit (the readable text is here).
_LIVE_CODE = _rename(_squeeze(
    _COMMENTED_CODE
    .replace("var BODY = %(body)s;", _LIVE_BODY, 1)
    .replace("function handler(event)", "function maintenanceAnswer(event)", 1)
    + _COMMENTED_LIVE_CODE
))


class FunctionTooLarge(ValueError):
    """The live variant's code, for these settings, is over CloudFront's size limit."""


@dataclass(frozen=True)
class LiveRouting:
    """What the live variant needs: the API's host name, the token's SHA-256 (hex), the CIDRs and the paths."""

    host: str
    token_sha256: Optional[str]
    cidrs: tuple[str, ...]
    paths: tuple[str, ...]


def live_routing(settings) -> Optional[LiveRouting]:
    """The live variant's routing for settings, or None without `liveOrigin`."""
    if not settings.live_origin:
        return None
    token = settings.bypass_token
    return LiveRouting(
        host=settings.domain,
        token_sha256=hashlib.sha256(token.encode("utf-8")).hexdigest() if token else None,
        cidrs=tuple(settings.bypass_cidrs),
        paths=tuple(settings.bypass_paths),
    )


def _cidr_entry(cidr: str) -> str:
    """A CIDR as the function matches it: the prefix's bits in its last hex digit, the version, the hex digits."""
    network = ipaddress.ip_network(cidr, strict=True)
    digits = f"{int(network.network_address):0{network.max_prefixlen // 4}x}"
    return f"{network.prefixlen % 4}{network.version}{digits[:-(-network.prefixlen // 4)]}"


def _js_list(items: list[str]) -> str:
    # A space never occurs in an entry (CIDR entries are hex; paths are RFC 3986 path characters):
    # one string split at run time costs 2 bytes an entry less than an array literal.
    assert all(" " not in item and item for item in items)
    return _js(" ".join(items)) + '.split(" ")' if items else "[]"

# The comments are for readers of this file: CloudFront gets the code without its comment lines,
# which keeps the longest message within the 10 KB code limit.
_CODE = re.sub(r"^ *//.*\n", "", _COMMENTED_CODE, flags=re.MULTILINE)

# RFC 9110's reason phrases, where Python's HTTPStatus kept RFC 7231's until 3.13: the rendered code
# must not change with the Python that renders it.
_RFC_9110_PHRASES = {414: "URI Too Long"}


def _reason_phrase(status: int) -> str:
    return _RFC_9110_PHRASES.get(status, HTTPStatus(status).phrase)


def page_uri(live_origin: bool) -> str:
    """Where the function sends browsers: the page object's key, with a leading slash."""
    return LIVE_PAGE_URI if live_origin else PAGE_URI


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


def render_function_code(message: str, until: datetime | None, retry_after: int, page_status: int,
                         live: Optional[LiveRouting] = None) -> str:
    values = {
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
    if live is None:
        return _CODE % values
    body = response_body(message, until)
    message_json = json.dumps(message, ensure_ascii=False)
    before, _, after = body.partition(message_json)
    assert before + message_json + after == body and '"message": ' + message_json in body
    code = _LIVE_HEAD + _LIVE_CODE % {
        **values,
        "page_uri": _js(LIVE_PAGE_URI),
        "body_before": _js(before),
        "message": _js(message),
        "body_after": _js(after),
        "host": _js(live.host),
        "token_sha256": _js(live.token_sha256),
        "cidrs": _js_list([_cidr_entry(cidr) for cidr in live.cidrs]),
        "paths": _js_list(list(live.paths)),
        "bypass_header": _js(BYPASS_HEADER),
        "bypass_cookie": _js(BYPASS_COOKIE),
        "page_marker": _js(PAGE_MARKER_HEADER),
        "preview_header": _js(PREVIEW_HEADER),
        "store_maintenance": _js(STORE_MAINTENANCE),
        "store_pass_through": _js(STORE_PASS_THROUGH),
        "mode_key": _js(STORE_MODE_KEY),
        "origin_id": _js(LIVE_ORIGIN_ID),
    }
    size = len(code.encode("utf-8"))
    if size > FUNCTION_SIZE_LIMIT:
        # Only reachable with the live origin, the longest message of the costliest characters and most
        # of the bypass rules at their longest: said here, not by CloudFront's API in the middle of an up.
        raise FunctionTooLarge(
            f"the edge function's code would be {size} bytes, over CloudFront's {FUNCTION_SIZE_LIMIT}: "
            f"shorten the message ({len(message)} characters), bypassPaths ({sum(map(len, live.paths))} characters "
            f"in all) or bypassCidrs ({len(live.cidrs)})"
        )
    return code
