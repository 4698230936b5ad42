"""`python -m maintenance preflight STACK --to MODE`: is the target ready, before the switch?

Sends the target the requests the switch will bring it, as the stack's domain: TLS SNI and
the Host header are the domain whatever address --connect gives, so the maintenance
distribution (or the live API) is checked before the record points at it.
"""

from __future__ import annotations

import argparse
import json
import socket
import ssl
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import httpx

from ..edge import PREVIEW_HEADER
from ..settings import Settings, SettingsError, load_from_stack_file
from .answers import (
    EXIT_USAGE, LIVE, MAINTENANCE, classify_http, has_page_marker, is_maintenance_json, report_error, shown,
)
from .bounded_http import BoundedClient, BoundedResponse, is_slow
from .options import add_cwd_argument, add_stack_argument, endpoint, endpoint_text, positive_seconds
from .pulumi_stack import read_stack_outputs
from .overrun import overrun

EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_UNREACHABLE = 3

EXIT_CODES = """\
exit codes:
  0    every check passed: the target is ready for the switch
  1    a check failed (a certificate not valid for the domain, or expiring within
       7 days or before the stack's until, says "certificate")
  2    usage or config error (no target known: give --connect)
  3    could not connect (refused, timeout, name not found), or an answer was not
       complete within --timeout
  130  interrupted (Ctrl-C)
  141  the output's reader went away (| head)
"""

API_HEADERS = {"Accept": "application/json"}
# A browser opening the URL: Firefox 92+'s navigation Accept (MDN, "List of default Accept values")
# and the Fetch Metadata headers of a top-level navigation typed in the address bar
# (MDN, "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-Site", "Sec-Fetch-User").
BROWSER_NAVIGATION_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Dest": "document",
    "Sec-Fetch-Site": "none",
    "Sec-Fetch-User": "?1",
    "Upgrade-Insecure-Requests": "1",
}
# What a browser app on another origin sends before a cross-origin POST with a JSON body.
CORS_PREFLIGHT_HEADERS = {
    "Origin": "https://app.example.com",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}
USER_AGENT = "api-maintenance-preflight"
# ACM starts renewing 60 days before expiry and warns 45, 30, 7 and 1 day before when it cannot
# (AWS Certificate Manager User Guide, "Renewal for domains validated by DNS"): fewer days left
# than this means the renewal has failed, and the certificate may expire during the window.
CERTIFICATE_MARGIN = timedelta(days=7)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    source: str  # where the target came from, for the operator

    def __str__(self) -> str:
        return endpoint_text(self.host, self.port)


class NoTarget(Exception):
    """Neither --connect nor the stack names the target."""


class Unreachable(Exception):
    """No answer: refused, timeout, name not found, connection dropped."""


class TooSlow(Exception):
    """Connected, but the answer was not complete within the timeout."""


class TlsFailure(Exception):
    """The handshake failed, or the certificate is not valid for the domain."""


def find_target(args: argparse.Namespace, settings: Settings) -> Target:
    if args.connect:
        return Target(*args.connect, "--connect")
    if args.to == LIVE and settings.live_target:
        return Target(settings.live_target, 443, f"liveTarget in Pulumi.{args.stack}.yaml")
    outputs = read_stack_outputs(args.stack, Path(args.cwd))
    key = "distributionDomain" if args.to == MAINTENANCE else "liveTarget"
    name = outputs.get(key)
    if name:
        return Target(name, 443, f"stack output {key}")
    why = outputs.problem or f"the stack has no output {key}"
    raise NoTarget(f"no target to check for --to {args.to} ({why}): give it with --connect HOST[:PORT]")


def _root_cause(error: BaseException) -> BaseException:
    # httpcore's pool re-raises with `from None`, so the chain goes on through __context__.
    while (error.__cause__ or error.__context__) is not None:
        error = error.__cause__ or error.__context__
    return error


class Prober:
    """Sends requests to the target as the domain: SNI and Host are the domain, the address is the target's."""

    def __init__(self, domain: str, target: Target, path: str, context: ssl.SSLContext, timeout: float,
                 headers: Optional[dict[str, str]] = None):
        self.domain, self.target, self.path, self.timeout = domain, target, path, timeout
        self.url = f"https://{target}{path}"
        self.client = BoundedClient(context, timeout, headers={"User-Agent": USER_AGENT, **(headers or {})})

    def close(self) -> None:
        self.client.close()

    def send(self, method: str, headers: dict[str, str]) -> BoundedResponse:
        """The response, its body read up to a bound, with the peer's certificate and the TLS version."""
        # httpx request extension `sni_hostname` and response extension `network_stream`:
        # httpx docs, Advanced > Extensions (https://www.python-httpx.org/advanced/extensions/).
        try:
            return self.client.fetch(method, self.url, {"Host": self.domain, **headers},
                                     extensions={"sni_hostname": self.domain})
        except httpx.TimeoutException as error:
            if is_slow(error):
                raise TooSlow(f"{self.target} answered, but its answer was not complete within {self.timeout:g}s "
                              "(--timeout): too slow") from None
            raise Unreachable(f"no answer within {self.timeout:g}s") from None
        except httpx.HTTPError as error:
            cause = _root_cause(error)
            if isinstance(cause, ssl.SSLCertVerificationError):
                raise TlsFailure(f"certificate not valid for {self.domain}: {cause.verify_message}") from None
            if isinstance(cause, ssl.SSLError):
                raise TlsFailure(f"TLS handshake as {self.domain} failed: {cause.reason or cause}") from None
            if isinstance(cause, socket.gaierror):
                raise Unreachable(f"name not found: {self.target.host}") from None
            if isinstance(cause, ConnectionRefusedError):
                raise Unreachable("connection refused") from None
            raise Unreachable(f"{type(error).__name__}: {error}") from None


def tls_check(domain: str, response: BoundedResponse, now: datetime, until: Optional[datetime]) -> Check:
    """The certificate outlasts the window: more than CERTIFICATE_MARGIN left, and past the stack's until."""
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(response.certificate["notAfter"]), timezone.utc)
    days = (expires - now).days
    detail = f"certificate valid for {domain}, {response.tls_version}, expires in {days} days ({expires:%Y-%m-%d})"
    if expires - now < CERTIFICATE_MARGIN:
        return Check("tls", False, f"{detail}: the certificate expires within {CERTIFICATE_MARGIN.days} days, "
                                   "so its renewal has failed (ACM renews 60 days ahead); renew or replace it")
    if until is not None and expires <= until:
        return Check("tls", False, f"{detail}: the certificate expires before the window ends "
                                   f"(until {until:%Y-%m-%d %H:%M} UTC); renew or replace it")
    return Check("tls", True, detail)


def _content_type(response: BoundedResponse) -> str:
    return response.headers.get("content-type", "")


def _status_and_type(response: BoundedResponse) -> str:
    """`503 application/json`, or `503` alone for an answer without a Content-Type."""
    return f"{response.status_code} {_content_type(response)}".rstrip()


def _retry_after(response: BoundedResponse) -> tuple[bool, str]:
    """Whether the answer says when to retry, and how the report shows it."""
    value = response.headers.get("retry-after")
    return bool(value), f"Retry-After {value or 'missing'}"


def api_check(response: BoundedResponse, path: str) -> Check:
    maintenance = is_maintenance_json(response.status_code, _content_type(response), response.text)
    has_retry_after, retry_after = _retry_after(response)
    detail = (f"GET {path} with Accept: application/json -> {_status_and_type(response)}, "
              f"{'maintenance JSON' if maintenance else 'not the maintenance JSON'}, {retry_after}")
    return Check("api", maintenance and has_retry_after, detail)


def navigation_check(response: BoundedResponse, path: str, response_code: int) -> Check:
    marked = has_page_marker(_content_type(response), response.text)
    detail = (f"GET {path} as a browser navigation -> {_status_and_type(response)}, "
              f"{'with' if marked else 'without'} the api-maintenance marker (responseCode {response_code})")
    ok = marked and response.status_code == response_code
    if response_code == 503:  # the edge sends the page's 503 with the API's Retry-After (README, edge contract)
        has_retry_after, retry_after = _retry_after(response)
        detail += f", {retry_after}"
        ok = ok and has_retry_after
    return Check("browser", ok, detail)


def cors_check(response: BoundedResponse, path: str) -> Check:
    """The preflight answer lets the app's origin send a credentialed POST.

    A credentialed request passes the CORS check only with its own origin echoed, never "*"
    (MDN, "Reason: Credential is not supported if the CORS header 'Access-Control-Allow-Origin'
    is '*'", developer.mozilla.org/docs/Web/HTTP/CORS/Errors/CORSNotSupportingCredentials), and
    after a preflight only if its answer sets Access-Control-Allow-Credentials: true, "otherwise,
    the browser reports a network error" (MDN, developer.mozilla.org/en-US/docs/Web/HTTP/Headers/
    Access-Control-Allow-Credentials).
    """
    headers = response.headers
    origin, method = CORS_PREFLIGHT_HEADERS["Origin"], CORS_PREFLIGHT_HEADERS["Access-Control-Request-Method"]
    allowed_origin = headers.get("access-control-allow-origin")
    credentials = headers.get("access-control-allow-credentials")
    methods = headers.get("access-control-allow-methods")
    ok = (200 <= response.status_code < 300 and allowed_origin == origin and credentials == "true"
          and method in (m.strip().upper() for m in (methods or "").split(",")))
    detail = (f"OPTIONS {path} as a CORS preflight from {origin} -> {response.status_code}, "
              f"Access-Control-Allow-Origin {allowed_origin or 'missing'}, "
              f"-Allow-Credentials {credentials or 'missing'}, -Allow-Methods {methods or 'missing'}")
    return Check("cors", ok, detail)


def live_check(response: BoundedResponse, path: str) -> Check:
    """The API answers for its name: a 2xx or 3xx that is not the maintenance answer.

    A 4xx is no sign of a ready API: a wrong --path, or a load balancer's default rule, answers 404 or 403.
    """
    status = response.status_code
    state = classify_http(status, _content_type(response), response.text)
    detail = f"GET {path} with Accept: application/json -> {_status_and_type(response)}"
    if state == MAINTENANCE:
        detail += ", the maintenance answer"
    elif 400 <= status < 500:
        detail += (f": a {status} is no sign of a ready API; if {path} is not a path the API answers, "
                   "give one with --path (e.g. --path /health)")
    return Check("api", 200 <= status < 400 and state == LIVE, detail)


def run_checks(to: str, settings: Settings, prober: Prober) -> tuple[list[Check], int]:
    checks: list[Check] = []
    path = prober.path
    try:
        api = prober.send("GET", API_HEADERS)
        checks.append(tls_check(settings.domain, api, datetime.now(timezone.utc), settings.until))
        if to == MAINTENANCE:
            checks.append(api_check(api, path))
            checks.append(navigation_check(prober.send("GET", BROWSER_NAVIGATION_HEADERS), path,
                                           settings.response_code))
            checks.append(cors_check(prober.send("OPTIONS", CORS_PREFLIGHT_HEADERS), path))
        else:
            checks.append(live_check(api, path))
    except TlsFailure as error:
        return checks + [Check("tls", False, str(error))], EXIT_NOT_READY
    except Unreachable as error:
        return checks + [Check("connect", False, f"could not connect to {prober.target}: {error}")], EXIT_UNREACHABLE
    except TooSlow as error:
        return checks + [Check("answer", False, str(error))], EXIT_UNREACHABLE
    return checks, EXIT_READY if all(check.ok for check in checks) else EXIT_NOT_READY


def verdict(to: str, checks: list[Check], code: int) -> str:
    if code == EXIT_READY:
        return f"ready to switch to {to}"
    if code == EXIT_UNREACHABLE:
        return "could not connect: do not switch" if checks[-1].name == "connect" else "too slow: do not switch"
    return f"do not switch to {to} yet"


def window_note(to: str, settings: Settings, now: datetime) -> Optional[str]:
    """An overrun matters to a switch into maintenance: the page would announce an end already past."""
    return overrun(settings.until, settings.stack, now) if to == MAINTENANCE else None


def heading(to: str, settings: Settings, target: Target) -> str:
    return f"preflight to {to}: {settings.domain} (stack {settings.stack}) at {target} ({target.source})"


def report(to: str, settings: Settings, target: Target, checks: list[Check], code: int, note: Optional[str]) -> str:
    lines = [heading(to, settings, target)]
    if note:
        lines.append(f"  note: {note}")
    width = max(len(check.name) for check in checks)
    lines += [f"  {'ok' if check.ok else 'NOT':<3} {check.name:<{width}}  {check.detail}" for check in checks]
    passed = sum(check.ok for check in checks)
    lines.append(f"{passed}/{len(checks)} checks passed: {verdict(to, checks, code)} (exit {code})")
    return "\n".join(lines)


def as_json(to: str, settings: Settings, target: Target, checks: list[Check], code: int, note: Optional[str]) -> str:
    return json.dumps({
        "stack": settings.stack,
        "domain": settings.domain,
        "to": to,
        "target": {"host": target.host, "port": target.port, "from": target.source},
        "ready": code == EXIT_READY,
        "exit": code,
        "error": None if code == EXIT_READY else verdict(to, checks, code),
        "overrun": note,
        "checks": [asdict(check) for check in checks],
    }, indent=2)


def url_path(text: str) -> str:
    """A path, with a query if any, as it goes in the request line."""
    if not text.startswith("/") or any(character.isspace() for character in text):
        raise argparse.ArgumentTypeError(f"{shown(text)} is not a URL path such as / or /health")
    if "#" in text:  # a client never sends the fragment: it would be reported but not requested
        raise argparse.ArgumentTypeError(f"{shown(text)}: a fragment (#...) is never sent; leave it out")
    try:
        httpx.URL(text)  # the characters httpx refuses in the request, such as control characters
    except httpx.InvalidURL as error:
        raise argparse.ArgumentTypeError(f"{shown(text)} is not a URL path: {error}") from None
    return text


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """Where and how to check the target: shared with the window commands (on, off)."""
    parser.add_argument("--connect", type=endpoint(443), metavar="HOST[:PORT]",
                        help="where to connect (default port 443); default: the stack output distributionDomain "
                             "for maintenance, liveTarget (stack file or outputs) for live")
    parser.add_argument("--path", type=url_path,
                        help="path to request: a path your API answers, e.g. /health (default: the stack's "
                             "livePath for live, / for maintenance)")
    parser.add_argument("--cacert", metavar="FILE", help="trust the CA certificates in FILE (PEM) instead of the system's")
    parser.add_argument("--timeout", type=positive_seconds, default=10.0, metavar="S",
                        help="seconds for each answer, whole, headers and body (default 10)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack_argument(parser)
    parser.add_argument("--to", required=True, choices=(MAINTENANCE, LIVE),
                        help="the mode about to be switched to: check its target")
    add_target_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    add_cwd_argument(parser)


def _ssl_context(cacert: Optional[str]) -> ssl.SSLContext:
    if cacert == "":  # create_default_context would take it for no file and trust the system's CAs
        raise SettingsError(["--cacert is empty: give a PEM file of CA certificates, or leave the option out"])
    try:
        return ssl.create_default_context(cafile=cacert)
    except (OSError, ssl.SSLError) as error:
        raise SettingsError([f"--cacert {cacert}: cannot load CA certificates from it ({error})"]) from None


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_from_stack_file(Path(args.cwd), args.stack)
        context = _ssl_context(args.cacert)
        target = find_target(args, settings)
    except (SettingsError, NoTarget) as error:
        return report_error(str(error), EXIT_USAGE, args.json)
    if not args.json:  # what is checked, before a dead target keeps the operator waiting for --timeout
        print(heading(args.to, settings, target), flush=True)
    path = args.path or (settings.live_path if args.to == LIVE else "/")
    # A live-origin distribution passes every request to the live API while its store says pass-through,
    # as it does until `on` has run: the preview header gets its maintenance answers all the same (edge.py).
    preview = {PREVIEW_HEADER: "1"} if settings.live_origin and args.to == MAINTENANCE else {}
    prober = Prober(settings.domain, target, path, context, args.timeout, preview)
    try:
        checks, code = run_checks(args.to, settings, prober)
    finally:
        prober.close()
    note = window_note(args.to, settings, datetime.now(timezone.utc))
    if args.json:
        print(as_json(args.to, settings, target, checks, code, note))
    else:
        print(report(args.to, settings, target, checks, code, note).split("\n", 1)[1])
    return code
