"""The maintenance page: the template in site/ rendered with the settings, every value escaped."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime
from html import escape
from string import Template

PAGE_SIZE_LIMIT = 10 * 1024


def utc_iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _until_block(until: datetime | None) -> str:
    if until is None:
        return ""
    readable = f"{until:%A} {until.day} {until:%B %Y, %H:%M} UTC"
    return (
        f'<p>Expected back by <time data-until datetime="{utc_iso(until)}">{escape(readable)}</time>.</p>\n'
        '<p id="local-time" class="muted" hidden></p>'
    )


def _contact_block(contact: str | None) -> str:
    if contact is None:
        return ""
    href = contact if contact.lower().startswith("https://") else f"mailto:{contact}"
    return f'<p class="muted">Questions? Contact <a href="{escape(href)}">{escape(contact)}</a>.</p>'


def _inline_hash(tag: str, document: str) -> str:
    body = re.search(rf"<{tag}>(.*?)</{tag}>", document, re.S).group(1)
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def render_page(template: str, message: str, until: datetime | None, contact: str | None) -> str:
    """The page, allowed to run only its own inline style and script (no request can leave it)."""
    policy = (
        f"default-src 'none'; style-src {_inline_hash('style', template)}; "
        f"script-src {_inline_hash('script', template)}; img-src data:; base-uri 'none'; form-action 'none'"
    )
    return Template(template).substitute(
        content_security_policy=policy,
        message=escape(message),
        until=_until_block(until),
        contact=_contact_block(contact),
    )
