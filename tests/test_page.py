"""The maintenance page: rendering, escaping, size, and a real headless Chromium at two widths."""

import base64
import hashlib
import re
import threading
from datetime import datetime, timedelta, timezone
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from maintenance.page import PAGE_SIZE_LIMIT, render_page
from maintenance.settings import MESSAGE_MAX_LENGTH
from requirements import require_program

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = (ROOT / "site" / "index.html").read_text(encoding="utf-8")
SCREENSHOTS = ROOT / "build" / "screenshots"
UNTIL = datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)
BEFORE_UNTIL = UNTIL - timedelta(days=1)
OVERRUN = "The work is taking longer than planned. We will be back as soon as we can."
HOSTILE = '<img src=x onerror="window.pwned=1"> $message $content_security_policy 100% & "quotes" </main><script>window.pwned=2</script> café 🚧'
MESSAGE = "The API is down for a database upgrade. Requests made now fail with 503."


def page(message=MESSAGE, until=UNTIL, contact="ops@theboss.io"):
    return render_page(TEMPLATE, message, until, contact)


def test_page_carries_marker_message_until_and_contact():
    html = page()
    assert '<html lang="en">' in html
    assert '<meta name="api-maintenance" content="on">' in html
    assert MESSAGE in html
    assert '<time data-until datetime="2026-12-01T06:00:00Z">Tuesday 1 December 2026, 06:00 UTC</time>' in html
    assert '<a href="mailto:ops@theboss.io">ops@theboss.io</a>' in html
    assert "$message" not in html and "$content_security_policy" not in html


def test_until_and_contact_are_left_out_when_not_set():
    html = page(until=None, contact=None)
    assert "<time" not in html and "Questions?" not in html
    assert "$until" not in html and "$contact" not in html


def test_url_contact_links_to_the_url():
    html = page(contact="https://status.theboss.io/?a=1&b=2")
    assert '<a href="https://status.theboss.io/?a=1&amp;b=2">https://status.theboss.io/?a=1&amp;b=2</a>' in html


@pytest.mark.parametrize("contact", ["HTTPS://status.theboss.io/", "Https://status.theboss.io/"])
def test_a_url_contact_in_any_case_links_to_the_url_not_to_mailto(contact):
    # Settings accept https:// in any case (URL schemes are case-insensitive: RFC 3986, 3.1).
    assert f'<a href="{contact}">{contact}</a>' in page(contact=contact)


def test_hostile_text_is_escaped():
    html = page(message=HOSTILE, contact='https://x.example.com/"><script>')
    assert "<img" not in html and "window.pwned=2</script>" not in html
    assert "&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt;" in html
    assert 'href="https://x.example.com/&quot;&gt;&lt;script&gt;"' in html


def test_content_security_policy_allows_only_the_inline_style_and_script():
    html = page()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    for tag, directive in (("style", "style-src"), ("script", "script-src")):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", html, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy
    assert policy.startswith("default-src 'none';")


def test_page_stays_under_ten_kilobytes_with_everything_at_its_longest():
    html = page(message="🚧" * MESSAGE_MAX_LENGTH, contact="https://" + "a" * 200 + ".example.com/")
    assert len(html.encode("utf-8")) < PAGE_SIZE_LIMIT


# --- in a real browser ---------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    chromium = require_program("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def serve(tmp_path):
    """Serves one rendered page on loopback and returns its URL."""
    servers = []

    def start(html):
        (tmp_path / "index.html").write_text(html, encoding="utf-8")
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/index.html"

    yield start
    for server in servers:
        server.shutdown()


def _luminance(css_rgb):
    channels = [int(c) / 255 for c in re.findall(r"\d+", css_rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground, background):
    """WCAG 2 contrast ratio of two computed CSS colours."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def visit(browser, url, width, height, scheme="light", timezone_id="America/New_York", now=BEFORE_UNTIL, javascript=True):
    """Opens the page with the browser's clock at now (what the page says depends on it)."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, color_scheme=scheme, timezone_id=timezone_id, locale="en-US",
        java_script_enabled=javascript,
    )
    if javascript:
        # Playwright's clock fakes the page's Date and setInterval (Playwright docs, "Clock": install, pause_at, run_for).
        context.clock.install(time=now)
    tab = context.new_page()
    requests, problems = [], []
    tab.on("request", lambda request: requests.append(request.url))
    tab.on("console", lambda message: message.type in ("error", "warning") and problems.append(message.text))
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.goto(url, wait_until="networkidle")
    return context, tab, requests, problems


@pytest.mark.parametrize(
    "label, width, height, scheme",
    [("phone-light", 390, 844, "light"), ("phone-dark", 390, 844, "dark"),
     ("desktop-light", 1280, 800, "light"), ("desktop-dark", 1280, 800, "dark")],
)
def test_page_in_chromium(browser, serve, label, width, height, scheme):
    url = serve(page())
    context, tab, requests, problems = visit(browser, url, width, height, scheme)
    try:
        assert requests == [url], "the page made a request of its own"
        assert problems == []
        assert tab.get_by_role("heading", level=1).inner_text() == "Down for maintenance"
        assert tab.get_by_role("main").is_visible()
        assert tab.get_by_text(MESSAGE).is_visible()
        assert tab.locator("time").inner_text() == "Tuesday 1 December 2026, 06:00 UTC"
        local = tab.locator("#local-time")
        assert local.is_visible()
        assert local.inner_text() == "Your local time: Tuesday, December 1, 2026 at 1:00 AM."
        assert tab.get_by_role("link", name="ops@theboss.io").get_attribute("href") == "mailto:ops@theboss.io"
        # Nothing sticks out sideways on a phone.
        assert tab.evaluate("document.documentElement.scrollWidth") <= width
        card = tab.evaluate("getComputedStyle(document.querySelector('main')).backgroundColor")
        assert card == ("rgb(243, 244, 246)" if scheme == "light" else "rgb(29, 32, 36)")
        for selector in ("h1", "#message", "#local-time", "a"):
            color = tab.evaluate(f"getComputedStyle(document.querySelector('{selector}')).color")
            assert contrast(color, card) >= 4.5, (selector, color, card)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"{label}.png"), full_page=True)
        assert (SCREENSHOTS / f"{label}.png").stat().st_size > 5000
    finally:
        context.close()


def test_hostile_text_is_shown_as_text_in_chromium(browser, serve):
    url = serve(page(message=HOSTILE))
    context, tab, requests, problems = visit(browser, url, 1280, 800)
    try:
        assert tab.locator("#message").inner_text() == HOSTILE
        assert tab.evaluate("window.pwned") is None
        assert tab.locator("img").count() == 0
        assert requests == [url] and problems == []
    finally:
        context.close()


def test_page_says_the_work_takes_longer_once_until_has_passed(browser, serve):
    url = serve(page())
    context, tab, requests, problems = visit(browser, url, 390, 844, now=UNTIL + timedelta(minutes=1))
    try:
        assert tab.get_by_text(OVERRUN).is_visible()
        shown = tab.get_by_role("main").inner_text()
        assert "Expected back" not in shown and "2026" not in shown, "a past time is shown as the expected end"
        assert tab.locator("time").count() == 0 and not tab.locator("#local-time").is_visible()
        assert tab.get_by_text(MESSAGE).is_visible()
        assert requests == [url] and problems == []
    finally:
        context.close()


def test_page_left_open_says_the_work_takes_longer_within_a_minute_of_until(browser, serve):
    url = serve(page())
    context, tab, requests, problems = visit(browser, url, 1280, 800, now=UNTIL - timedelta(minutes=10, seconds=30))
    try:
        tab.clock.pause_at(UNTIL - timedelta(seconds=1))
        assert tab.locator("time").inner_text() == "Tuesday 1 December 2026, 06:00 UTC"
        assert tab.locator("#local-time").is_visible() and tab.get_by_text(OVERRUN).count() == 0
        tab.clock.run_for("01:01")
        assert tab.get_by_text(OVERRUN).is_visible()
        assert tab.locator("time").count() == 0 and not tab.locator("#local-time").is_visible()
        assert problems == []
    finally:
        context.close()


def test_page_without_javascript_gives_until_in_utc(browser, serve):
    url = serve(page())
    context, tab, requests, problems = visit(browser, url, 1280, 800, javascript=False)
    try:
        expected = tab.locator("p", has=tab.locator("time"))
        assert expected.is_visible() and expected.inner_text() == "Expected back by Tuesday 1 December 2026, 06:00 UTC."
        assert not tab.locator("#local-time").is_visible()
        assert requests == [url] and problems == []
    finally:
        context.close()
