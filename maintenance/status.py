"""`python -m maintenance status STACK`: has the switch reached the world yet?

Asks the zone's authoritative name servers and recursive resolvers for the API's CNAME,
optionally the API itself over HTTP, and says per server whether it already gives the
stack's desired mode, and for how long (TTL) it may still give the old one.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional, TextIO

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

from .answers import (
    EXIT_AGREED,
    EXIT_DISAGREES,
    EXIT_USAGE,
    FAILED,
    UNKNOWN,
    Answer,
    Expectation,
    classify_http,
    classify_target,
    exit_status,
    longest_stale_ttl,
)
from .settings import SettingsError, load_from_stack_file

HTTP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Server:
    role: str  # "authoritative" (asked without recursion) or "resolver"
    label: str
    address: str
    port: int


def host_and_port(text: str) -> tuple[str, int]:
    """HOST, HOST:PORT, IPV6 or [IPV6]:PORT."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    if not host:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST[:PORT]")
    try:
        port = int(port_text) if port_text else 53
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: the port must be a number") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{text!r}: the port must be from 1 to 65535")
    return host, port


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0 seconds")
    return value


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
    return [Server(role, f"{host}:{port}" if host == address else f"{host} {address}:{port}", address, port)
            for address in _addresses(host)]


def _ns_lookup(resolvers: list[Server], given: bool, timeout: float) -> dns.resolver.Resolver:
    """A stub resolver for finding the zone's name servers: the given resolvers, else the system's."""
    if given:
        lookup = dns.resolver.Resolver(configure=False)
        lookup.nameservers = [dns.nameserver.Do53Nameserver(s.address, s.port) for s in resolvers]
    else:
        lookup = dns.resolver.Resolver()
    lookup.lifetime = timeout
    return lookup


def system_resolvers() -> list[tuple[str, int]]:
    found = []
    for nameserver in dns.resolver.get_default_resolver().nameservers:
        if isinstance(nameserver, str):
            found.append((nameserver, 53))
        elif isinstance(nameserver, dns.nameserver.Do53Nameserver):
            found.append((nameserver.address, nameserver.port))
    return found


def authoritative_servers(zone: str, lookup: dns.resolver.Resolver) -> list[Server]:
    """The zone's name servers, from its NS records."""
    servers = []
    for record in lookup.resolve(zone, "NS"):
        name = record.target.to_text(omit_final_dot=True)
        for address in lookup.resolve(name, "A"):
            servers.append(Server("authoritative", f"{name} {address.address}", address.address, 53))
    return servers


def ask(server: Server, domain: str, expectation: Expectation, timeout: float) -> Answer:
    """One server's CNAME for the domain, classified."""
    query = dns.message.make_query(domain, dns.rdatatype.CNAME)
    if server.role == "authoritative":
        query.flags &= ~dns.flags.RD

    def failed(error: str) -> Answer:
        return Answer(server.role, server.label, FAILED, error=error)

    try:
        response = dns.query.udp(query, server.address, port=server.port, timeout=timeout)
        if response.flags & dns.flags.TC:
            response = dns.query.tcp(query, server.address, port=server.port, timeout=timeout)
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


def probe_http(url: str, timeout: float = HTTP_TIMEOUT) -> Answer:
    try:
        response = httpx.get(url, headers={"Accept": "application/json"}, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as error:
        return Answer("http", url, FAILED, error=f"{type(error).__name__}: {error}")
    content_type = response.headers.get("content-type", "")
    state = classify_http(response.status_code, content_type, response.text)
    return Answer("http", url, state, answer=f"{response.status_code} {content_type}".strip())


def stack_outputs(stack: str, cwd: Path) -> dict:
    """The stack's outputs where the Pulumi CLI is installed and logged in; else nothing."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        return {}
    try:
        completed = subprocess.run(
            [pulumi, "stack", "output", "--json", "--stack", stack],
            cwd=cwd, capture_output=True, text=True, timeout=60,
        )
        outputs = json.loads(completed.stdout) if completed.returncode == 0 else {}
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return {}
    return outputs if isinstance(outputs, dict) else {}


@dataclass(frozen=True)
class Plan:
    stack: str
    domain: str
    zone: str
    expectation: Expectation
    nameservers: tuple[Server, ...]  # given with --nameserver; else found from the zone's NS records
    resolvers: tuple[Server, ...]
    ns_lookup: dns.resolver.Resolver
    url: Optional[str]
    query_timeout: float

    def _authoritative(self) -> tuple[list[Server], list[Answer]]:
        if self.nameservers:
            return list(self.nameservers), []
        # Found again at every check, so a passing failure or a changed delegation is picked up by --wait.
        try:
            return authoritative_servers(self.zone, self.ns_lookup), []
        except (dns.exception.DNSException, OSError) as error:
            failure = Answer("authoritative", f"NS of {self.zone}", FAILED,
                             error=f"could not find the zone's name servers: {error}")
            return [], [failure]

    def check(self) -> list[Answer]:
        authoritative, answers = self._authoritative()
        servers = authoritative + list(self.resolvers)
        with ThreadPoolExecutor(max_workers=len(servers) + 1) as pool:
            asked = [pool.submit(ask, s, self.domain, self.expectation, self.query_timeout) for s in servers]
            http = pool.submit(probe_http, self.url) if self.url else None
            answers += [future.result() for future in asked]
            if http:
                answers.append(http.result())
        return answers


def make_plan(args: argparse.Namespace) -> Plan:
    cwd = Path(args.cwd)
    settings = load_from_stack_file(cwd, args.stack)
    outputs = stack_outputs(args.stack, cwd)
    expectation = Expectation(
        desired=settings.mode,
        maintenance_target=outputs.get("distributionDomain"),
        live_target=settings.live_target or outputs.get("liveTarget"),
    )
    nameservers = [server for host, port in args.nameserver for server in _servers("authoritative", host, port)]
    resolver_addresses = args.resolver or system_resolvers()
    if not resolver_addresses:
        raise OSError("this machine has no DNS resolver configured: give one with --resolver HOST[:PORT]")
    resolvers = [server for host, port in resolver_addresses for server in _servers("resolver", host, port)]
    url = args.url or (f"https://{settings.domain}/" if args.http else None)
    return Plan(
        args.stack, settings.domain, settings.zone, expectation, tuple(nameservers), tuple(resolvers),
        _ns_lookup(resolvers, bool(args.resolver), args.query_timeout), url, args.query_timeout,
    )


# --- output -----------------------------------------------------------------------------


def _describe(answer: Answer) -> str:
    if answer.state == FAILED:
        return answer.error or "failed"
    ttl = f"  TTL {answer.ttl}s" if answer.ttl is not None else ""
    return f"{answer.answer}{ttl}"


def report(plan: Plan, answers: list[Answer], code: int) -> str:
    desired = plan.expectation.desired
    lines = [f"{plan.domain} (stack {plan.stack}) should be in {desired} mode"]
    width = max((len(a.server) for a in answers), default=0)
    for answer in answers:
        agrees = "ok" if answer.state == desired else "NOT"
        lines.append(f"  {agrees:<3} {answer.role:<13} {answer.server:<{width}}  {answer.state:<11} {_describe(answer)}")
    lines.append(f"{summary(answers, desired)} (exit {code})")
    return "\n".join(lines)


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
        "expected": {"maintenance": plan.expectation.maintenance_target or "*.cloudfront.net",
                     "live": plan.expectation.live_target or "*.elb.amazonaws.com"},
        "agreed": code == EXIT_AGREED,
        "exit": code,
        "answers": [asdict(a) for a in answers],
    }
    if elapsed is not None:
        document["elapsedSeconds"] = round(elapsed, 1)
    return json.dumps(document, indent=2)


def wait(plan: Plan, timeout: float, interval: float, out: TextIO) -> tuple[list[Answer], int, float]:
    """Check until every answer agrees or timeout passes; exit 0 when agreed, else 1."""
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
            return answers, (EXIT_AGREED if code == EXIT_AGREED else EXIT_DISAGREES), elapsed
        progress = f"[{elapsed:5.0f}s] {summary(answers, desired)}"
        out.write(f"\r\033[K{progress}" if live_line else progress + "\n")
        out.flush()
        time.sleep(min(interval, max(0.0, timeout - elapsed)))


# --- command ----------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack", help="stack name: production, integration, or any with a Pulumi.STACK.yaml")
    parser.add_argument("--nameserver", action="append", type=host_and_port, default=[], metavar="HOST[:PORT]",
                        help="authoritative server to ask (repeatable); default: the zone's NS records")
    parser.add_argument("--resolver", action="append", type=host_and_port, default=[], metavar="HOST[:PORT]",
                        help="recursive resolver to ask (repeatable); default: the system's")
    parser.add_argument("--http", action="store_true", help="also request https://DOMAIN/ with Accept: application/json")
    parser.add_argument("--url", help="send the HTTP check here instead (implies --http)")
    parser.add_argument("--wait", action="store_true", help="poll until every answer agrees")
    parser.add_argument("--timeout", type=positive_seconds, default=900.0, metavar="S",
                        help="with --wait: give up after S seconds (default 900)")
    parser.add_argument("--interval", type=positive_seconds, default=5.0, metavar="S",
                        help="with --wait: seconds between checks (default 5)")
    parser.add_argument("--query-timeout", type=positive_seconds, default=3.0, metavar="S",
                        help="seconds to wait for one server's answer (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    parser.add_argument("--cwd", default=".", metavar="DIR", help="folder holding Pulumi.STACK.yaml (default .)")


def run(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    try:
        plan = make_plan(args)
    except SettingsError as error:
        print(f"error: {error}", file=err)
        return EXIT_USAGE
    except OSError as error:  # a --nameserver or --resolver host name that does not resolve
        print(f"error: {error}", file=err)
        return EXIT_USAGE
    elapsed = None
    if args.wait:
        answers, code, elapsed = wait(plan, args.timeout, args.interval, err if args.json else out)
    else:
        answers = plan.check()
        code = exit_status(answers, plan.expectation.desired)
    print(as_json(plan, answers, code, elapsed) if args.json else report(plan, answers, code), file=out)
    return code
