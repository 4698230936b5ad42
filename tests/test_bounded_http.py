"""The deadline under every network operation of an answer: the backend alone, then a client against loopback servers."""

import ssl
import time

import httpcore
import httpx
import pytest

from loopback_servers import StreamingServer, http_answer
from maintenance.cli.bounded_http import BoundedClient, _DeadlineBackend, is_slow

TIMEOUT = 1.0


def test_each_operation_gets_only_the_time_left_before_the_deadline():
    backend = _DeadlineBackend()
    backend.deadline = time.monotonic() + 1
    assert 0.9 < backend.time_left(5.0, httpcore.ReadTimeout) <= 1  # a read may not outlive the answer's deadline
    assert backend.time_left(0.5, httpcore.ReadTimeout) == 0.5  # nor wait longer than httpx's own timeout
    backend.deadline = time.monotonic() - 0.01
    with pytest.raises(httpcore.ReadTimeout):
        backend.time_left(5.0, httpcore.ReadTimeout)


def in_pieces(data: bytes, pieces: int, seconds: float):
    """An answer sent in `pieces`, one every seconds / pieces: whole after `seconds`, each wait far below TIMEOUT."""
    size = -(-len(data) // pieces)

    def answer():
        for start in range(0, len(data), size):
            time.sleep(seconds / pieces)
            yield data[start:start + size]
    return answer


def test_each_request_through_one_client_gets_the_whole_timeout():
    # Each answer fits the timeout, the two together do not: as preflight's checks, one after another.
    server = StreamingServer(in_pieces(http_answer(b'{"ok": true}'), 6, 0.6 * TIMEOUT), keep_alive=True)
    client = BoundedClient(ssl.create_default_context(), TIMEOUT)
    try:
        first = client.fetch("GET", server.url, {})
        second = client.fetch("GET", server.url, {})
    finally:
        client.close()
        server.close()
    assert (first.status_code, second.status_code) == (200, 200)
    # The second request went over the first one's kept-alive connection, and still had a deadline of its own.
    assert server.connections == 1


def test_one_answer_trickling_past_the_timeout_fails_at_the_timeout():
    server = StreamingServer(in_pieces(http_answer(b'{"ok": true}'), 10, 2 * TIMEOUT))
    client = BoundedClient(ssl.create_default_context(), TIMEOUT)
    started = time.monotonic()
    try:
        with pytest.raises(httpx.ReadTimeout) as error:
            client.fetch("GET", server.url, {})
        took = time.monotonic() - started
    finally:
        client.close()
        server.close()
    assert is_slow(error.value)
    assert 0.95 * TIMEOUT < took < 1.3 * TIMEOUT
