"""Option types shared by the commands: each turns bad input into a usage error (exit 2)."""

from __future__ import annotations

import argparse
import ipaddress
from typing import Callable

import httpx


def _check_host(text: str, host: str) -> None:
    try:
        ipaddress.ip_address(host)
        return
    except ValueError:
        pass
    try:
        # The codec the resolver uses: it refuses empty labels (a..b) and labels over 63 characters.
        host.encode("idna")
    except UnicodeError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a host name: {error}") from None


def endpoint(default_port: int) -> Callable[[str], tuple[str, int]]:
    """A parser of HOST, HOST:PORT, IPV6 or [IPV6]:PORT."""

    def host_and_port(text: str) -> tuple[str, int]:
        text = text.strip()
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            port_text = rest[1:] if rest.startswith(":") else ""
        elif text.count(":") == 1:
            host, port_text = text.split(":")
        else:
            host, port_text = text, ""
        if not host:
            raise argparse.ArgumentTypeError(f"{text!r} is not HOST[:PORT]")
        _check_host(text, host)
        try:
            port = int(port_text) if port_text else default_port
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: the port must be a number") from None
        if not 0 < port < 65536:
            raise argparse.ArgumentTypeError(f"{text!r}: the port must be from 1 to 65535")
        return host, port

    return host_and_port


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0 seconds")
    return value


def http_url(text: str) -> str:
    """An absolute http:// or https:// URL with a host."""
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL: {error}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// URL such as https://api.example.com/")
    return text
