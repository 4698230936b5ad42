"""HTTP requests whose whole answer, headers and body, ends by a deadline, and whose body is read up to a bound.

httpx applies its timeout to each network operation, not to the answer: a server that sends a few
bytes at a time keeps a request going as long as it likes (encode/httpx#1450, "low-and-slow/slowloris
'attack' on client", open, no total timeout). httpcore, under httpx, takes a network backend of one's
own (httpcore docs, "Network Backends", "Custom network backends"): this one gives each connect, read
and write only the time left before the deadline.

The deadline is each request's own, not the command's: `timeout` seconds from the moment the request
is sent, for connecting (unless a kept-alive connection is free), sending and the whole answer. So
preflight's checks, sent one after another through one client, each get the full --timeout, as its
help says ("seconds for each answer"), and status's HTTP check its --query-timeout. A connection kept
alive from an earlier request reads under the current request's deadline: every stream asks the
backend for it at each operation (tests/test_bounded_http.py sends two answers that each fit the
timeout, together not, over one connection).
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from typing import Optional

import httpcore
import httpx

# Plenty for the maintenance JSON and the page's marker, which sits in the page's <head>.
BODY_LIMIT = 64 * 1024


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own backend, with every operation cut short at `deadline` (time.monotonic)."""

    def __init__(self) -> None:
        self.network = httpcore.SyncBackend()
        self.deadline = float("inf")

    def time_left(self, timeout: Optional[float], expired: type[Exception]) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise expired("the whole answer took longer than the timeout")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self.network.connect_tcp(host, port, self.time_left(timeout, httpcore.ConnectTimeout),
                                          local_address, socket_options)
        return _DeadlineStream(stream, self)

    def sleep(self, seconds: float) -> None:
        self.network.sleep(seconds)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, backend: _DeadlineBackend):
        self.stream, self.backend = stream, backend

    def read(self, max_bytes: int, timeout: Optional[float] = None) -> bytes:
        return self.stream.read(max_bytes, self.backend.time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: Optional[float] = None) -> None:
        self.stream.write(buffer, self.backend.time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        # The handshake is part of connecting: httpcore's SyncStream reports its timeout as ConnectTimeout.
        timeout = self.backend.time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self.stream.start_tls(ssl_context, server_hostname, timeout), self.backend)

    def get_extra_info(self, info: str):
        return self.stream.get_extra_info(info)


class _DeadlineTransport(httpx.HTTPTransport):
    def __init__(self, context: ssl.SSLContext, backend: _DeadlineBackend):
        super().__init__(verify=context, trust_env=False)
        # httpx's transport takes no network backend: its pool is replaced by the one httpx would build,
        # given ours (tests/test_status.py and tests/test_preflight.py time it against a dripping server).
        self._pool = httpcore.ConnectionPool(ssl_context=context, network_backend=backend)


@dataclass(frozen=True)
class BoundedResponse:
    status_code: int
    headers: httpx.Headers
    text: str  # the first BODY_LIMIT bytes of the body, decoded
    certificate: Optional[dict]  # the peer's, over TLS (ssl.SSLSocket.getpeercert)
    tls_version: Optional[str]


def root_cause(error: BaseException) -> BaseException:
    """The exception under httpx's (preflight has its own copy, _root_cause)."""
    # httpcore's pool re-raises with `from None`, so the chain goes on through __context__.
    while (error.__cause__ or error.__context__) is not None:
        error = error.__cause__ or error.__context__
    return error


def is_slow(error: httpx.HTTPError) -> bool:
    """A timeout after the connection was made: the server answers, but not within the time given."""
    return isinstance(error, httpx.TimeoutException) and not isinstance(error, httpx.ConnectTimeout)


class BoundedClient:
    """An httpx client whose every request gets `timeout` seconds for its whole answer.

    No proxy from the environment: it would not reach the target's own address. Redirects are not
    followed: a redirect is an answer to report. One request at a time: the deadline is the client's,
    reset by each fetch (preflight's checks run in turn; status makes a client per HTTP check).
    """

    def __init__(self, context: ssl.SSLContext, timeout: float, headers: Optional[dict[str, str]] = None):
        self.timeout = timeout
        self._backend = _DeadlineBackend()
        self._client = httpx.Client(transport=_DeadlineTransport(context, self._backend), timeout=timeout,
                                    follow_redirects=False, headers=headers)

    def close(self) -> None:
        self._client.close()

    def fetch(self, method: str, url: str, headers: dict[str, str],
              extensions: Optional[dict] = None, content: Optional[bytes] = None) -> BoundedResponse:
        """The answer, its body read up to BODY_LIMIT; httpx.HTTPError when it fails or is slow.

        `content` is the request's body (a notification's JSON), sent within the same deadline."""
        # A fresh deadline for every request: the kept-alive connection from an earlier one reads under it too.
        self._backend.deadline = time.monotonic() + self.timeout
        request = self._client.build_request(method, url, headers=headers, extensions=extensions, content=content)
        response = self._client.send(request, stream=True)
        try:
            ssl_object = response.extensions["network_stream"].get_extra_info("ssl_object")
            certificate, version = (ssl_object.getpeercert(), ssl_object.version()) if ssl_object else (None, None)
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= BODY_LIMIT:
                    break
        finally:
            response.close()
        text = bytes(body[:BODY_LIMIT]).decode(response.encoding or "utf-8", errors="replace")
        return BoundedResponse(response.status_code, response.headers, text, certificate, version)
