"""Classifying answers, without any server."""

import json

import pytest

from maintenance.cli.answers import (
    FAILED, LIVE, MAINTENANCE, UNKNOWN, Answer, Expectation, classify_http, classify_target, exit_status,
    longest_stale_ttl,
)

PATTERNS = Expectation("maintenance")
EXACT = Expectation("maintenance", maintenance_target="d1.cloudfront.net", live_target="live.example.net")


@pytest.mark.parametrize(
    "target, expectation, state",
    [
        ("d111.cloudfront.net.", PATTERNS, MAINTENANCE),
        ("D111.CloudFront.NET", PATTERNS, MAINTENANCE),
        ("my-alb-1.us-east-1.elb.amazonaws.com", PATTERNS, LIVE),
        ("my-nlb-1.elb.us-east-1.amazonaws.com", PATTERNS, LIVE),
        ("cloudfront.net.example.com", PATTERNS, UNKNOWN),
        ("d111.cloudfront.net.example.com", PATTERNS, UNKNOWN),
        ("my-alb-1.us-east-1.elb.amazonaws.com.example.com", PATTERNS, UNKNOWN),
        ("evilcloudfront.net", PATTERNS, UNKNOWN),
        ("my-alb-1.us-east-1.evilelb.amazonaws.com", PATTERNS, UNKNOWN),
        ("elb.amazonaws.com.evil.example", PATTERNS, UNKNOWN),
        ("d1.cloudfront.net", EXACT, MAINTENANCE),
        ("d2.cloudfront.net", EXACT, UNKNOWN),
        ("live.example.net.", EXACT, LIVE),
        ("my-alb-1.us-east-1.elb.amazonaws.com", EXACT, UNKNOWN),
    ],
)
def test_classify_target(target, expectation, state):
    assert classify_target(target, expectation) == state


@pytest.mark.parametrize(
    "status, content_type, text, state",
    [
        (503, "application/json", json.dumps({"maintenance": True, "status": 503}), MAINTENANCE),
        (503, "application/json", json.dumps({"maintenance": "yes"}), LIVE),
        (503, "application/json", "not json", LIVE),
        (503, "text/plain", "Service Unavailable", LIVE),
        (200, "application/json", json.dumps({"maintenance": True}), LIVE),
        (200, "text/html", '<meta name="api-maintenance" content="on">', MAINTENANCE),
        (503, "text/html; charset=utf-8", "<html><meta content='on' name='api-maintenance'></html>", MAINTENANCE),
        (200, "text/html", '<meta name="api-maintenance" content="off">', LIVE),
        (200, "text/html", "<p>api-maintenance on</p>", LIVE),
    ],
)
def test_classify_http(status, content_type, text, state):
    assert classify_http(status, content_type, text) == state


def _answer(state, ttl=None):
    return Answer("resolver", "127.0.0.1:53", state, ttl=ttl)


def test_exit_status_and_stale_ttl():
    assert exit_status([_answer(MAINTENANCE)] * 2, MAINTENANCE) == 0
    assert exit_status([_answer(MAINTENANCE), _answer(LIVE)], MAINTENANCE) == 1
    assert exit_status([_answer(MAINTENANCE), _answer(UNKNOWN)], MAINTENANCE) == 1
    assert exit_status([_answer(LIVE), _answer(FAILED)], MAINTENANCE) == 3
    assert longest_stale_ttl([_answer(MAINTENANCE, 300), _answer(LIVE, 40), _answer(LIVE, 55)], MAINTENANCE) == 55
    assert longest_stale_ttl([_answer(MAINTENANCE, 300)], MAINTENANCE) is None
