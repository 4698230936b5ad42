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
