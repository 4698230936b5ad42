"""Real servers on loopback for the status and preflight tests: dnsmasq, silent ports, HTTP(S) servers."""

from __future__ import annotations

import itertools
import json
import os
import socket
import ssl
import subprocess
import time

import dns.exception
import dns.message
import dns.query

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


class HttpServer(EdgeServer):
    """`serve`'s HTTP server on loopback; `answer(method, path, headers)` gives each (status, headers, body).

    With a trustme certificate it speaks TLS and records the SNI each client sent. It records
    every request too, so tests can see what a client really put on the wire.
    """

    def __init__(self, answer, certificate=None):
        self.requests: list[dict] = []
        self.sni: list[str | None] = []
        context = None
        if certificate is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            certificate.configure_cert(context)
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
