"""`python -m maintenance serve STACK`: the stack's maintenance answers on this machine, before a window.

Renders the edge function and the page from Pulumi.STACK.yaml as the program deploys them and
answers each request as the distribution does (local_edge.py): API clients get the 503 JSON,
browsers the page, CORS preflights their answer. With --tls it serves HTTPS as the stack's
domain, with a certificate from a throwaway CA, so that `preflight` can rehearse the switch.

With liveOrigin it models the function's store (`mode`: maintenance, or pass-through with
--store, as after `off`), the bypass rules and origin `live`: what the function sends there goes
to --live URL, or to a stand-in live API on loopback that says it is one. The stack's bypass
token is a secret serve cannot read, so a run on a stack that has one makes a token of its own and
shows it; on a stack without one, as on the distribution, no token passes.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import ipaddress
import secrets
import shlex
import shutil
import ssl
import sys
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

from urllib.parse import urlsplit

from ..edge import BYPASS_COOKIE, BYPASS_HEADER, STORE_MAINTENANCE, STORE_PASS_THROUGH
from ..settings import (
    PROJECT, SECRET, SWITCH_KEYS, Settings, SettingsError, load_from_stack_file, read_stack_config, stack_file_path,
)
from .answers import EXIT_READER_GONE, EXIT_USAGE, shown, stop_writing_output
from .local_edge import (
    BODY_LIMIT, EdgeServer, LiveOrigin, LocalDistribution, NoEngine, Reply, StandInLiveApi, engine_version, find_engine,
)
from .options import add_cwd_argument, add_stack_argument, listen_port
from .signals import stop_signals_interrupt
from .preflight import API_HEADERS, BROWSER_NAVIGATION_HEADERS, CORS_PREFLIGHT_HEADERS

EXIT_CODES = """\
exit codes:
  0    stopped
  2    usage or config error (unknown stack, a bad stack file, a port in use, neither njs nor node installed,
       --live or --store on a stack without liveOrigin)
  130  interrupted (Ctrl-C), the usual way to stop it
  143  stopped by SIGTERM (129: SIGHUP), which it cleans up after as after Ctrl-C
  141  the log's reader went away (serve | head): it stops serving
"""
# What the page and the JSON show: a secret here would be left out and its default shown instead.
# (bypassToken is a secret serve never reads: where the stack has one, each run has a token of its own.)
SHOWN_KEYS = ("message", "until", "contact", "retryAfter", "responseCode")
# The rules serve models with liveOrigin: a secret one is left out, and the banner says so.
RULE_KEYS = ("bypassCidrs", "bypassPaths")
# How long the throwaway certificates last at least: a rehearsal, not a deployment, yet longer than
# the 7 days under which preflight's tls check calls a certificate's renewal failed.
CERTIFICATE_LIFETIME = timedelta(days=30)
LAST_MOMENT = datetime.max.replace(tzinfo=timezone.utc)
API_PATH = "/v1/users?page=2"
NAVIGATION_PATH = "/account/settings?tab=billing"


@dataclass(frozen=True)
class Tls:
    """The throwaway CA's certificate file and the server's context for the domain."""

    folder: Path
    ca_file: Path
    context: ssl.SSLContext


def certificate_end(now: datetime, until: Optional[datetime]) -> datetime:
    """When the throwaway certificates expire: past the window too, as preflight's tls check asks."""
    end = now + CERTIFICATE_LIFETIME
    if until is not None and until >= end:
        end = until + min(timedelta(days=1), LAST_MOMENT - until)
    return end


def throwaway_tls(domain: str, now: datetime, until: Optional[datetime]) -> Tls:
    """A new CA, and a certificate for domain that it signs, in a new private temporary folder."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def certificate(subject: str, key, issuer: str, issuer_key, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(certificate_end(now, until))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        )
        if ca:
            builder = builder.add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ), critical=True)
        else:
            builder = (builder
                       .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
                       .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
        return builder.sign(issuer_key, hashes.SHA256())

    ca_name = "api-maintenance serve throwaway CA"
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_certificate = certificate(ca_name, ca_key, ca_name, ca_key, ca=True)
    leaf = certificate(domain, leaf_key, ca_name, ca_key, ca=False)

    folder = Path(tempfile.mkdtemp(prefix="maintenance-serve-"))  # readable by this user only
    ca_file, chain_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server-key.pem"
    ca_file.write_bytes(ca_certificate.public_bytes(serialization.Encoding.PEM))
    chain_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain_file, key_file)
    return Tls(folder, ca_file, context)


def _local_host(host: str) -> str:
    """The address a client on this machine connects to for a server listening on host."""
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)


def _shown(path: str) -> str:
    """A request's path for the terminal: anything but printable ASCII escaped."""
    return "".join(c if " " < c < "\x7f" else f"\\x{ord(c):02x}" for c in path)


def try_lines(url: str, curl_options: list[str], live: Optional["Live"] = None) -> list[str]:
    """curl commands for each kind of client, with the headers `preflight` sends as each; with a live
    origin, one with this run's bypass token and one on the first bypass path."""
    def curl(method: str, path: str, headers: dict[str, str], what: str) -> str:
        words = ["curl", "-si", *curl_options] + (["-X", method] if method != "GET" else [])
        for name, value in headers.items():
            words += ["-H", f"{name}: {value}"]
        return f"  # {what}\n  {shlex.join(words + [url.rstrip('/') + path])}"

    if live is not None and live.store == STORE_PASS_THROUGH:
        return [curl("GET", API_PATH, API_HEADERS, "an API call: the live API's answer, as every request gets after off")]
    lines = [
        curl("GET", API_PATH, API_HEADERS, "an API call: 503 and the JSON"),
        curl("GET", NAVIGATION_PATH, BROWSER_NAVIGATION_HEADERS, "a browser navigation: the page"),
        curl("OPTIONS", API_PATH, CORS_PREFLIGHT_HEADERS, "a CORS preflight: 204 and its Access-Control-* headers"),
    ]
    if live is not None and live.settings.bypass_token is not None:
        lines.append(curl("GET", API_PATH, {**API_HEADERS, BYPASS_HEADER: live.settings.bypass_token},
                          "past the page with this run's bypass token: the live API's answer"))
    if live is not None and live.settings.bypass_paths:
        lines.append(curl("POST", live.settings.bypass_paths[0], API_HEADERS,
                          "a bypass path (bypassPaths): the live API's answer"))
    return lines


@dataclass
class Live:
    """What serve models with liveOrigin: the store's mode, the rules and this run's token (settings), origin live."""

    settings: Settings  # bypass_token: this run's token, None where the stack has no bypassToken
    store: str
    origin: LiveOrigin
    stand_in: Optional[StandInLiveApi]
    secret_rules: tuple[str, ...]

    def lines(self, viewer: str) -> list[str]:
        settings = self.settings
        if self.stand_in is not None:
            where = (f"serve's stand-in for the live API at {self.stand_in.url}, which answers every request "
                     "saying so (--live URL forwards to a real one)")
        else:
            where = self.origin.url
        lines = [f"live origin (liveOrigin): the store's mode is {self.store}"
                 + (" (--store pass-through models it after off)" if self.store == STORE_MAINTENANCE
                    else ": every request goes to the live API"),
                 f"  origin live: {where}, Host: {settings.domain}"]
        if self.store == STORE_MAINTENANCE:
            cidrs = ", ".join(settings.bypass_cidrs) or "none"
            lines += [
                f"  bypass: header {BYPASS_HEADER} or cookie {BYPASS_COOKIE} with this run's token "
                f"{settings.bypass_token} (the stack's bypassToken is a secret serve cannot read)"
                if settings.bypass_token is not None
                else "  bypass: by token, none (the stack has no bypassToken)",
                f"  bypass: viewer IPs in bypassCidrs: {cidrs}"
                + (f" (requests from this machine, {viewer}, match)" if _in_cidrs(viewer, settings.bypass_cidrs) else ""),
                f"  bypass: paths starting with bypassPaths: {', '.join(settings.bypass_paths) or 'none'}",
            ]
            lines += [f"  {key} is a secret in the stack file, which serve cannot read: none modelled"
                      for key in self.secret_rules]
        return lines

    def close(self) -> None:
        self.origin.close()
        if self.stand_in is not None:
            self.stand_in.close()


def _in_cidrs(address: str, cidrs: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(cidr) for cidr in cidrs)


def live_url(text: str) -> str:
    """--live's URL: http or https, a host, an optional port, and no path, query or fragment."""
    parts = urlsplit(text.strip())
    try:
        parts.port
    except ValueError:
        raise argparse.ArgumentTypeError(f"{shown(text)}: the port must be a number from 0 to 65535") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{shown(text)} is not an http:// or https:// URL with a host")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise argparse.ArgumentTypeError(
            f"{shown(text)}: give only scheme://host[:port]; each request's path and query go after it")
    return f"{parts.scheme}://{parts.netloc}"


def banner(args: argparse.Namespace, settings: Settings, engine: str, server: EdgeServer, tls: Optional[Tls],
           live: Optional[Live] = None) -> str:
    version = engine_version(engine)
    if engine == "njs":
        runs = f"njs {version}, the engine closest to CloudFront's runtime"
    else:
        runs = f"Node {version} (njs, closer to CloudFront's runtime, is not installed: apt-get install njs)"
    host = _local_host(server.host)
    lines = [f"serving the maintenance answers of stack {args.stack} ({settings.domain}): "
             f"the edge function runs in {runs}"]
    modelled = live.lines(host) if live is not None else []
    if tls is None:
        url = f"http://{'[' + host + ']' if ':' in host else host}:{server.port}/"
        lines += [f"  {url}", *modelled, "try:", *try_lines(url, [], live)]
    else:
        url = f"https://{settings.domain}:{server.port}/"
        connect = f"{'[' + host + ']' if ':' in host else host}:{server.port}"
        resolve = f"{settings.domain}:{server.port}:{host}"
        lines += [f"  {url} at {connect}, certificate from a throwaway CA: {tls.ca_file}", *modelled, "try:",
                  *try_lines(url, ["--cacert", str(tls.ca_file), "--resolve", resolve], live)]
        cwd = [] if args.cwd == "." else ["--cwd", args.cwd]
        check = ["python", "-m", "maintenance", "preflight", args.stack, "--to", "maintenance",
                 "--connect", connect, "--cacert", str(tls.ca_file), *cwd]
        lines += ["check it as the switch will:", f"  {shlex.join(check)}"]
    lines.append("requests (Ctrl-C stops):")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack_argument(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=listen_port, default=8080, help="port to listen on (default 8080; 0: any free)")
    parser.add_argument("--tls", action="store_true",
                        help="serve HTTPS as the stack's domain, with a certificate from a throwaway CA")
    parser.add_argument("--live", type=live_url, metavar="URL",
                        help="with liveOrigin: forward what the function sends to origin live to this "
                             "scheme://host[:port] (default: a stand-in live API on loopback that says it is one)")
    parser.add_argument("--store", choices=(STORE_MAINTENANCE, STORE_PASS_THROUGH),
                        help="with liveOrigin: the store's mode key (default maintenance, as during a window; "
                             "pass-through as after off)")
    add_cwd_argument(parser)


def run(args: argparse.Namespace) -> int:
    # SIGTERM and SIGHUP stop it as Ctrl-C does, so the throwaway CA's folder and the engine go with it.
    with stop_signals_interrupt():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        settings = load_from_stack_file(Path(args.cwd), args.stack, needs=SWITCH_KEYS + SHOWN_KEYS)
        engine = find_engine()
    except (SettingsError, NoEngine) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if not settings.live_origin and (args.live is not None or args.store is not None):
        given = "--live" if args.live is not None else "--store"
        print(f"error: {given} models the live origin, which stack {args.stack} does not have. "
              f"Fix: pulumi config set {PROJECT}:liveOrigin true -s {args.stack}, or leave out {given}",
              file=sys.stderr)
        return EXIT_USAGE
    printing = threading.Lock()
    reader_gone = threading.Event()

    def log(method: str, path: str, reply: Reply) -> None:
        with printing:
            if reader_gone.is_set():
                return
            try:
                kind = f"{reply.kind}: {reply.note}" if reply.note else reply.kind
                print(f"{datetime.now():%H:%M:%S} {method} {_shown(path)} -> {reply.status} {kind}", flush=True)
            except BrokenPipeError:
                # What read the log has gone (`serve | head`): stop, as a program whose output is closed does.
                stop_writing_output()
                reader_gone.set()
                server.stop()

    tls = throwaway_tls(settings.domain, datetime.now(timezone.utc), settings.until) if args.tls else None
    live = start_live(args, settings) if settings.live_origin else None
    try:
        if live is not None:
            distribution = LocalDistribution(live.settings, engine, live=live.origin, store_mode=live.store)
        else:
            distribution = LocalDistribution(settings, engine)
    except BaseException:
        if live is not None:
            live.close()
        raise
    try:
        try:
            server = EdgeServer(distribution.answer, (args.host, args.port), tls.context if tls else None, log,
                                body_limit=BODY_LIMIT if live is not None else None)
        except OSError as error:
            fix = ("give another with --port, or stop what uses it" if error.errno == errno.EADDRINUSE
                   else "give an address of this machine with --host, such as 127.0.0.1")
            print(f"error: cannot listen on {args.host} port {args.port}: {error.strerror or error}. Fix: {fix}",
                  file=sys.stderr)
            return EXIT_USAGE
        try:
            print(banner(args, settings, engine, server, tls, live), flush=True)
            server.serve_forever()
        finally:
            server.close()
    finally:
        distribution.close()
        if live is not None:
            live.close()
        if tls:
            shutil.rmtree(tls.folder, ignore_errors=True)
    return EXIT_READER_GONE if reader_gone.is_set() else 0


def start_live(args: argparse.Namespace, settings: Settings) -> Live:
    """Origin live (--live's URL, else a stand-in started here), the store's mode and this run's token."""
    config = read_stack_config(stack_file_path(Path(args.cwd), args.stack))
    secret_rules = tuple(key for key in RULE_KEYS if config.get(f"{PROJECT}:{key}") is SECRET)
    # 43 characters of A-Z, a-z, 0-9, _ and -, as bypassToken takes; none where the stack sets none.
    token = secrets.token_urlsafe(32) if config.get(f"{PROJECT}:bypassToken") is not None else None
    stand_in = None if args.live is not None else StandInLiveApi()
    origin = LiveOrigin(args.live if stand_in is None else stand_in.url)
    return Live(dataclasses.replace(settings, bypass_token=token), args.store or STORE_MAINTENANCE, origin,
                stand_in, secret_rules)
