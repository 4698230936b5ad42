"""What a page view costs the bucket, and how soon a new page reaches readers.

A model of one CloudFront edge cache, driven by what the program declares: the function's
rewritten request (run in Node and njs), the uploaded objects' Cache-Control, and the cache
policy the behavior names. Its rules, from the CloudFront Developer Guide:
- "Use managed cache policies": Managed-CachingOptimized (658327ea-...) has MinTTL 1 s,
  DefaultTTL 86,400 s, MaxTTL 31,536,000 s; no query string, cookie or header is in the cache
  key except the normalized Accept-Encoding.
- "Manage how long content stays in the cache (expiration)": with a minimum TTL above 0 and a
  max-age (s-maxage first) from the origin, CloudFront caches for that value held between the
  minimum and maximum TTL; without one, for the default TTL (at least the minimum); with
  no-store, no-cache or private, for the minimum TTL.
- "Serve compressed files": CloudFront keeps Brotli, Gzip and uncompressed copies apart, and
  uses Brotli when the viewer takes both; Chrome and Firefox offer Brotli only over HTTPS.
- "Request and response behavior for Amazon S3 origins": a key the bucket lacks is no object
  to cache (S3 answers 403 to CloudFront's signed request without s3:ListBucket).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from client_headers import CLIENTS
from edge_runtime import request_event, run
from mock_aws import run_program
from test_clients import expected

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
FUNCTION = "aws:cloudfront/function:Function"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"


@dataclass(frozen=True)
class CachePolicy:
    min_ttl: int
    default_ttl: int
    max_ttl: int


MANAGED_CACHE_POLICIES = {
    "658327ea-f89d-4fab-a63d-7e88639e58f6": CachePolicy(min_ttl=1, default_ttl=86_400, max_ttl=31_536_000),
}


def edge_ttl(cache_control: str | None, policy: CachePolicy) -> int:
    directives = {}
    for part in (cache_control or "").split(","):
        name, _, value = part.strip().lower().partition("=")
        directives[name] = value
    assert policy.min_ttl > 0, "this model covers a minimum TTL above 0 only"
    if {"no-store", "no-cache", "private"} & directives.keys():
        return policy.min_ttl
    age = directives.get("s-maxage") or directives.get("max-age")
    if age is None:
        return max(policy.min_ttl, policy.default_ttl)
    return min(max(int(age), policy.min_ttl), policy.max_ttl)


def compression(headers: dict[str, dict[str, str]]) -> str:
    offered = {token.split(";")[0].strip() for token in headers.get("accept-encoding", {"value": ""})["value"].split(",")}
    return "br" if "br" in offered else "gzip" if "gzip" in offered else "identity"


class EdgeCache:
    """One edge location's cache in front of the bucket; counts the requests that reach S3."""

    def __init__(self, objects: dict[str, str | None], policy: CachePolicy):
        self.objects = objects  # key -> Cache-Control
        self.policy = policy
        self.expiry: dict[tuple[str, str], float] = {}
        self.origin_requests = 0

    def view(self, forwarded: dict, at: float) -> None:
        assert "statusCode" not in forwarded, "the function answered instead of the cache"
        key = forwarded["uri"].lstrip("/")
        cache_key = (key, compression(forwarded["headers"]))
        if at < self.expiry.get(cache_key, -math.inf):
            return
        self.origin_requests += 1
        assert key in self.objects, f"S3 holds no {key!r}: every view would reach it"
        self.expiry[cache_key] = at + edge_ttl(self.objects[key], self.policy)


def declared(stack: str = "production"):
    run = run_program(stack)
    objects = {o["inputs"]["key"]: o["inputs"].get("cacheControl") for o in run.of_type(OBJECT)}
    policy = MANAGED_CACHE_POLICIES[run.one(DISTRIBUTION)["inputs"]["defaultCacheBehavior"]["cachePolicyId"]]
    return run.one(FUNCTION)["inputs"]["code"], objects, policy


BROWSERS = [client for client in CLIENTS if expected(client) == "page"]
PATHS = ["/", "/v1/users/7", "/status?utm_source=mail", "/docs/", "/favicon.ico"]


def browser_views(code: str, count: int) -> list[dict]:
    """count page views over HTTPS by the corpus's browsers at varied paths, as the function forwards them."""
    events = []
    for n in range(count):
        client = BROWSERS[n % len(BROWSERS)]
        headers = {"accept-encoding": "gzip, deflate, br, zstd", **client.headers}
        path, _, query = PATHS[n % len(PATHS)].partition("?")
        events.append(request_event("GET", path, headers, querystring=dict([query.split("=")]) if query else {}))
    forwarded = run(code, events)
    assert len({(f["uri"], compression(f["headers"])) for f in forwarded if "statusCode" not in f}) == 1
    return forwarded


def test_page_views_at_one_edge_cost_one_s3_request_per_max_age():
    code, objects, policy = declared()
    ttl = edge_ttl(objects["index.html"], policy)
    views = browser_views(code, 600)
    for window in (1, 3):
        cache = EdgeCache(objects, policy)
        for n, forwarded in enumerate(views):
            cache.view(forwarded, at=n * window * ttl / len(views))
        assert cache.origin_requests == window, f"{len(views)} views over {window * ttl} s"


def test_each_compression_a_viewer_takes_is_one_cached_copy():
    code, objects, policy = declared()
    chrome = next(client for client in BROWSERS if "sec-fetch-mode" in client.headers)
    encodings = ["gzip, deflate, br, zstd", "gzip, deflate", ""]  # HTTPS, plain HTTP, none
    events = [request_event("GET", "/", {**chrome.headers, "accept-encoding": e}) for e in encodings for _ in range(50)]
    cache = EdgeCache(objects, policy)
    for forwarded in run(code, events):
        cache.view(forwarded, at=0)
    assert cache.origin_requests == 3


# An edge location and the regional edge cache behind it each keep a copy up to its TTL (CloudFront API
# Reference, OriginShield: without it requests reach the origin "from multiple edge locations or regional
# edge caches"); whether an edge counts the age its regional cache already spent is not documented.
CACHE_LAYERS = 2


def test_the_readme_states_how_soon_a_new_page_reaches_readers():
    _, objects, policy = declared()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"reaches\s+readers\s+within\s+(\d+)\s+s\s+after\s+`pulumi\s+up`\s+finishes", readme)
    assert stated, "README must state the bound"
    assert CACHE_LAYERS * edge_ttl(objects["index.html"], policy) == int(stated.group(1))


def test_edge_ttl_follows_the_documented_table():
    policy = MANAGED_CACHE_POLICIES["658327ea-f89d-4fab-a63d-7e88639e58f6"]
    assert edge_ttl("public, max-age=60", policy) == 60
    assert edge_ttl("max-age=0", policy) == 1
    assert edge_ttl("max-age=60, s-maxage=300", policy) == 300
    assert edge_ttl("max-age=999999999", policy) == 31_536_000
    assert edge_ttl(None, policy) == 86_400
    assert edge_ttl("no-store", policy) == 1


# --- with a live origin: one behavior, two origins, a custom cache policy ----------------------------
#
# The rules it adds, from the CloudFront API Reference and Developer Guide:
# - CachePolicyConfig: "The headers, cookies, and query strings that are included in the cache key are
#   also included in requests that CloudFront sends to the origin"; and "If your minimum TTL is greater
#   than 0, CloudFront will cache content for at least the duration specified in the cache policy's
#   minimum TTL, even if the Cache-Control: no-cache, no-store, or private directives are present": with
#   a minimum of 0 they are obeyed, and nothing is kept.
# - "Manage how long content stays in the cache (expiration)": without max-age or s-maxage from the
#   origin, the default TTL applies (0 here: the answer is not kept).
# - "Use managed origin request policies": AllViewerExceptHostHeader forwards every viewer header but
#   Host, so the origin gets its own name as Host (the bucket's, as origin access control needs);
#   the function's selectRequestOriginById('live', {hostHeader}) names the Host the live API gets.

from maintenance.edge import LIVE_PAGE_URI, PAGE_URI  # noqa: E402
from maintenance.site import ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID  # noqa: E402
from edge_runtime import route  # noqa: E402
from test_live_origin import CACHE_POLICY, live_program  # noqa: E402


@dataclass(frozen=True)
class KeyedPolicy:
    ttl: CachePolicy
    query_strings: bool  # all of them in the key
    cookies: bool  # all of them in the key
    headers: tuple[str, ...]  # lower-case names in the key


def edge_ttl_from(cache_control: str | None, policy: CachePolicy) -> int:
    """edge_ttl, for any minimum TTL: with 0, no-store, no-cache and private keep nothing."""
    directives = {part.strip().lower().partition("=")[0] for part in (cache_control or "").split(",")}
    if policy.min_ttl == 0 and {"no-store", "no-cache", "private"} & directives:
        return 0
    if policy.min_ttl == 0:
        ages = dict(part.strip().lower().partition("=")[::2] for part in (cache_control or "").split(",") if "=" in part)
        age = ages.get("s-maxage") or ages.get("max-age")
        return policy.default_ttl if age is None else min(int(age), policy.max_ttl)
    return edge_ttl(cache_control, policy)


def declared_live(maintenance: str = "true"):
    run = live_program(maintenance=maintenance, bypassPaths="/webhooks/").run()
    inputs = run.one(CACHE_POLICY)["inputs"]
    key = inputs["parametersInCacheKeyAndForwardedToOrigin"]
    policy = KeyedPolicy(
        CachePolicy(inputs["minTtl"], inputs["defaultTtl"], inputs["maxTtl"]),
        query_strings=key["queryStringsConfig"]["queryStringBehavior"] == "all",
        cookies=key["cookiesConfig"]["cookieBehavior"] == "all",
        headers=tuple(name.lower() for name in key["headersConfig"]["headers"]["items"]),
    )
    behavior = run.one(DISTRIBUTION)["inputs"]["defaultCacheBehavior"]
    origins = {origin["originId"]: origin["domainName"] for origin in run.one(DISTRIBUTION)["inputs"]["origins"]}
    objects = {o["inputs"]["key"]: o["inputs"].get("cacheControl") for o in run.of_type(OBJECT)}
    return run.one(FUNCTION)["inputs"]["code"], objects, policy, behavior, origins


class KeyedEdgeCache:
    """One edge cache before two origins: the bucket (the behavior's target) and the one the function selects."""

    def __init__(self, policy: KeyedPolicy, default_origin: str, answers):
        self.policy = policy
        self.default_origin = default_origin
        self.answers = answers  # (origin id, forwarded request) -> the origin's Cache-Control
        self.expiry: dict[tuple, float] = {}
        self.origin_requests: dict[str, int] = {}
        self.filled_by: dict[tuple, str] = {}  # which origin's answer each cache entry holds
        self.collisions: list[tuple] = []  # entries one origin filled that a request to the other found

    def key(self, forwarded: dict) -> tuple:
        # No origin in it: "the distribution's domain name and the URL path", and what the policy adds.
        headers = forwarded["headers"]
        return (
            forwarded["uri"],
            tuple(sorted((k, v["value"]) for k, v in forwarded["querystring"].items())) if self.policy.query_strings else (),
            tuple(sorted((k, v["value"]) for k, v in forwarded["cookies"].items())) if self.policy.cookies else (),
            tuple(headers.get(name, {"value": None})["value"] for name in self.policy.headers),
            compression(headers),
        )

    def view(self, forwarded: dict, selected: dict | None, at: float) -> str:
        assert "statusCode" not in forwarded, "the function answered instead of the cache"
        origin = selected["id"] if selected else self.default_origin
        cache_key = self.key(forwarded)
        if self.filled_by.get(cache_key, origin) != origin:
            self.collisions.append(cache_key)
        if at < self.expiry.get(cache_key, -math.inf):
            return origin
        self.filled_by[cache_key] = origin
        self.origin_requests[origin] = self.origin_requests.get(origin, 0) + 1
        self.expiry[cache_key] = at + edge_ttl_from(self.answers(origin, forwarded), self.policy.ttl)
        return origin


def test_edge_ttl_with_a_minimum_of_0_obeys_the_origin():
    policy = CachePolicy(0, 0, 3600)
    assert edge_ttl_from(None, policy) == 0
    assert edge_ttl_from("max-age=30", policy) == 30
    assert edge_ttl_from("private, max-age=30", policy) == 0
    assert edge_ttl_from("no-store", policy) == 0
    assert edge_ttl_from("public, s-maxage=99999", policy) == 3600
    assert edge_ttl_from("public, max-age=60", policy) == 60


def test_with_a_live_origin_page_views_with_cookies_and_authorization_still_cost_one_s3_request_per_max_age():
    code, objects, policy, behavior, _ = declared_live()
    assert policy.cookies and "authorization" in policy.headers and policy.query_strings
    page_key = LIVE_PAGE_URI.lstrip("/")
    ttl = edge_ttl_from(objects[page_key], policy.ttl)
    assert ttl == 60
    events = []
    for n in range(300):
        client = BROWSERS[n % len(BROWSERS)]
        headers = {"accept-encoding": "gzip, deflate, br, zstd", **client.headers,
                   "cookie": f"session={n}; theme=dark", **({"authorization": f"Bearer user-{n}"} if n % 3 == 0 else {})}
        events.append(request_event("GET", PATHS[n % len(PATHS)].split("?")[0], headers, querystring={"n": str(n)}))
    results, selected = route(code, events, store={"mode": "maintenance"})
    for window in (1, 3):
        cache = KeyedEdgeCache(policy, behavior["targetOriginId"], lambda origin, forwarded: objects[page_key])
        for n, (forwarded, origin) in enumerate(zip(results, selected)):
            assert cache.view(forwarded, origin, at=n * window * ttl / len(results)) == "maintenance-bucket"
        assert cache.origin_requests == {"maintenance-bucket": window}, f"{len(results)} views over {window * ttl} s"


def test_with_a_live_origin_api_answers_are_kept_only_as_the_api_says_and_never_shared_across_authorization():
    code, _, policy, behavior, _ = declared_live(maintenance="false")
    calls = [("/v1/users", "Bearer alice", None), ("/v1/users", "Bearer alice", None),  # no Cache-Control
             ("/v1/plans", "Bearer alice", "max-age=30"), ("/v1/plans", "Bearer alice", "max-age=30"),
             ("/v1/plans", "Bearer bob", "max-age=30"),  # another Authorization: another object
             ("/v1/me", "Bearer alice", "private, max-age=30"), ("/v1/me", "Bearer alice", "private, max-age=30")]
    events = [request_event("GET", uri, {"accept": "application/json", "authorization": auth}, querystring={})
              for uri, auth, _ in calls]
    results, selected = route(code, events, store={"mode": "pass-through"})
    cache_control = {(uri, auth): value for uri, auth, value in calls}
    cache = KeyedEdgeCache(policy, behavior["targetOriginId"],
                           lambda origin, forwarded: cache_control[(forwarded["uri"], forwarded["headers"]["authorization"]["value"])])
    for n, (forwarded, origin) in enumerate(zip(results, selected)):
        assert cache.view(forwarded, origin, at=n) == "live"
    # /v1/users twice, /v1/plans once for alice and once for bob, /v1/me twice: 6 of 7 reach the API.
    assert cache.origin_requests == {"live": 6}


def test_with_a_live_origin_each_origin_gets_its_own_host():
    code, _, _, behavior, origins = declared_live()
    assert behavior["originRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID
    events = [request_event("GET", "/", {**BROWSERS[0].headers}), request_event("POST", "/webhooks/stripe", {"accept": "*/*"})]
    results, selected = route(code, events, store={"mode": "maintenance"})
    # To the bucket: no origin selected, and AllViewerExceptHostHeader gives S3 its own name as Host.
    assert selected[0] is None and origins[behavior["targetOriginId"]].endswith(".amazonaws.com")
    # To the live API: the API's own name, which its certificate covers, not the load balancer's DNS name.
    assert selected[1] == {"id": "live", "params": {"hostHeader": "api.integration.theboss.io"}}
    assert origins["live"].endswith(".elb.amazonaws.com")


def test_with_a_live_origin_the_page_s_cache_entry_never_holds_an_api_answer_nor_the_reverse():
    """Outside a window an API client may ask for any path, the page's own included; the entry the page
    fills must hold the page only, or page views after `on` could get the API's answer (and the reverse)."""
    code, objects, policy, behavior, _ = declared_live(maintenance="false")
    api = {"accept": "application/json", "accept-encoding": "gzip, deflate, br"}
    browser = {**BROWSERS[0].headers, "accept-encoding": "gzip, deflate, br"}
    passed = [request_event("GET", uri, api, querystring={}) for uri in (LIVE_PAGE_URI, PAGE_URI, "/", "/v1/users")]
    results, selected = route(code, passed, store={"mode": "pass-through"})
    navigations = [request_event("GET", uri, browser, querystring={}) for uri in ("/", PAGE_URI, "/v1/users")]
    pages, page_selected = route(code, navigations, store={"mode": "maintenance"})
    cache = KeyedEdgeCache(policy, behavior["targetOriginId"], lambda origin, forwarded: "public, max-age=60")
    for n, (forwarded, origin) in enumerate(zip(results + pages, selected + page_selected)):
        if "statusCode" not in forwarded:  # the function's own answers never reach the cache
            cache.view(forwarded, origin, at=n)
    # The page's own key is never passed, even in pass-through: an API client gets the 503 there.
    assert (selected[0], results[0]["statusCode"]) == (None, 503)
    assert selected[1:] == [{"id": "live", "params": {"hostHeader": "api.integration.theboss.io"}}] * 3
    assert cache.collisions == []
