"""Default request headers of real HTTP clients, each with the source that shows them."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Client:
    name: str
    method: str            # the HTTP method of the request described ("GET" mostly)
    headers: dict[str, str]  # lower-case header names -> exact values the client sends by default (omit host, content-length, connection, user-agent unless it matters; include accept, sec-fetch-*, accept-language if browsers)
    expects: str           # "page" for a real browser top-level navigation (or iframe navigation); "json" for everything else
    source: str            # where the defaults are documented: a URL of the docs or the source file (repo/path and function/constant), as precise as you can


# "captured" in a source means: the named client, installed on the corpus author's machine,
# sent the request to a loopback HTTP server that logged the raw request headers
# (2026-11-27); Origin, Referer, Host, Connection, Content-Length and User-Agent were
# dropped because they depend on the page/URL, not on the client's defaults.
MDN_ACCEPT = (
    "mdn/content files/en-us/web/http/guides/content_negotiation/list_of_default_accept_values/index.md "
    "(https://developer.mozilla.org/en-US/docs/Web/HTTP/Guides/Content_negotiation/List_of_default_Accept_values)"
)
BCD_SEC_FETCH = (
    "mdn/browser-compat-data http/headers/Sec-Fetch-Dest.json, Sec-Fetch-Mode.json, Sec-Fetch-Site.json, Sec-Fetch-User.json "
    "(chrome 76 (Dest: 80), firefox 90, safari 16.4 except Sec-Fetch-User: safari version_added false, impl_url https://webkit.org/b/247697)"
)
HTMLUNIT_ACCEPT = (
    "HtmlUnit src/test/java/com/gargoylesoftware/htmlunit/BrowserVersion2Test.java (2014; WebDriver tests checked "
    "against the real browsers; links https://learn.microsoft.com/en-us/archive/blogs/ieinternals/ie-and-the-accept-header)"
)
# Accept-Language is the user's locale setting, not a product default; entries built from
# documentation use the value both captured browsers sent for an en-US profile.
EN_US = "en-US,en;q=0.9"

CHROMIUM_156_CLIENT_HINTS = {
    "sec-ch-ua": '"Not:A-Brand";v="8", "Chromium";v="156"',
    "sec-ch-ua-mobile": "?0",
    "sec-ch-ua-platform": '"Linux"',
}
CHROMIUM_156_DOCUMENT_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/jxl,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
CHROMIUM_156 = "Chromium 156.0.8078.108 (Debian 12 package chromium), captured"
FIREFOX_153 = "Firefox ESR 153.8.0esr (Debian 12 package firefox-esr), captured"

CLIENTS: tuple[Client, ...] = (
    # ---- Browsers: top-level navigations WITH Sec-Fetch --------------------------------------
    Client(
        name="Chromium 156 address-bar navigation",
        method="GET",
        headers={
            "accept": CHROMIUM_156_DOCUMENT_ACCEPT,
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            **CHROMIUM_156_CLIENT_HINTS,
            "sec-fetch-dest": "document",
            "sec-fetch-mode": "navigate",
            "sec-fetch-site": "none",
            "sec-fetch-user": "?1",
            "upgrade-insecure-requests": "1",
        },
        expects="page",
        source=f"{CHROMIUM_156}: URL opened as the start page",
    ),
    Client(
        name="Chromium 156 script navigation (location.href, no user activation)",
        method="GET",
        headers={
            "accept": CHROMIUM_156_DOCUMENT_ACCEPT,
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            **CHROMIUM_156_CLIENT_HINTS,
            "sec-fetch-dest": "document",
            "sec-fetch-mode": "navigate",
            "sec-fetch-site": "same-origin",
            "upgrade-insecure-requests": "1",
        },
        expects="page",
        source=f"{CHROMIUM_156}: location.href = '/path' from a same-origin page; no Sec-Fetch-User without user activation",
    ),
    Client(
        name="Chromium 156 form POST navigation",
        method="POST",
        headers={
            "accept": CHROMIUM_156_DOCUMENT_ACCEPT,
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            "cache-control": "max-age=0",
            "content-type": "application/x-www-form-urlencoded",
            **CHROMIUM_156_CLIENT_HINTS,
            "sec-fetch-dest": "document",
            "sec-fetch-mode": "navigate",
            "sec-fetch-site": "same-origin",
            "upgrade-insecure-requests": "1",
        },
        expects="page",
        source=f"{CHROMIUM_156}: <form method=post> submitted from a same-origin page (also sent Origin and Referer)",
    ),
    Client(
        name="Chrome 131+ link click from another site",
        method="GET",
        headers={
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
            "accept-language": EN_US,
            "sec-fetch-dest": "document",
            "sec-fetch-mode": "navigate",
            "sec-fetch-site": "cross-site",
            "sec-fetch-user": "?1",
            "upgrade-insecure-requests": "1",
        },
        expects="page",
        source=f"Accept: {MDN_ACCEPT} row 'Chrome 131+'; Sec-Fetch values: https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Sec-Fetch-Site ('cross-site'), .../Sec-Fetch-User ('?1' for user-activated navigations)",
    ),
    Client(
        name="Firefox 153 ESR address-bar navigation",
        method="GET",
        headers={
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            "priority": "u=0, i",
            "sec-fetch-dest": "document",
            "sec-fetch-mode": "navigate",
            "sec-fetch-site": "none",
            "sec-fetch-user": "?1",
            "upgrade-insecure-requests": "1",
        },
        expects="page",
        source=f"{FIREFOX_153}: URL opened from the command line; Accept matches {MDN_ACCEPT} row 'Firefox 132 and later'",
    ),
    Client(
        name="Firefox 153 ESR form POST navigation",
        method="POST",
        headers={
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            "content-type": "application/x-www-form-urlencoded",
            "priority": "u=0, i",
            "sec-fetch-dest": "document",
            "sec-fetch-mode": "navigate",
            "sec-fetch-site": "same-origin",
            "upgrade-insecure-requests": "1",
        },
        expects="page",
        source=f"{FIREFOX_153}: <form method=post> submitted by script from a same-origin page (also sent Origin and Referer)",
    ),
    Client(
        name="Firefox 92-127 navigation",
        method="GET",
        headers={
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
            "accept-language": EN_US,
            "sec-fetch-dest": "document",
            "sec-fetch-mode": "navigate",
            "sec-fetch-site": "none",
            "sec-fetch-user": "?1",
            "upgrade-insecure-requests": "1",
        },
        expects="page",
        source=f"Accept: {MDN_ACCEPT} row 'Firefox 92 to 127'; Sec-Fetch-* since Firefox 90: {BCD_SEC_FETCH}",
    ),
    Client(
        name="Safari 16.4+ navigation (no Sec-Fetch-User)",
        method="GET",
        headers={
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "accept-language": EN_US,
            "sec-fetch-dest": "document",
            "sec-fetch-mode": "navigate",
            "sec-fetch-site": "none",
            "upgrade-insecure-requests": "1",
        },
        expects="page",
        source=f"Accept: {MDN_ACCEPT} row 'Safari 13.1 to 18.1+'; Sec-Fetch-Dest/Mode/Site since Safari 16.4, Sec-Fetch-User not sent: {BCD_SEC_FETCH}",
    ),
    # ---- Browsers: top-level navigations WITHOUT Sec-Fetch (older versions) -----------------
    Client(
        name="Chrome before 76 navigation",
        method="GET",
        headers={
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,image/apng,*/*;q=0.8",
            "accept-language": EN_US,
            "upgrade-insecure-requests": "1",
        },
        expects="page",
        source=f"Accept: {MDN_ACCEPT} row 'Safari, Chrome' (values before the rows rechecked for Chrome 131); no Sec-Fetch-* before Chrome 76: {BCD_SEC_FETCH}",
    ),
    Client(
        name="Firefox 72-89 navigation",
        method="GET",
        headers={
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8",
            "accept-language": EN_US,
            "upgrade-insecure-requests": "1",
        },
        expects="page",
        source=f"Accept: {MDN_ACCEPT} row 'Firefox 72 to 91'; no Sec-Fetch-* before Firefox 90: {BCD_SEC_FETCH}",
    ),
    Client(
        name="Firefox 64 and earlier navigation",
        method="GET",
        headers={
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "accept-language": EN_US,
            "upgrade-insecure-requests": "1",
        },
        expects="page",
        source=f"Accept: {MDN_ACCEPT} row 'Firefox 64 and earlier'",
    ),
    Client(
        name="Safari 13.1-16.3 navigation",
        method="GET",
        headers={
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "accept-language": EN_US,
            "upgrade-insecure-requests": "1",
        },
        expects="page",
        source=f"Accept: {MDN_ACCEPT} row 'Safari 13.1 to 18.1+'; no Sec-Fetch-* before Safari 16.4: {BCD_SEC_FETCH}",
    ),
    Client(
        name="Edge legacy (EdgeHTML) navigation",
        method="GET",
        headers={
            "accept": "text/html, application/xhtml+xml, image/jxr, */*",
            "accept-language": EN_US,
        },
        expects="page",
        source=f"Accept: {MDN_ACCEPT} row 'Edge' (EdgeHTML; Chromium-based Edge 79+ sends Chrome's values)",
    ),
    Client(
        name="Internet Explorer 11 navigation",
        method="GET",
        headers={"accept": "text/html, application/xhtml+xml, */*", "accept-language": EN_US},
        expects="page",
        source=f"{HTMLUNIT_ACCEPT}: acceptHeaderGetUrl / acceptHeaderAnchorClick @Alerts IE11 = 'Accept: text/html, application/xhtml+xml, */*'",
    ),
    Client(
        name="Internet Explorer 8 navigation (no text/html in Accept)",
        method="GET",
        headers={"accept": "image/gif, image/jpeg, image/pjpeg, image/pjpeg, */*", "accept-language": EN_US},
        expects="page",
        source=f"{HTMLUNIT_ACCEPT}: acceptHeaderGetUrl @Alerts IE (IE8 in HtmlUnit 2014) = 'Accept: image/gif, image/jpeg, image/pjpeg, image/pjpeg, */*'",
    ),
    Client(
        name="Internet Explorer 8 navigation with Accept */*",
        method="GET",
        headers={"accept": "*/*", "accept-language": EN_US},
        expects="page",
        source="IEInternals 'IE and the Accept Header' (2009-07-01), https://learn.microsoft.com/en-us/archive/blogs/ieinternals/ie-and-the-accept-header : 'in almost all cases, the Accept header contains */*' for IE navigations",
    ),
    Client(
        name="Opera 12 (Presto) navigation",
        method="GET",
        headers={
            "accept": "text/html, application/xml;q=0.9, application/xhtml+xml, image/png, image/webp, image/jpeg, image/gif, image/x-xbitmap, */*;q=0.1",
            "accept-language": EN_US,
        },
        expects="page",
        source=f"Accept: {MDN_ACCEPT} row 'Opera'",
    ),
    # ---- Browsers: iframe navigations ---------------------------------------------------------
    Client(
        name="Chromium 156 iframe navigation",
        method="GET",
        headers={
            "accept": CHROMIUM_156_DOCUMENT_ACCEPT,
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            **CHROMIUM_156_CLIENT_HINTS,
            "sec-fetch-dest": "iframe",
            "sec-fetch-mode": "navigate",
            "sec-fetch-site": "same-origin",
            "upgrade-insecure-requests": "1",
        },
        expects="page",
        source=f"{CHROMIUM_156}: <iframe src> in a same-origin page",
    ),
    Client(
        name="Firefox 153 ESR iframe navigation",
        method="GET",
        headers={
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            "priority": "u=4",
            "sec-fetch-dest": "iframe",
            "sec-fetch-mode": "navigate",
            "sec-fetch-site": "same-origin",
            "upgrade-insecure-requests": "1",
        },
        expects="page",
        source=f"{FIREFOX_153}: <iframe src> in a same-origin page",
    ),
    # ---- Crawlers (should see the page and its 503) ------------------------------------------
    Client(
        name="Googlebot",
        method="GET",
        headers={
            "accept": "*/*",
            "accept-encoding": "gzip,deflate",
            "from": "googlebot(at)googlebot.com",
            "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        },
        expects="page",
        source="Google Search Central blog 'First date with the Googlebot: Headers and compression' (2008-03-06), https://developers.google.com/search/blog/2008/03/first-date-with-googlebot-headers-and : the request shown carries 'Accept: */*' (only a User-Agent tells it from curl)",
    ),
    # ---- Browser subresources and scripted requests (json) ------------------------------------
    Client(
        name="Chromium 156 fetch() same-origin",
        method="GET",
        headers={
            "accept": "*/*",
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            **CHROMIUM_156_CLIENT_HINTS,
            "sec-fetch-dest": "empty",
            "sec-fetch-mode": "cors",
            "sec-fetch-site": "same-origin",
        },
        expects="json",
        source=f"{CHROMIUM_156}: fetch('/path') from a page",
    ),
    Client(
        name="Chromium 156 fetch() cross-site",
        method="GET",
        headers={
            "accept": "*/*",
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            **CHROMIUM_156_CLIENT_HINTS,
            "sec-fetch-dest": "empty",
            "sec-fetch-mode": "cors",
            "sec-fetch-site": "cross-site",
        },
        expects="json",
        source=f"{CHROMIUM_156}: fetch() from a page on another site (also sent Origin and Referer)",
    ),
    Client(
        name="Chromium 156 CORS preflight",
        method="OPTIONS",
        headers={
            "accept": "*/*",
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            "access-control-request-headers": "authorization,content-type",
            "access-control-request-method": "POST",
            "sec-fetch-dest": "empty",
            "sec-fetch-mode": "cors",
            "sec-fetch-site": "cross-site",
        },
        expects="json",
        source=f"{CHROMIUM_156}: preflight of a cross-site fetch(url, {{method: 'POST', headers: {{'Content-Type': 'application/json', Authorization}}}}) (also sent Origin and Referer)",
    ),
    Client(
        name="Chromium 156 XMLHttpRequest",
        method="GET",
        headers={
            "accept": "*/*",
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            **CHROMIUM_156_CLIENT_HINTS,
            "sec-fetch-dest": "empty",
            "sec-fetch-mode": "cors",
            "sec-fetch-site": "same-origin",
        },
        expects="json",
        source=f"{CHROMIUM_156}: new XMLHttpRequest() GET from a page",
    ),
    Client(
        name="Firefox 153 ESR fetch() same-origin",
        method="GET",
        headers={
            "accept": "*/*",
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            "priority": "u=4",
            "sec-fetch-dest": "empty",
            "sec-fetch-mode": "cors",
            "sec-fetch-site": "same-origin",
        },
        expects="json",
        source=f"{FIREFOX_153}: fetch('/path') from a page",
    ),
    Client(
        name="Firefox 153 ESR XMLHttpRequest",
        method="GET",
        headers={
            "accept": "*/*",
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            "sec-fetch-dest": "empty",
            "sec-fetch-mode": "cors",
            "sec-fetch-site": "same-origin",
        },
        expects="json",
        source=f"{FIREFOX_153}: new XMLHttpRequest() GET from a page",
    ),
    Client(
        name="Internet Explorer 8 XMLHttpRequest",
        method="GET",
        headers={"accept": "*/*", "accept-language": EN_US},
        expects="json",
        source=f"{HTMLUNIT_ACCEPT}: acceptHeaderXMLHttpRequest @Alerts IE = 'Accept: */*'",
    ),
    Client(
        name="jQuery $.getJSON in Chromium 156",
        method="GET",
        headers={
            "accept": "application/json, text/javascript, */*; q=0.01",
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            **CHROMIUM_156_CLIENT_HINTS,
            "sec-fetch-dest": "empty",
            "sec-fetch-mode": "cors",
            "sec-fetch-site": "same-origin",
            "x-requested-with": "XMLHttpRequest",
        },
        expects="json",
        source=f"jquery/jquery src/ajax.js: ajaxSettings.accepts.json = 'application/json, text/javascript', sent as accepts[dataType] + ', */*; q=0.01'; src/ajax/xhr.js sets X-Requested-With for same-origin requests; jQuery 4.0.0 (npm) in {CHROMIUM_156}",
    ),
    Client(
        name="jQuery $.ajax without dataType in Chromium 156",
        method="GET",
        headers={
            "accept": "*/*",
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            **CHROMIUM_156_CLIENT_HINTS,
            "sec-fetch-dest": "empty",
            "sec-fetch-mode": "cors",
            "sec-fetch-site": "same-origin",
            "x-requested-with": "XMLHttpRequest",
        },
        expects="json",
        source=f"jquery/jquery src/ajax.js: without a dataType the Accept is accepts['*'] = '*/*' (not the JSON value); jQuery 4.0.0 (npm) $.ajax({{url}}) and $.get(url) in {CHROMIUM_156}",
    ),
    Client(
        name="Chromium 156 <img> subresource",
        method="GET",
        headers={
            "accept": "image/jxl,image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            **CHROMIUM_156_CLIENT_HINTS,
            "sec-fetch-dest": "image",
            "sec-fetch-mode": "no-cors",
            "sec-fetch-site": "same-origin",
        },
        expects="json",
        source=f"{CHROMIUM_156}: <img src> in a page (favicon.ico sent the same)",
    ),
    Client(
        name="Firefox 153 ESR <img> subresource",
        method="GET",
        headers={
            "accept": "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": EN_US,
            "priority": "u=4, i",
            "sec-fetch-dest": "image",
            "sec-fetch-mode": "no-cors",
            "sec-fetch-site": "same-origin",
        },
        expects="json",
        source=f"{FIREFOX_153}: <img src> in a page; Accept matches {MDN_ACCEPT} images row 'Firefox 128 and later'",
    ),
    Client(
        name="Safari (Big Sur+) <img> subresource",
        method="GET",
        headers={
            "accept": "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5",
            "accept-language": EN_US,
        },
        expects="json",
        source=f"Accept: {MDN_ACCEPT} images row 'Safari (since Mac OS Big Sur)'",
    ),
    Client(
        name="Internet Explorer 11 <img> subresource",
        method="GET",
        headers={"accept": "image/png, image/svg+xml, image/*;q=0.8, */*;q=0.5", "accept-language": EN_US},
        expects="json",
        source=f"{HTMLUNIT_ACCEPT}: acceptHeaderImage @Alerts IE11",
    ),
    # ---- Command-line clients (json) -----------------------------------------------------------
    Client(
        name="curl",
        method="GET",
        headers={"accept": "*/*"},
        expects="json",
        source="curl/curl lib/http.c Curl_http(): p_accept = Curl_checkheaders(data, STRCONST(\"Accept\")) ? NULL : \"Accept: */*\\r\\n\"; curl 7.88.1 (Debian), captured",
    ),
    Client(
        name="GNU Wget",
        method="GET",
        headers={"accept": "*/*", "accept-encoding": "identity"},
        expects="json",
        source="GNU Wget src/http.c gethttp(): request_set_header (req, \"Accept\", \"*/*\", rel_none); request_set_header (req, \"Accept-Encoding\", \"identity\", rel_none); Wget 1.21.3 (Debian), captured",
    ),
    Client(
        name="HTTPie without request data",
        method="GET",
        headers={"accept": "*/*", "accept-encoding": "gzip, deflate"},
        expects="json",
        source="httpie/cli httpie/client.py make_default_headers(): Accept = JSON_ACCEPT only when --json or data items without --form are given, else requests' default '*/*'; HTTPie 3.2.4 (PyPI) 'http GET url', captured",
    ),
    Client(
        name="HTTPie with JSON data items",
        method="POST",
        headers={
            "accept": "application/json, */*;q=0.5",
            "accept-encoding": "gzip, deflate",
            "content-type": "application/json",
        },
        expects="json",
        source="httpie/cli httpie/client.py: JSON_ACCEPT = f'{JSON_CONTENT_TYPE}, */*;q=0.5' set by make_default_headers() when args.json or data items without --form; HTTPie 3.2.4 'http POST url a=b' (and 'http --json GET url'), captured",
    ),
    Client(
        name="HTTPie --form",
        method="POST",
        headers={
            "accept": "*/*",
            "accept-encoding": "gzip, deflate",
            "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        },
        expects="json",
        source="httpie/cli httpie/client.py make_default_headers(): no JSON_ACCEPT with --form; HTTPie 3.2.4 'http --form POST url a=b', captured",
    ),
    Client(
        name="PowerShell 7 Invoke-RestMethod",
        method="GET",
        headers={"accept-encoding": "gzip, deflate, br"},
        expects="json",
        source="https://github.com/MicrosoftDocs/PowerShell-Docs/issues/12682 (PowerShell 7.5: Invoke-RestMethod sends only Accept-Encoding, Host, User-Agent, unlike curl's 'Accept: */*'); Accept-Encoding default 'gzip, deflate, br' from https://github.com/PowerShell/PowerShell/issues/21205 (7.4.1); not run here",
    ),
    Client(
        name="PowerShell 7 Invoke-WebRequest",
        method="GET",
        headers={"accept-encoding": "gzip, deflate, br"},
        expects="json",
        source="https://github.com/PowerShell/PowerShell/issues/21205 (Invoke-WebRequest 7.4.1 default Accept-Encoding 'gzip, deflate, br'); no default Accept: same WebRequestPSCmdlet base as Invoke-RestMethod, https://github.com/MicrosoftDocs/PowerShell-Docs/issues/12682; not run here",
    ),
    Client(
        name="Postman (postman-runtime)",
        method="GET",
        headers={
            "accept": "*/*",
            "accept-encoding": "gzip, deflate, br",
            "cache-control": "no-cache",
            "postman-token": "f6f6a739-6519-4322-a27f-c501f1a9498a",
        },
        expects="json",
        source="postmanlabs/postman-runtime lib/requester/core.js addSystemHeaders(): User-Agent PostmanRuntime/<v>, Accept '*/*', Cache-Control 'no-cache', Postman-Token uuid.v4(), Accept-Encoding 'gzip, deflate, br'; postman-runtime 7.39.1 via newman 6.2.2 (npm), captured (Postman-Token is random per request)",
    ),
    # ---- Libraries (json) ------------------------------------------------------------------------
    Client(
        name="Python requests",
        method="GET",
        headers={"accept": "*/*", "accept-encoding": "gzip, deflate"},
        expects="json",
        source="psf/requests src/requests/utils.py default_headers(): 'Accept': '*/*'; requests 2.34.2, captured",
    ),
    Client(
        name="Python httpx",
        method="GET",
        headers={"accept": "*/*", "accept-encoding": "gzip, deflate"},
        expects="json",
        source="encode/httpx httpx/_client.py BaseClient.headers setter: Headers({b'Accept': b'*/*', ...}); httpx 0.28.1, captured",
    ),
    Client(
        name="Python urllib.request",
        method="GET",
        headers={"accept-encoding": "identity"},
        expects="json",
        source="python/cpython Lib/urllib/request.py OpenerDirector.__init__: addheaders = [('User-agent', client_version)], no Accept (the '*/*' in that file belongs to the legacy URLopener); Python 3.11.7 urlopen(), captured",
    ),
    Client(
        name="Python aiohttp",
        method="GET",
        headers={"accept": "*/*", "accept-encoding": "gzip, deflate"},
        expects="json",
        source="aio-libs/aiohttp aiohttp/client_reqrep.py ClientRequest.DEFAULT_HEADERS = {hdrs.ACCEPT: '*/*', hdrs.ACCEPT_ENCODING: _gen_default_accept_encoding()}; aiohttp 3.14.5, captured",
    ),
    Client(
        name="Go net/http",
        method="GET",
        headers={"accept-encoding": "gzip"},
        expects="json",
        source="golang/go src/net/http/request.go Request.write (Host and User-Agent 'Go-http-client/1.1' only) and transport.go (adds 'Accept-Encoding: gzip'); go1.19.8 (Debian golang-go) http.Get, captured",
    ),
    Client(
        name="Java HttpURLConnection (JDK 8-18; 11u/17u before the 2024 backport)",
        method="GET",
        headers={"accept": "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"},
        expects="json",
        source="openjdk/jdk17u-dev src/java.base/share/classes/sun/net/www/protocol/http/HttpURLConnection.java: static final String acceptString = \"text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2\", applied in writeRequests() by requests.setIfNotSet(\"Accept\", acceptString)",
    ),
    Client(
        name="Java HttpURLConnection (JDK 17.0.15)",
        method="GET",
        headers={"accept": "text/html, image/gif, image/jpeg, */*; q=0.2"},
        expects="json",
        source="JDK-8163921 'HttpURLConnection default Accept header is malformed according to HTTP/1.1 RFC' (https://github.com/openjdk/jdk/pull/7181; 17u backport https://github.com/openjdk/jdk17u-dev/pull/2343 for 17.0.12, 11u https://github.com/openjdk/jdk11u-dev/pull/2645); OpenJDK 17.0.15 (Debian), captured",
    ),
    Client(
        name="Java HttpURLConnection (JDK 25)",
        method="GET",
        headers={"accept": "*/*"},
        expects="json",
        source="Temurin OpenJDK 25.0.3, captured; 'The default HttpURLConnection Accept header is now \"*/*\"' (https://github.com/bazelbuild/bazel/pull/26905)",
    ),
    Client(
        name="Java java.net.http.HttpClient",
        method="GET",
        headers={},
        expects="json",
        source="OpenJDK 17.0.15 HttpClient.newHttpClient().send(GET): sent only Connection/Upgrade: h2c/HTTP2-Settings/User-Agent, no Accept, captured",
    ),
    Client(
        name="Jersey 1 client (on JDK 17.0.15)",
        method="GET",
        headers={"accept": "text/html, image/gif, image/jpeg, */*; q=0.2"},
        expects="json",
        source="Jersey 1.19.3 (Debian libjersey1-client-java) Client.create().resource(url).get(String.class) over the default HttpURLConnection connector: the JDK's default Accept passes through, captured",
    ),
    Client(
        name="OkHttp 3",
        method="GET",
        headers={"accept-encoding": "gzip"},
        expects="json",
        source="square/okhttp okhttp/src/main/java/okhttp3/internal/http/BridgeInterceptor.java intercept(): adds Host, Connection, Accept-Encoding gzip, Cookie, User-Agent, never Accept; okhttp 3.13.1 (Debian libokhttp-java), captured",
    ),
    Client(
        name="Android HttpURLConnection (OkHttp-based)",
        method="GET",
        headers={"accept-encoding": "gzip"},
        expects="json",
        source="CyanogenMod/android_external_okhttp okhttp/src/main/java/com/squareup/okhttp/internal/http/HttpEngine.java prepareRawRequestHeaders(): 'This client doesn't specify a default Accept header'; adds User-Agent (http.agent), Host, Connection, Accept-Encoding gzip",
    ),
    Client(
        name="Apache HttpClient 4.5",
        method="GET",
        headers={"accept-encoding": "gzip,deflate"},
        expects="json",
        source="Apache HttpClient 4.5.14 (Debian libhttpclient-java) HttpClients.createDefault(): no Accept, captured",
    ),
    Client(
        name="Apache HttpClient 5.2",
        method="GET",
        headers={"accept-encoding": "gzip, x-gzip, deflate"},
        expects="json",
        source="Apache HttpClient 5.2.1 (Debian libhttpclient5-java) HttpClients.createDefault(): no Accept, captured",
    ),
    Client(
        name="Spring RestTemplate getForObject(url, String.class)",
        method="GET",
        headers={"accept": "text/plain, application/json, application/*+json, */*"},
        expects="json",
        source="spring-projects/spring-framework spring-web RestTemplate.AcceptHeaderRequestCallback: Accept = media types of the message converters that can read the response type; Spring 4.3.30 (Debian libspring-web-java) with Jackson 2.14 on the classpath, captured",
    ),
    Client(
        name="Spring RestTemplate getForObject(url, Map.class)",
        method="GET",
        headers={"accept": "application/json, application/*+json"},
        expects="json",
        source="spring-projects/spring-framework spring-web RestTemplate.AcceptHeaderRequestCallback (MappingJackson2HttpMessageConverter media types); Spring 4.3.30 with Jackson 2.14, captured",
    ),
    Client(
        name=".NET HttpClient (SocketsHttpHandler)",
        method="GET",
        headers={},
        expects="json",
        source="https://github.com/dotnet/corefx/issues/31155 ('When we use SocketsHttpHandler Accept header isn't set implicitly'); https://github.com/jellyfin/jellyfin/pull/4510 ('By default there is no Accept header'); not run here",
    ),
    Client(
        name="Node.js fetch (undici)",
        method="GET",
        headers={
            "accept": "*/*",
            "accept-encoding": "gzip, deflate",
            "accept-language": "*",
            "sec-fetch-mode": "cors",
        },
        expects="json",
        source="nodejs/undici lib/web/fetch/index.js fetching(): appends accept '*/*' and accept-language '*' when absent; appendFetchMetadata() sets sec-fetch-mode to the request mode ('cors'); Node.js v20.20.2 global fetch, captured",
    ),
    Client(
        name="node-fetch 2",
        method="GET",
        headers={"accept": "*/*", "accept-encoding": "gzip,deflate"},
        expects="json",
        source="node-fetch/node-fetch (v2) lib/index.js getNodeRequestOptions(): if (!headers.has('Accept')) headers.set('Accept', '*/*'); node-fetch 2.7.0 (npm), captured",
    ),
    Client(
        name="Node.js http.get",
        method="GET",
        headers={},
        expects="json",
        source="Node.js v20.20.2 require('http').get(url): sent only Host and Connection, captured",
    ),
    Client(
        name="axios",
        method="GET",
        headers={"accept": "application/json, text/plain, */*", "accept-encoding": "gzip, compress, deflate, br"},
        expects="json",
        source="axios/axios lib/defaults/index.js: defaults.headers.common.Accept = 'application/json, text/plain, */*'; axios 1.21.1 (npm) in Node.js, captured",
    ),
    Client(
        name="Ruby Net::HTTP",
        method="GET",
        headers={"accept": "*/*", "accept-encoding": "gzip;q=1.0,deflate;q=0.6,identity;q=0.3"},
        expects="json",
        source="ruby/net-http lib/net/http/generic_request.rb Net::HTTPGenericRequest#initialize: self['Accept'] ||= '*/*'; Ruby 3.1.2 (Debian) Net::HTTP.get, captured",
    ),
    Client(
        name="PHP Guzzle 7",
        method="GET",
        headers={},
        expects="json",
        source="guzzle/guzzle src/Handler/CurlFactory.php applyHeaders(): 'Remove the Accept header if one was not set' (CURLOPT_HTTPHEADER 'Accept:' suppresses curl's */*); Guzzle 7.4.5 (Debian php-guzzlehttp-guzzle, stream handler) sent no Accept, captured",
    ),
    Client(
        name="Swift URLSession (iOS 8.3, CFNetwork/711.3.12)",
        method="GET",
        headers={"accept": "*/*", "accept-encoding": "gzip, deflate", "accept-language": "en-us"},
        expects="json",
        source="rdar://19935664 mirrored at https://github.com/lionheart/openradar-mirror/issues/1890: request captured in Charles Proxy from NSURLSession on iOS 8.3 shows 'Accept */*' (rendered '_/_' by Markdown), 'Accept-Language en-us', 'Accept-Encoding gzip, deflate'; not run here",
    ),
    # ---- Explicit edge cases -----------------------------------------------------------------------
    Client(
        name="JSON-preferring client that tolerates HTML",
        method="GET",
        headers={"accept": "application/json, text/html;q=0.1"},
        expects="json",
        source="edge case set by the project brief, not a product: names text/html but prefers application/json (RFC 9110 section 12.5.1 Accept, https://www.rfc-editor.org/rfc/rfc9110#field.accept)",
    ),
    Client(
        name="Navigation-looking Accept that refuses HTML",
        method="GET",
        headers={"accept": "text/html;q=0,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
        expects="json",
        source="edge case set by the project brief, not a product: RFC 9110 section 12.4.2 'a value of 0 means \"not acceptable\"' (https://www.rfc-editor.org/rfc/rfc9110#quality.values)",
    ),
)
