"""A notice of each switch and message change, POSTed to the stack's `notifyUrl` (optional).

One JSON document in the form Slack's incoming webhooks take: `text` is what Slack shows (docs.slack.dev,
"Incoming webhooks": `curl -X POST -H 'Content-type: application/json' --data '{"text":"Hello, World!"}'
URL`); `stack`, `mode`, `reason`, `until` and `by` carry the same facts for any other receiver that
reads JSON. Success is a 2xx answer: Slack answers 200, and any other status with a short error such
as `invalid_payload` in the body (api.slack.com changelog 2016-05-17, "Improving error conditions
for Incoming Webhooks": "interpret a HTTP 200 response as success and any other response code as a
failure").

A notice is a courtesy: it never blocks or undoes a window. `notify` never raises, and ends within
its timeout, the answer included (bounded_http); what went wrong comes back as one line to print.
"""

from __future__ import annotations

import getpass
import json
import socket
import ssl
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Optional
from urllib.parse import urlsplit

import httpx

from ..settings import notify_url
from .answers import shown
from .bounded_http import BoundedClient, is_slow, root_cause

if TYPE_CHECKING:
    from .pulumi_stack import PulumiStack

NOTIFY_TIMEOUT = 5.0
USER_AGENT = "api-maintenance-notify"


def _until_text(until: Optional[datetime]) -> Optional[str]:
    return None if until is None else until.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def notice_text(command: str, stack: str, mode: str, reason: Optional[str], until: Optional[datetime],
                by: Optional[str]) -> str:
    """The line Slack shows, e.g. `production: maintenance on, the API is in maintenance: db upgrade (until ...)`."""
    text = f"{stack}: maintenance {command}, the API is {'in maintenance' if mode == 'maintenance' else 'live'}"
    if reason:
        text += f": {reason}"
    if until is not None:
        text += f" (until {until.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC)"
    if by:
        text += f"; by {by}"
    return text


def notice_document(*, text: str, stack: str, mode: str, reason: Optional[str], until: Optional[datetime],
                    by: Optional[str]) -> dict:
    """The JSON document POSTed: Slack reads `text`; every key is always there, null when unknown."""
    return {"text": text, "stack": stack, "mode": mode, "reason": reason, "until": _until_text(until), "by": by}


def _where(url: str) -> str:
    """The receiver as a problem names it: scheme and host only, as a webhook's path is its credential."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def notify(url: str, *, text: str, stack: str, mode: str, reason: Optional[str], until: Optional[datetime],
           by: Optional[str], timeout: float = NOTIFY_TIMEOUT,
           context: Optional[ssl.SSLContext] = None) -> Optional[str]:
    """POST the notice to url; None once the receiver answered 2xx, else one line saying what went wrong.

    `context` is the TLS trust to use (the system's by default). Never raises; returns within `timeout`.
    """
    try:
        notify_url(url)
    except ValueError as error:
        return f"notification not sent: notifyUrl {error}"
    where = _where(url)
    body = json.dumps(notice_document(text=text, stack=stack, mode=mode, reason=reason, until=until, by=by)).encode()
    try:
        client = BoundedClient(context or httpx.create_ssl_context(), timeout, headers={"User-Agent": USER_AGENT})
    except (OSError, ssl.SSLError) as error:
        return f"notification not sent to {where}: {error}"
    try:
        response = client.fetch("POST", url, {"Content-Type": "application/json"}, content=body)
    except httpx.HTTPError as error:
        return f"notification not sent to {where}: {_failure(error, timeout)}"
    # httpx refusing a URL that urlsplit took: InvalidURL, or ValueError from the idna codec (a..b, xn--a).
    except (OSError, ValueError, httpx.InvalidURL) as error:
        return f"notification not sent to {where}: {error}"
    finally:
        client.close()
    if 200 <= response.status_code < 300:
        return None
    answer = response.text.strip().splitlines()[0] if response.text.strip() else ""
    said = f": {shown(answer)}" if answer else ""
    redirect = " (a redirect is not followed: give the URL it points to)" if 300 <= response.status_code < 400 else ""
    return f"notification not accepted by {where}: it answered HTTP {response.status_code}{said}{redirect}"


def _failure(error: httpx.HTTPError, timeout: float) -> str:
    """The failure in the words preflight uses for its own requests."""
    if isinstance(error, httpx.TimeoutException):
        return f"no answer within {timeout:g}s" + (" (it answered too slowly)" if is_slow(error) else "")
    cause = root_cause(error)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"its certificate is not trusted: {cause.verify_message}"
    if isinstance(cause, ssl.SSLError):
        return f"the TLS handshake failed: {cause.reason or cause}"
    if isinstance(cause, socket.gaierror):
        return "its host name was not found"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    return f"{type(error).__name__}: {error}"


def operator(cwd: Path, timeout: float = 5.0) -> Optional[str]:
    """Who runs the command, for a notice's `by`: git's user.name where the project is, else the login name."""
    try:
        result = subprocess.run(["git", "config", "user.name"], cwd=cwd, capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, timeout=timeout)
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no LOGNAME/USER and no passwd entry, as in some containers
        return None


def notify_stack(pulumi: "PulumiStack", *, command: str, mode: str, reason: Optional[str],
                 until: Optional[datetime], by: Optional[str], timeout: float = NOTIFY_TIMEOUT,
                 context: Optional[ssl.SSLContext] = None) -> Optional[str]:
    """The notice of a window command, to the stack's notifyUrl if it has one: None when sent or not
    set, else one line to print. Reads the URL decrypted through Pulumi, as `up` does; never raises."""
    from .pulumi_stack import PulumiFailed

    try:
        value = pulumi.values(["notifyUrl"])["notifyUrl"]
    except PulumiFailed as error:
        return f"notification not sent: the stack's notifyUrl could not be read ({(str(error).splitlines() or ['no message'])[0]})"
    if value is None:
        return None
    text = notice_text(command, pulumi.name, mode, reason, until, by)
    return notify(value.value, text=text, stack=pulumi.name, mode=mode, reason=reason, until=until, by=by,
                  timeout=timeout, context=context)
