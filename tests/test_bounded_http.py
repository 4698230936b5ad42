"""The deadline under every network operation of an answer, without any server."""

import time

import httpcore
import pytest

from maintenance.cli.bounded_http import _DeadlineBackend


def test_each_operation_gets_only_the_time_left_before_the_deadline():
    backend = _DeadlineBackend()
    backend.deadline = time.monotonic() + 1
    assert 0.9 < backend.time_left(5.0, httpcore.ReadTimeout) <= 1  # a read may not outlive the answer's deadline
    assert backend.time_left(0.5, httpcore.ReadTimeout) == 0.5  # nor wait longer than httpx's own timeout
    backend.deadline = time.monotonic() - 0.01
    with pytest.raises(httpcore.ReadTimeout):
        backend.time_left(5.0, httpcore.ReadTimeout)
