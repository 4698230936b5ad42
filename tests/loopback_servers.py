"""Real servers on loopback for the status and preflight tests: dnsmasq, silent ports, HTTP(S) servers."""

from __future__ import annotations

import itertools
import json
import os
import socket
import socketserver
import ssl
import subprocess
import threading
import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rrset

from maintenance.cli.local_edge import EdgeServer, Reply
from requirements import require_program

_NEXT_ADDRESS = itertools.count(os.getpid() % 100 + 20)


def fresh_address() -> str:
    """A loopback address of its own for each server, so that tests never share one."""
    return f"127.0.{next(_NEXT_ADDRESS) % 250 + 1}.{os.getpid() % 200 + 20}"


def free_udp_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


class Dnsmasq:
    """dnsmasq serving CNAMEs for one zone; `serve` restarts it with other records on the same port."""

    def __init__(self, zone: str = "theboss.io", address: str | None = None, port: int | None = None):
        self.binary = require_program("dnsmasq")
        self.zone = zone
        self.address = address or fresh_address()
        self.port = port or free_udp_port(self.address)
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.address}:{self.port}"

    def serve(self, cnames: dict[str, str], ttl: int = 60, local_zone: bool = True, extra: tuple[str, ...] = ()):
        self.stop()
        command = [
            self.binary, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
            "--bind-interfaces", f"--listen-address={self.address}", f"--port={self.port}", "--user=root",
            "--pid-file=", "--log-facility=-", *extra,
        ]
        if local_zone:
            # Names in the zone that are not configured answer NXDOMAIN; without this, REFUSED.
            command.append(f"--local=/{self.zone}/")
        for name, target in cnames.items():
            command += [f"--host-record={target},192.0.2.10", f"--cname={name},{target},{ttl}"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_until_answering()
        return self

    def _wait_until_answering(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dnsmasq exited: {self.process.stderr.read().decode()}")
            try:
                dns.query.udp(dns.message.make_query(f"ready.{self.zone}", "A"), self.address, port=self.port, timeout=0.2)
                return
            except dns.exception.Timeout:
                continue
        raise RuntimeError("dnsmasq did not answer within 10 s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class SilentServer:
    """A UDP port that takes queries and never answers."""

    def __init__(self):
        self.address = fresh_address()
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind((self.address, 0))
        self.port = self.socket.getsockname()[1]
        self.endpoint = f"{self.address}:{self.port}"

    def close(self):
        self.socket.close()


def started_servers(start, stop):
    """A fixture's body: yields `start`, and stops with `stop` every server it started."""
    servers = []

    def start_one(*args, **options):
        server = start(*args, **options)
        servers.append(server)
        return server

    yield start_one
    for server in servers:
        stop(server)


def _server_context(certificate) -> ssl.SSLContext | None:
    """A TLS server context with a trustme certificate; None (plain TCP) without one."""
    if certificate is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    return context


class _ServerThread:
    """A raw socketserver on loopback, on a thread of its own; over TLS with a trustme certificate."""

    def _start(self, server: socketserver.TCPServer, certificate) -> None:
        self.server = server
        if certificate is not None:
            server.socket = _server_context(certificate).wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.endpoint = f"127.0.0.1:{server.server_address[1]}"
        self.url = f"{'http' if certificate is None else 'https'}://{self.endpoint}/"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class HttpServer(EdgeServer):
    """`serve`'s HTTP server on loopback; `answer(method, path, headers)` gives each (status, headers, body).

    With a trustme certificate it speaks TLS and records the SNI each client sent. It records
    every request too, so tests can see what a client really put on the wire.
    """

    def __init__(self, answer, certificate=None):
        self.requests: list[dict] = []
        self.sni: list[str | None] = []
        context = _server_context(certificate)
        if context is not None:
            context.sni_callback = lambda _socket, name, _context: self.sni.append(name)

        def recorded(method, path, headers, _client):
            self.requests.append({"method": method, "path": path, "headers": dict(headers)})
            status, response_headers, body = answer(method, path, headers)
            return Reply(status, response_headers, body.encode(), "")

        super().__init__(recorded, context=context)
        self.start()


class ApiServer(HttpServer):
    """An HTTP server on loopback whose answer a test can change: the maintenance 503, or live."""

    MAINTENANCE = (503, "application/json", json.dumps({"maintenance": True, "status": 503, "message": "m", "until": None}))
    LIVE = (200, "application/json", json.dumps({"users": []}))

    def __init__(self):
        self.response = self.LIVE
        super().__init__(self._answer)

    def _answer(self, method, path, headers):
        status, content_type, body = self.response
        return status, {"Content-Type": content_type}, body


class StalledServer:
    """A TCP port that accepts connections and never answers."""

    def __init__(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.endpoint = f"127.0.0.1:{self.socket.getsockname()[1]}"
        self.url = f"http://{self.endpoint}/"
        self.clients: list[socket.socket] = []

    def wait_for_client(self, timeout: float = 30) -> None:
        """Return once a client has connected; it stays connected, waiting for an answer."""
        self.socket.settimeout(timeout)
        client, _ = self.socket.accept()
        self.clients.append(client)

    def close(self):
        for client in self.clients:
            client.close()
        self.socket.close()


def closed_port() -> str:
    """A loopback port that nothing listens on: bound once to be free, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


class StreamingServer(_ServerThread):
    """A TCP (or, with a trustme certificate, TLS) server writing each connection the chunks `answer()` yields.

    For answers no well-behaved server sends: one that drips a few bytes at a time, or one too big to hold.
    With keep_alive, each request a connection brings gets a fresh answer(), until the client closes it;
    `connections` counts the connections accepted.
    """

    def __init__(self, answer, certificate=None, keep_alive: bool = False):
        self.connections = 0
        streaming = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                streaming.connections += 1
                # The request: every answer here is the same. An empty read is the client closing.
                while self.request.recv(65536):
                    try:
                        for chunk in answer():
                            self.request.sendall(chunk)
                    except OSError:  # the client gave up, as it should
                        return
                    if not keep_alive:
                        return

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._start(server, certificate)


def http_answer(body: bytes, content_length: int | None = None) -> bytes:
    """The bytes of a 200 JSON answer; content_length may announce more body than `body` holds."""
    length = len(body) if content_length is None else content_length
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {length}\r\n\r\n".encode() + body)


def dripping(data: bytes, size: int = 10, every: float = 0.5):
    """An answer that sends `size` bytes every `every` seconds."""
    def answer():
        for start in range(0, len(data), size):
            yield data[start:start + size]
            time.sleep(every)
    return answer


def huge(megabytes: int):
    """A 200 answer whose body is `megabytes` MB of JSON whitespace, made as it is sent."""
    def answer():
        yield http_answer(b"", content_length=megabytes * 2**20)
        chunk = b" " * 2**20
        for _ in range(megabytes):
            yield chunk
    return answer


class ScriptedDns:
    """A name server on loopback, UDP and TCP on one port, answering one CNAME and recording each query.

    `truncate_udp` answers UDP with the TC flag and no records, as a server does when the answer does not
    fit, after `udp_delay` seconds; `silent_tcp` takes TCP connections and never answers.
    """

    def __init__(self, name: str, target: str, truncate_udp: bool = False, udp_delay: float = 0.0,
                 silent_tcp: bool = False):
        self.name, self.target = name, target
        self.truncate_udp, self.udp_delay, self.silent_tcp = truncate_udp, udp_delay, silent_tcp
        self.queries: list[tuple[str, bool]] = []  # (transport, recursion desired)
        self.address = fresh_address()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((self.address, 0))
        self.port = self.udp.getsockname()[1]
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind((self.address, self.port))
        self.tcp.listen(8)
        self.endpoint = f"{self.address}:{self.port}"
        self.clients: list[socket.socket] = []
        threading.Thread(target=self._serve_udp, daemon=True).start()
        threading.Thread(target=self._serve_tcp, daemon=True).start()

    def _answer(self, query: dns.message.Message, transport: str) -> dns.message.Message:
        self.queries.append((transport, bool(query.flags & dns.flags.RD)))
        response = dns.message.make_response(query)
        if transport == "udp" and self.truncate_udp:
            response.flags |= dns.flags.TC
        else:
            response.answer.append(dns.rrset.from_text(f"{self.name}.", 60, "IN", "CNAME", f"{self.target}."))
        return response

    def _serve_udp(self):
        while True:
            try:
                wire, client = self.udp.recvfrom(65535)
            except OSError:
                return
            time.sleep(self.udp_delay)
            self.udp.sendto(self._answer(dns.message.from_wire(wire), "udp").to_wire(), client)

    def _serve_tcp(self):
        while True:
            try:
                client, _ = self.tcp.accept()
            except OSError:
                return
            self.clients.append(client)
            if self.silent_tcp:
                continue
            query = dns.query.receive_tcp(client)[0]
            dns.query.send_tcp(client, self._answer(query, "tcp"))

    def close(self):
        for client in self.clients:
            client.close()
        self.udp.close()
        self.tcp.shutdown(socket.SHUT_RDWR)  # wakes the accept() waiting in its thread
        self.tcp.close()
