"""`python -m maintenance status STACK`: has the switch reached the world yet?

Asks the zone's authoritative name servers and recursive resolvers for the API's CNAME,
optionally the API itself over HTTP, and says per server whether it already gives the
stack's desired mode, and for how long (TTL) it may still give the old one.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional, TextIO

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import httpx

from ..edge import STORE_PASS_THROUGH
from ..settings import SettingsError, load_from_stack_file, stack_file_path
from .answers import (
    EXIT_AGREED,
    EXIT_USAGE,
    FAILED,
    LIVE,
    MAINTENANCE,
    UNKNOWN,
    Answer,
    Expectation,
    classify_http,
    classify_target,
    exit_status,
    longest_stale_ttl,
    report_error,
)
from .bounded_http import BoundedClient, is_slow
from .options import add_cwd_argument, add_stack_argument, endpoint, endpoint_text, http_url, positive_seconds
from .deployment import not_deployed
from .pulumi_stack import read_stack_outputs, read_stack_state
from .shared_truth import stack_file_commit_hint
from .overrun import overrun

RESOLV_CONF = "/etc/resolv.conf"
NAME_PATTERN = "name pattern"
WAIT_TIMEOUT = 900.0
WAIT_INTERVAL = 5.0

EXIT_CODES = """\
exit codes:
  0    every answer agrees with the stack file's mode
  1    some server still gives the other mode (or an unknown target)
  2    usage or config error, or the stack file's mode is not deployed yet
  3    a server failed (timeout, SERVFAIL, NXDOMAIN, refused, connection error,
       an HTTP answer not complete within --query-timeout);
       with --wait: 1 or 3 as above once --timeout has passed
  130  interrupted (Ctrl-C)
  141  the output's reader went away (| head)
"""


@dataclass(frozen=True)
class Server:
    role: str  # "authoritative" (asked without recursion) or "resolver"
    label: str
    address: str
    port: int


def _addresses(host: str) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except socket.gaierror as error:
        raise OSError(f"cannot find the address of {host}: {error.strerror}") from None
    return sorted({info[4][0] for info in infos})


def _servers(role: str, host: str, port: int) -> list[Server]:
    """One Server per address of HOST, labelled so that the operator sees what they typed."""
    return [Server(role, endpoint_text(host, port) if host == address else f"{host} {endpoint_text(address, port)}",
                   address, port)
            for address in _addresses(host)]


class NoResolver(Exception):
    """The machine names no usable resolver and --resolver gives none."""


def system_resolvers() -> list[tuple[str, int]]:
    """The machine's resolvers; none where it has no resolver configured."""
    try:
        configured = dns.resolver.Resolver(filename=RESOLV_CONF)
    except dns.resolver.NoResolverConfiguration:
        return []
    # ValueError: a nameserver line that is not an address; UnicodeDecodeError (one): bytes that are not UTF-8.
    except ValueError as error:
        raise NoResolver(f"cannot read the resolvers in {RESOLV_CONF} ({error}): "
                         "give one with --resolver HOST[:PORT]") from None
    # dnspython keeps each nameserver line's address as text (dns/resolver.py, read_resolv_conf);
    # resolv.conf gives no port.
    return [(nameserver, 53) for nameserver in configured.nameservers]


@contextmanager
def _pool(workers: int) -> Iterator[ThreadPoolExecutor]:
    """Threads for lookups, never waited for on the way out.

    Every caller reads all its futures, so no work is lost; on Ctrl-C the lookups in flight
    are left to end at their own timeout while the command exits (see __main__).
    """
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _first_answer(name: str, rdtype: str, resolvers: list[Server], deadline: float) -> dns.resolver.Answer:
    """Ask every resolver at once and take the first answer, so a dead one costs no time."""
    lifetime = max(0.01, deadline - time.monotonic())

    def resolve(server: Server) -> dns.resolver.Answer:
        lookup = dns.resolver.Resolver(configure=False)
        lookup.nameservers = [dns.nameserver.Do53Nameserver(server.address, server.port)]
        return lookup.resolve(name, rdtype, lifetime=lifetime)

    # The slower lookups end by themselves at the deadline.
    with _pool(len(resolvers)) as pool:
        errors = []
        for future in as_completed([pool.submit(resolve, server) for server in resolvers]):
            try:
                return future.result()
            except (dns.exception.DNSException, OSError) as error:
                errors.append(str(error))
        raise dns.exception.DNSException("; ".join(sorted(set(errors))))


def authoritative_servers(zone: str, resolvers: list[Server], timeout: float) -> list[Server]:
    """The zone's name servers, from its NS records, found within timeout."""
    deadline = time.monotonic() + timeout
    names = [record.target.to_text(omit_final_dot=True) for record in _first_answer(zone, "NS", resolvers, deadline)]
    with _pool(len(names)) as pool:
        addresses = list(pool.map(lambda name: _first_answer(name, "A", resolvers, deadline), names))
    return [Server("authoritative", f"{name} {record.address}", record.address, 53)
            for name, found in zip(names, addresses) for record in found]


def ask(server: Server, domain: str, expectation: Expectation, timeout: float) -> Answer:
    """One server's CNAME for the domain, classified, within timeout, a truncated answer's retry included."""
    # dnspython's udp() and tcp() turn `timeout` into one expiration that every wait of the query
    # shares (dns/query.py: _compute_times, _wait_for, _net_read): it bounds the whole query, so
    # only the retry over TCP needs the time left.
    deadline = time.monotonic() + timeout
    query = dns.message.make_query(domain, dns.rdatatype.CNAME)
    if server.role == "authoritative":
        query.flags &= ~dns.flags.RD

    def failed(error: str) -> Answer:
        return Answer(server.role, server.label, FAILED, error=error)

    try:
        response = dns.query.udp(query, server.address, port=server.port, timeout=timeout)
        if response.flags & dns.flags.TC:
            response = dns.query.tcp(query, server.address, port=server.port,
                                     timeout=max(0.0, deadline - time.monotonic()))
    except dns.exception.Timeout:
        return failed(f"timeout: no answer within {timeout:g}s")
    except ConnectionRefusedError:
        return failed("connection refused")
    except (OSError, dns.exception.DNSException) as error:
        return failed(f"{type(error).__name__}: {error}")
    if response.rcode() != dns.rcode.NOERROR:
        return failed(dns.rcode.to_text(response.rcode()))
    rrset = response.get_rrset(
        response.answer, dns.name.from_text(domain), dns.rdataclass.IN, dns.rdatatype.CNAME
    )
    if rrset is None:
        return Answer(server.role, server.label, UNKNOWN, answer="no CNAME record")
    target = rrset[0].target.to_text(omit_final_dot=True)
    return Answer(server.role, server.label, classify_target(target, expectation), target, rrset.ttl)


def probe_http(url: str, timeout: float) -> Answer:
    client = BoundedClient(httpx.create_ssl_context(), timeout)
    try:
        response = client.fetch("GET", url, {"Accept": "application/json"})
    except httpx.TimeoutException as error:
        if is_slow(error):
            return Answer("http", url, FAILED, error=f"slow: the answer was not complete within {timeout:g}s")
        return Answer("http", url, FAILED, error=f"timeout: no connection within {timeout:g}s")
    # InvalidURL and UnicodeError: a URL that --url lets through but httpx or the idna codec refuses.
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as error:
        return Answer("http", url, FAILED, error=f"{type(error).__name__}: {error}")
    finally:
        client.close()
    content_type = response.headers.get("content-type", "")
    state = classify_http(response.status_code, content_type, response.text)
    return Answer("http", url, state, answer=f"{response.status_code} {content_type}".strip())


@dataclass(frozen=True)
class Plan:
    stack: str
    domain: str
    zone: str
    expectation: Expectation
    nameservers: tuple[Server, ...]  # given with --nameserver; else found from the zone's NS records
    resolvers: tuple[Server, ...]
    url: Optional[str]
    query_timeout: float
    overrun: Optional[str] = None  # what to do about a window whose `until` has passed
    # Where each mode's expected target came from: "stack output", "stack file" or "name pattern".
    sources: dict[str, str] = field(default_factory=lambda: {MAINTENANCE: NAME_PATTERN, LIVE: NAME_PATTERN})
    outputs_problem: Optional[str] = None  # why the stack outputs were not read; None when they were
    # A live-origin stack's storeMode output: what the distribution does for a client that still reaches it.
    store_mode: Optional[str] = None

    def _authoritative(self) -> tuple[list[Server], list[Answer]]:
        if self.nameservers:
            return list(self.nameservers), []
        # Found again at every check, so a passing failure or a changed delegation is picked up by --wait.
        try:
            return authoritative_servers(self.zone, list(self.resolvers), self.query_timeout), []
        except (dns.exception.DNSException, OSError) as error:
            failure = Answer("authoritative", f"NS of {self.zone}", FAILED,
                             error=f"could not find the zone's name servers: {error}")
            return [], [failure]

    def _ask(self, servers: list[Server]) -> list[Answer]:
        with _pool(len(servers)) as pool:
            return list(pool.map(lambda server: ask(server, self.domain, self.expectation, self.query_timeout), servers))

    def check(self) -> list[Answer]:
        """Every server at once: the resolvers are asked while the zone's name servers are found."""
        with _pool(2) as pool:
            resolvers = pool.submit(self._ask, list(self.resolvers))
            http = pool.submit(probe_http, self.url, self.query_timeout) if self.url else None
            authoritative, answers = self._authoritative()
            answers += self._ask(authoritative) + resolvers.result()
            if http:
                answers.append(http.result())
        return answers


class NotDeployed(Exception):
    """The stack file's mode differs from the one the deployed record is in."""


def make_plan(args: argparse.Namespace) -> Plan:
    cwd = Path(args.cwd)
    settings = load_from_stack_file(cwd, args.stack)
    outputs = read_stack_outputs(args.stack, cwd)
    # The saved record, not the `mode` output, which an update stopped after the record moved leaves behind
    # (deployment.py); the output where the state cannot be read.
    state = None if outputs.problem else read_stack_state(args.stack, cwd)
    deployed = state.record_mode if state and state.record_mode != UNKNOWN else outputs.get("mode")
    if deployed and deployed != settings.mode:
        raise NotDeployed(not_deployed(settings.mode, deployed, args.stack))
    expectation = Expectation(
        desired=settings.mode,
        maintenance_target=outputs.get("distributionDomain"),
        live_target=settings.live_target or outputs.get("liveTarget"),
    )
    nameservers = _each_once([server for host, port in args.nameserver
                              for server in _servers("authoritative", host, port)])
    resolver_addresses = args.resolver or system_resolvers()
    if not resolver_addresses:
        raise NoResolver(f"this machine has no DNS resolver configured ({RESOLV_CONF} lists none): "
                         "give one with --resolver HOST[:PORT]")
    resolvers = _each_once([server for host, port in resolver_addresses for server in _servers("resolver", host, port)])
    url = args.url or (f"https://{settings.domain}{settings.live_path}" if args.http else None)
    sources = {
        MAINTENANCE: "stack output" if expectation.maintenance_target else NAME_PATTERN,
        LIVE: "stack file" if settings.live_target else "stack output" if expectation.live_target else NAME_PATTERN,
    }
    # An overrun matters while the stack is in maintenance: the page announces the planned end.
    window = overrun(settings.until, args.stack, datetime.now(timezone.utc)) if settings.mode == MAINTENANCE else None
    return Plan(
        args.stack, settings.domain, settings.zone, expectation, tuple(nameservers), tuple(resolvers),
        url, args.query_timeout, window, sources, outputs.problem, outputs.get("storeMode"),
    )


def _each_once(servers: list[Server]) -> list[Server]:
    """Each address and port asked once, under the first name given for it: a repeated option adds no line."""
    unique: dict[tuple[str, int], Server] = {}
    for server in servers:
        unique.setdefault((server.address, server.port), server)
    return list(unique.values())


# --- output -----------------------------------------------------------------------------


def _describe(answer: Answer) -> str:
    if answer.state == FAILED:
        return answer.error or "failed"
    ttl = f"  TTL {answer.ttl}s" if answer.ttl is not None else ""
    return f"{answer.answer}{ttl}"


def _expected(plan: Plan) -> dict[str, str]:
    return {"maintenance": plan.expectation.maintenance_target or "*.cloudfront.net",
            "live": plan.expectation.live_target or "*.elb.amazonaws.com"}


def _targets(plan: Plan) -> str:
    expected = _expected(plan)
    text = ", ".join(f"{mode} {expected[mode]} ({plan.sources[mode]})" for mode in (MAINTENANCE, LIVE))
    if plan.outputs_problem:
        text += f"; stack outputs not read: {plan.outputs_problem}"
    return f"  targets: {text}"


def report(plan: Plan, answers: list[Answer], code: int, gave_up_after: Optional[float] = None) -> str:
    desired = plan.expectation.desired
    lines = [f"{plan.domain} (stack {plan.stack}) should be in {desired} mode", _targets(plan)]
    if plan.store_mode:
        lines.append(f"  store: {store_text(plan.store_mode)}")
    if plan.overrun:
        lines.append(f"  note: {plan.overrun}")
    width = max((len(a.server) for a in answers), default=0)
    for answer in answers:
        agrees = "ok" if answer.state == desired else "NOT"
        lines.append(f"  {agrees:<3} {answer.role:<13} {answer.server:<{width}}  {answer.state:<11} {_describe(answer)}")
    gave_up = f"gave up after {gave_up_after:.0f}s: " if gave_up_after is not None else ""
    lines.append(f"{gave_up}{summary(answers, desired)} (exit {code})")
    return "\n".join(lines)


def store_text(store_mode: str) -> str:
    if store_mode == STORE_PASS_THROUGH:
        return f"mode {store_mode}: a client that still reaches the distribution gets the live API through it"
    return f"mode {store_mode}: the distribution answers maintenance, but for the bypass rules"


def summary(answers: list[Answer], desired: str) -> str:
    agreeing = sum(a.state == desired for a in answers)
    text = f"{agreeing}/{len(answers)} agree with {desired}"
    stale = longest_stale_ttl(answers, desired)
    if stale is not None:
        text += f"; an old answer may live {stale}s more"
    failed = sum(a.state == FAILED for a in answers)
    if failed:
        text += f"; {failed} failed"
    return text


def as_json(plan: Plan, answers: list[Answer], code: int, elapsed: Optional[float] = None) -> str:
    document = {
        "stack": plan.stack,
        "domain": plan.domain,
        "desired": plan.expectation.desired,
        "expected": _expected(plan),
        "expectedFrom": plan.sources,
        "outputsProblem": plan.outputs_problem,
        "agreed": code == EXIT_AGREED,
        "exit": code,
        "error": None if code == EXIT_AGREED else summary(answers, plan.expectation.desired),
        "overrun": plan.overrun,
        "answers": [asdict(a) for a in answers],
    }
    if plan.store_mode:
        document["storeMode"] = plan.store_mode
    if elapsed is not None:
        document["elapsedSeconds"] = round(elapsed, 1)
    return json.dumps(document, indent=2)


def wait(plan: Plan, timeout: float, interval: float, out: TextIO) -> tuple[list[Answer], int, float]:
    """Check until every answer agrees or timeout passes; then the last check's exit status."""
    start = time.monotonic()
    live_line = out.isatty()
    desired = plan.expectation.desired
    while True:
        answers = plan.check()
        elapsed = time.monotonic() - start
        code = exit_status(answers, desired)
        if code == EXIT_AGREED or elapsed >= timeout:
            if live_line:
                out.write("\n")
            return answers, code, elapsed
        progress = f"[{elapsed:5.0f}s] {summary(answers, desired)}"
        out.write(f"\r\033[K{progress}" if live_line else progress + "\n")
        out.flush()
        time.sleep(min(interval, max(0.0, timeout - elapsed)))


# --- command ----------------------------------------------------------------------------


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """Which DNS servers to ask: shared with the window commands (on, off)."""
    parser.add_argument("--nameserver", action="append", type=endpoint(53), default=[], metavar="HOST[:PORT]",
                        help="authoritative server to ask (repeatable); default: the zone's NS records")
    parser.add_argument("--resolver", action="append", type=endpoint(53), default=[], metavar="HOST[:PORT]",
                        help="recursive resolver to ask (repeatable); default: the system's")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack_argument(parser)
    add_server_arguments(parser)
    parser.add_argument("--http", action="store_true",
                        help="also request https://DOMAIN and the stack's livePath (default /) with Accept: application/json")
    parser.add_argument("--url", type=http_url, help="send the HTTP check here instead (implies --http)")
    parser.add_argument("--wait", action="store_true", help="poll until every answer agrees")
    parser.add_argument("--timeout", type=positive_seconds, metavar="S",
                        help=f"with --wait: give up after S seconds (default {WAIT_TIMEOUT:g})")
    parser.add_argument("--interval", type=positive_seconds, metavar="S",
                        help=f"with --wait: seconds between checks (default {WAIT_INTERVAL:g})")
    parser.add_argument("--query-timeout", type=positive_seconds, default=3.0, metavar="S",
                        help="seconds for one server's whole answer, DNS or HTTP (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    add_cwd_argument(parser)
    parser.set_defaults(commit_hint=True)  # on and off, which run status --wait, say it once at their end


def run(args: argparse.Namespace) -> int:
    without_wait = [option for option in ("timeout", "interval") if getattr(args, option) is not None and not args.wait]
    if without_wait:
        options = " and ".join(f"--{option}" for option in without_wait)
        verb, them = ("applies", "it") if len(without_wait) == 1 else ("apply", "them")
        return report_error(f"{options} {verb} only with --wait: add --wait to poll until every answer agrees, "
                            f"or leave {them} out (--query-timeout bounds each answer)", EXIT_USAGE, args.json)
    try:
        plan = make_plan(args)
    # OSError: a --nameserver or --resolver host name that does not resolve.
    except (SettingsError, NotDeployed, NoResolver, OSError) as error:
        return report_error(str(error), EXIT_USAGE, args.json)
    gave_up_after = elapsed = None
    if args.wait:
        timeout = WAIT_TIMEOUT if args.timeout is None else args.timeout
        interval = WAIT_INTERVAL if args.interval is None else args.interval
        answers, code, elapsed = wait(plan, timeout, interval, sys.stderr if args.json else sys.stdout)
        gave_up_after = None if code == EXIT_AGREED else elapsed
    else:
        answers = plan.check()
        code = exit_status(answers, plan.expectation.desired)
    print(as_json(plan, answers, code, elapsed) if args.json else report(plan, answers, code, gave_up_after))
    # A plain `pulumi up` from a checkout whose stack file says otherwise would undo the window.
    if args.commit_hint and not args.json:
        if hint := stack_file_commit_hint(stack_file_path(Path(args.cwd), args.stack)):
            print(hint)
    return code
