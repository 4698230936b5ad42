"""`python -m maintenance serve STACK`: the stack's maintenance answers on this machine, before a window.

Renders the edge function and the page from Pulumi.STACK.yaml as the program deploys them and
answers each request as the distribution does (local_edge.py): API clients get the 503 JSON,
browsers the page, CORS preflights their answer. With --tls it serves HTTPS as the stack's
domain, with a certificate from a throwaway CA, so that `preflight` can rehearse the switch.
"""

from __future__ import annotations

import argparse
import errno
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

from ..settings import SWITCH_KEYS, Settings, SettingsError, load_from_stack_file
from .answers import EXIT_READER_GONE, EXIT_USAGE, stop_writing_output
from .local_edge import EdgeServer, LocalDistribution, NoEngine, Reply, engine_version, find_engine
from .options import add_cwd_argument, add_stack_argument, listen_port
from .preflight import API_HEADERS, BROWSER_NAVIGATION_HEADERS, CORS_PREFLIGHT_HEADERS

EXIT_CODES = """\
exit codes:
  0    stopped
  2    usage or config error (unknown stack, a bad stack file, a port in use, neither njs nor node installed)
  130  interrupted (Ctrl-C), the usual way to stop it
  141  the log's reader went away (serve | head): it stops serving
"""
# What the page and the JSON show: a secret here would be left out and its default shown instead.
SHOWN_KEYS = ("message", "until", "contact", "retryAfter", "responseCode")
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


def try_lines(url: str, curl_options: list[str]) -> list[str]:
    """curl commands for each kind of client, with the headers `preflight` sends as each."""
    def curl(method: str, path: str, headers: dict[str, str], what: str) -> str:
        words = ["curl", "-si", *curl_options] + (["-X", method] if method != "GET" else [])
        for name, value in headers.items():
            words += ["-H", f"{name}: {value}"]
        return f"  # {what}\n  {shlex.join(words + [url.rstrip('/') + path])}"

    return [
        curl("GET", API_PATH, API_HEADERS, "an API call: 503 and the JSON"),
        curl("GET", NAVIGATION_PATH, BROWSER_NAVIGATION_HEADERS, "a browser navigation: the page"),
        curl("OPTIONS", API_PATH, CORS_PREFLIGHT_HEADERS, "a CORS preflight: 204 and its Access-Control-* headers"),
    ]


def banner(args: argparse.Namespace, settings: Settings, engine: str, server: EdgeServer, tls: Optional[Tls]) -> str:
    version = engine_version(engine)
    if engine == "njs":
        runs = f"njs {version}, the engine closest to CloudFront's runtime"
    else:
        runs = f"Node {version} (njs, closer to CloudFront's runtime, is not installed: apt-get install njs)"
    host = _local_host(server.host)
    lines = [f"serving the maintenance answers of stack {args.stack} ({settings.domain}): "
             f"the edge function runs in {runs}"]
    if tls is None:
        url = f"http://{'[' + host + ']' if ':' in host else host}:{server.port}/"
        lines += [f"  {url}", "try:", *try_lines(url, [])]
    else:
        url = f"https://{settings.domain}:{server.port}/"
        connect = f"{'[' + host + ']' if ':' in host else host}:{server.port}"
        resolve = f"{settings.domain}:{server.port}:{host}"
        lines += [f"  {url} at {connect}, certificate from a throwaway CA: {tls.ca_file}", "try:",
                  *try_lines(url, ["--cacert", str(tls.ca_file), "--resolve", resolve])]
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
    add_cwd_argument(parser)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_from_stack_file(Path(args.cwd), args.stack, needs=SWITCH_KEYS + SHOWN_KEYS)
        engine = find_engine()
    except (SettingsError, NoEngine) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    printing = threading.Lock()
    reader_gone = threading.Event()

    def log(method: str, path: str, reply: Reply) -> None:
        with printing:
            if reader_gone.is_set():
                return
            try:
                print(f"{datetime.now():%H:%M:%S} {method} {_shown(path)} -> {reply.status} {reply.kind}", flush=True)
            except BrokenPipeError:
                # What read the log has gone (`serve | head`): stop, as a program whose output is closed does.
                stop_writing_output()
                reader_gone.set()
                server.stop()

    tls = throwaway_tls(settings.domain, datetime.now(timezone.utc), settings.until) if args.tls else None
    distribution = LocalDistribution(settings, engine)
    try:
        try:
            server = EdgeServer(distribution.answer, (args.host, args.port), tls.context if tls else None, log)
        except OSError as error:
            fix = ("give another with --port, or stop what uses it" if error.errno == errno.EADDRINUSE
                   else "give an address of this machine with --host, such as 127.0.0.1")
            print(f"error: cannot listen on {args.host} port {args.port}: {error.strerror or error}. Fix: {fix}",
                  file=sys.stderr)
            return EXIT_USAGE
        try:
            print(banner(args, settings, engine, server, tls), flush=True)
            server.serve_forever()
        finally:
            server.close()
    finally:
        distribution.close()
        if tls:
            shutil.rmtree(tls.folder, ignore_errors=True)
    return EXIT_READER_GONE if reader_gone.is_set() else 0
