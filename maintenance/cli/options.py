"""Option types shared by the commands: each turns bad input into a usage error (exit 2)."""

from __future__ import annotations

import argparse
import math
import re
import shlex
from datetime import datetime, timedelta, timezone
from typing import Callable

import httpx

from ..settings import is_ip_address, parse_value
from .answers import shown

# A label as it goes on the wire: letters, digits, hyphens inside, and the underscore of
# service names (_dmarc); the idna codec has turned any Unicode label into xn--.
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$", re.IGNORECASE)
# A day: longer than any maintenance window waits, and far from float's limits.
MAX_SECONDS = 86400.0


def _check_host(text: str, host: str) -> None:
    if is_ip_address(host):
        return
    try:
        # The codec the resolver uses: it refuses empty labels (a..b) and labels over 63 characters.
        ascii_name = host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise argparse.ArgumentTypeError(f"{shown(text)} is not a host name: {error}") from None
    if not all(_LABEL.match(label) for label in ascii_name.rstrip(".").split(".")):
        raise argparse.ArgumentTypeError(
            f"{shown(text)} is not a host name: labels are letters, digits and inner hyphens")


def _port(text: str, port_text: str, lowest: int = 1) -> int:
    # isascii: int() also reads other scripts' digits ("٥٣"), and isdigit refuses "+53" and " 53".
    if not (port_text.isascii() and port_text.isdigit()):
        raise argparse.ArgumentTypeError(f"{shown(text)}: the port must be a number")
    port = int(port_text)
    if not lowest <= port < 65536:
        raise argparse.ArgumentTypeError(f"{shown(text)}: the port must be from {lowest} to 65535")
    return port


def listen_port(text: str) -> int:
    """A port to listen on; 0 lets the system pick a free one."""
    return _port(text, text.strip(), lowest=0)


def endpoint(default_port: int) -> Callable[[str], tuple[str, int]]:
    """A parser of HOST, HOST:PORT, IPV6 or [IPV6]:PORT."""

    def host_and_port(text: str) -> tuple[str, int]:
        text = text.strip()
        if text.startswith("["):
            host, bracket, rest = text[1:].partition("]")
            if not bracket or (rest and not rest.startswith(":")) or not is_ip_address(host) or ":" not in host:
                raise argparse.ArgumentTypeError(f"{shown(text)} is not [IPV6] or [IPV6]:PORT")
            port_text = rest[1:] if rest else None
        elif text.count(":") == 1:
            host, port_text = text.split(":")
        else:
            host, port_text = text, None
        if not host:
            raise argparse.ArgumentTypeError(f"{shown(text)} is not HOST[:PORT]")
        _check_host(text, host)
        return host, default_port if port_text is None else _port(text, port_text)

    return host_and_port


def endpoint_text(host: str, port: int) -> str:
    """HOST:PORT as `endpoint` reads it back: an IPv6 address goes in brackets ([::1]:53)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def carried(args: argparse.Namespace, *names: str) -> str:
    """The options among names that the operator gave, as a `next:` command line carries them on."""
    words: list[str] = []
    for name in names:
        value = getattr(args, name)
        if (name, value) == ("cwd", "."):  # the default
            continue
        for each in value if isinstance(value, list) else [value] if value else []:
            words += [f"--{name}", shlex.quote(endpoint_text(*each) if isinstance(each, tuple) else str(each))]
    return "".join(f" {word}" for word in words)


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{shown(text)} is not a number of seconds") from None
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{shown(text)}: must be more than 0 seconds")
    if not (math.isfinite(value) and value <= MAX_SECONDS):
        raise argparse.ArgumentTypeError(f"{shown(text)}: must be at most {MAX_SECONDS:g} seconds (a day)")
    return value


def http_url(text: str) -> str:
    """An absolute http:// or https:// URL with a host name or address and a port from 1 to 65535."""
    try:
        url = httpx.URL(text)
        host = url.host
    # ValueError: the idna package refusing an A-label (xn--) when httpx decodes the host.
    except (httpx.InvalidURL, ValueError) as error:
        raise argparse.ArgumentTypeError(f"{shown(text)} is not a URL: {error}") from None
    if url.scheme not in ("http", "https") or not host:
        raise argparse.ArgumentTypeError(f"{shown(text)} is not an http:// or https:// URL such as https://api.example.com/")
    _check_host(text, host)
    if url.port is not None and not 0 < url.port < 65536:
        raise argparse.ArgumentTypeError(f"{shown(text)}: the port must be from 1 to 65535")
    return text


def add_stack_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack", help="stack name: production, integration, or any with a Pulumi.STACK.yaml")


def add_cwd_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cwd", default=".", metavar="DIR", help="folder holding Pulumi.STACK.yaml (default .)")


# Less than this ahead, an `until` has passed by the time readers see the page: the update and the caches
# between take longer.
UNTIL_LEAD = timedelta(minutes=1)
UNTIL_EXAMPLE = "--until \"$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)\""


def until_ahead(text: str, now: datetime) -> datetime:
    """--until as the program reads it (settings.parse_value), and at least UNTIL_LEAD after `now` (UTC)."""
    try:
        moment = parse_value("until", text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"--until {shown(text)} {error}") from None
    if moment <= now:
        raise argparse.ArgumentTypeError(
            f"--until {shown(text)} has passed ({moment:%Y-%m-%d %H:%M:%S} UTC; now is {now:%Y-%m-%d %H:%M:%S} UTC): "
            f"give a time ahead, e.g. {UNTIL_EXAMPLE}, or leave until out with --no-until")
    if moment - now < UNTIL_LEAD:
        raise argparse.ArgumentTypeError(
            f"--until {shown(text)} is less than a minute ahead ({moment:%Y-%m-%d %H:%M:%S} UTC; now is "
            f"{now:%Y-%m-%d %H:%M:%S} UTC), so it passes before readers see it: give a later time, e.g. {UNTIL_EXAMPLE}")
    return moment


def until_option(text: str) -> str:
    """An option type for --until: the text, stripped, once until_ahead accepts it against the clock now."""
    until_ahead(text, datetime.now(timezone.utc))
    return text.strip()
