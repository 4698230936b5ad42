"""What an answer means: classifying a DNS target or an HTTP response as maintenance or live.

Pure functions, shared by every check the `status` and `preflight` commands make.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Optional

MAINTENANCE = "maintenance"
LIVE = "live"
UNKNOWN = "unknown"
FAILED = "failed"

_CLOUDFRONT = re.compile(r"\.cloudfront\.net$")
# ALB and classic: NAME-ID.REGION.elb.amazonaws.com; NLB: NAME-ID.elb.REGION.amazonaws.com
_LOAD_BALANCER = re.compile(r"\.elb\.(?:[a-z0-9-]+\.)?amazonaws\.com$")
MARKER_NAME = "api-maintenance"

EXIT_AGREED = 0
EXIT_DISAGREES = 1
EXIT_USAGE = 2
EXIT_FAILED = 3
# What a shell reports for a command ended by SIGPIPE, 128 + 13 ("When a command terminates on a fatal
# signal whose number is N, Bash uses the value 128+N as the exit status": Bash manual, Exit Status).
EXIT_READER_GONE = 141
# How much of a refused value an error shows: enough to recognise it, never a screenful.
SHOWN_CHARACTERS = 60


def shown(text: str) -> str:
    """A refused value as an error quotes it: its repr, cut short when long."""
    if len(text) <= SHOWN_CHARACTERS:
        return repr(text)
    return f"{text[:SHOWN_CHARACTERS]!r}... ({len(text)} characters)"


def error_json(code: int, error: str) -> str:
    """What --json prints when a command stops with an error: a script always gets a document to parse."""
    return json.dumps({"exit": code, "error": error}, indent=2)


def stop_writing_output() -> None:
    """What reads our output has gone (`| head`): what is still printed goes nowhere, at exit too.

    Python docs, signal, "Note on SIGPIPE": "Python flushes standard streams on exit; redirect
    remaining output to devnull to avoid another BrokenPipeError at shutdown".
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def report_error(error: str, code: int, as_json: bool) -> int:
    """A command stopping on an error: the message on stderr, and with --json the document on stdout too."""
    print(f"error: {error}", file=sys.stderr)
    if as_json:
        print(error_json(code, error))
    return code


def normalise(name: str) -> str:
    return name.strip().lower().rstrip(".")


@dataclass(frozen=True)
class Expectation:
    """Where the name should point in each mode; None where only the name's pattern is known."""

    desired: str
    maintenance_target: Optional[str] = None
    live_target: Optional[str] = None


def classify_target(target: str, expectation: Expectation) -> str:
    name = normalise(target)
    if expectation.maintenance_target:
        if name == normalise(expectation.maintenance_target):
            return MAINTENANCE
    elif _CLOUDFRONT.search(name):
        return MAINTENANCE
    if expectation.live_target:
        if name == normalise(expectation.live_target):
            return LIVE
    elif _LOAD_BALANCER.search(name):
        return LIVE
    return UNKNOWN


class _MarkerFinder(HTMLParser):
    found = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "meta" and values.get("name") == MARKER_NAME and values.get("content") == "on":
            self.found = True


def is_maintenance_json(status: int, content_type: str, text: str) -> bool:
    """The edge's answer to API clients: 503 with a JSON body whose `maintenance` is true."""
    if status != 503 or "json" not in content_type.lower():
        return False
    try:
        document = json.loads(text)
    except ValueError:
        return False
    return isinstance(document, dict) and document.get("maintenance") is True


def has_page_marker(content_type: str, text: str) -> bool:
    """HTML carrying the page's <meta name="api-maintenance" content="on">."""
    if "html" not in content_type.lower():
        return False
    finder = _MarkerFinder()
    finder.feed(text)
    return finder.found


def classify_http(status: int, content_type: str, text: str) -> str:
    """MAINTENANCE for the edge's 503 JSON contract or the page's marker, else LIVE."""
    if is_maintenance_json(status, content_type, text) or has_page_marker(content_type, text):
        return MAINTENANCE
    return LIVE


@dataclass(frozen=True)
class Answer:
    """One server's (or the HTTP check's) answer."""

    role: str  # "authoritative", "resolver" or "http"
    server: str
    state: str  # MAINTENANCE, LIVE, UNKNOWN or FAILED
    answer: Optional[str] = None  # the CNAME target, or the HTTP response in brief
    ttl: Optional[int] = None
    error: Optional[str] = None


def exit_status(answers: list[Answer], desired: str) -> int:
    if any(a.state == FAILED for a in answers):
        return EXIT_FAILED
    if any(a.state != desired for a in answers):
        return EXIT_DISAGREES
    return EXIT_AGREED


def longest_stale_ttl(answers: list[Answer], desired: str) -> Optional[int]:
    """How long the slowest server may still hand out an answer other than the desired one."""
    ttls = [a.ttl for a in answers if a.state not in (desired, FAILED) and a.ttl is not None]
    return max(ttls, default=None)
