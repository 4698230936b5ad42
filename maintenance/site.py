"""The maintenance site: a private bucket holding the page, and the distribution serving it."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws

from .edge import ALLOWED_METHODS, EVENT_TYPES, LIVE_ORIGIN_ID, PAGE_METADATA, live_routing, page_uri, render_function_code
from .page import render_page
from .settings import Settings

# AWS's managed cache policy "Managed-CachingOptimized" (min TTL 1 s, max 365 days; no query
# string, header or cookie in the cache key but the normalized Accept-Encoding): CloudFront
# caches the bucket's 200 for the object's max-age ("Use managed cache policies";
# "Manage how long content stays in the cache (expiration)"), so a page view costs no S3
# request while the page is cached (tests/test_cache.py models it, and the bound a change takes).
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
OBJECT_CACHE_CONTROL = "public, max-age=60"
PAGE_CONTENT_TYPE = "text/html; charset=utf-8"
# The page's template ships with the program (the project's site/ folder), whichever folder holds the stack file.
PAGE_TEMPLATE = Path(__file__).resolve().parent.parent / "site" / "index.html"
ORIGIN_ID = "maintenance-bucket"
# With a live origin, one behavior serves the page and the API's passed-through answers, so its
# cache policy must key on what tells one API caller's answer from another's, and cache nothing the
# API does not mark cacheable. A custom cache policy (CloudFront Developer Guide, "Understand cache
# policies"): min and default TTL 0, so an answer without Cache-Control is not kept; max
# LIVE_MAX_TTL, the most an API's max-age can ask; all query strings, all cookies and the
# Authorization header in the key, which CloudFront forwards to the origin with it (Authorization
# reaches an origin only through the cache policy: "Control origin requests with a policy"); gzip
# and brotli, so each encoding is one cached object (tests/test_cache.py models each rule).
LIVE_MAX_TTL = 3600
LIVE_CACHE_KEY_HEADERS = ("Authorization",)
# AWS's managed origin request policy "Managed-AllViewerExceptHostHeader": every viewer header but
# Host, every cookie and query string ("Use managed origin request policies"), so the API gets what
# its clients sent, and S3 gets its own Host, which signing the request with OAC needs.
ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
# The load balancer's listener: HTTPS only, TLS 1.2 at least (CloudFront API Reference, CustomOriginConfig;
# "Require HTTPS for communication between CloudFront and your custom origin").
LIVE_ORIGIN_CONFIG = {
    "http_port": 80,
    "https_port": 443,
    "origin_protocol_policy": "https-only",
    "origin_ssl_protocols": ["TLSv1.2"],
}


# Limits on the texts the site declares (tests/test_schema.py checks them with a 253-character domain):
# CloudFront API Reference, FunctionConfig and DistributionConfig: "The comment cannot be longer than
# 128 characters"; the provider pulumi-aws wraps validates an OAC description as 0 to 256 characters
# (terraform-provider-aws, cloudfront/origin_access_control.go, StringLenBetween(0, 256)).
FUNCTION_COMMENT_LIMIT = 128
DISTRIBUTION_COMMENT_LIMIT = 128
# CloudFront API Reference, CreateKeyValueStore and CachePolicyConfig: a comment of at most 128 characters.
STORE_COMMENT_LIMIT = 128
CACHE_POLICY_COMMENT_LIMIT = 128
ACCESS_CONTROL_DESCRIPTION_LIMIT = 256


def page_object(template: Path, settings: Settings) -> tuple[str, str]:
    """The page's bucket key and body: the template rendered from settings.

    The page is the site's only object: its Content-Security-Policy lets it load nothing (it
    carries its own style and script), and the edge function sends every browser to page_uri and
    answers everything else itself, so any other object could never be served.
    """
    return page_uri(settings.live_origin).lstrip("/"), render_page(template.read_text(encoding="utf-8"), settings.message, settings.until, settings.contact)


def fit(text: str, limit: int) -> str:
    """text, cut to limit characters with an ellipsis when longer (a domain may be 253 characters)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def bucket_policy(bucket_arn: str, distribution_arn: str) -> str:
    """Only this distribution may read objects, and no one may reach the bucket without TLS.

    With origin access control set to always sign, "communication between CloudFront and Amazon
    S3 is always through HTTPS" whatever protocol the viewer used ("Restrict access to an Amazon
    S3 origin", Create a new origin access control), so the Deny needs no exception: a plain-HTTP
    page view still reaches the bucket over HTTPS. aws:SecureTransport is in every request.
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowCloudFrontToReadObjects",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "s3:GetObject",
                    "Resource": f"{bucket_arn}/*",
                    "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
                },
                {
                    "Sid": "DenyRequestsWithoutTLS",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
    )


class MaintenanceSite(pulumi.ComponentResource):
    """Bucket, page object, edge function and CloudFront distribution for one stack."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        page_template: Path,
        certificate_arn: str,
        live_target: str,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("api-maintenance:index:MaintenanceSite", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.bucket = aws.s3.Bucket("bucket", bucket=settings.bucket_name, opts=child)
        public_access_block = aws.s3.BucketPublicAccessBlock(
            "bucket-public-access-block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            "bucket-ownership",
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            "bucket-encryption",
            bucket=self.bucket.id,
            rules=[{
                "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"},
                # What S3 reports once it blocks SSE-C by default (S3 User Guide, "Blocking or
                # unblocking SSE-C for a general purpose bucket": from April 2026, for new buckets
                # and existing ones with no SSE-C objects). Left out, some provider versions show a
                # diff on every preview (hashicorp/terraform-provider-aws#47320), and a switch
                # would no longer change one property only.
                "blocked_encryption_types": ["SSE-C"],
            }],
            opts=child,
        )
        key, page = page_object(page_template, settings)
        self.page_key = key
        # BucketObjectv2 sends no ACL (the old BucketObject defaults to `private`), which an
        # owner-enforced bucket requires: S3 User Guide, "Controlling ownership of objects and
        # disabling ACLs for your bucket".
        live = live_routing(settings)
        # With a live origin, the viewer-response function tells the page from the API's answers by
        # this metadata, which S3 returns as x-amz-meta-* headers and only the page object carries.
        page_metadata = {"metadata": PAGE_METADATA} if live else {}
        aws.s3.BucketObjectv2(
            f"page-{key}",
            bucket=self.bucket.id,
            key=key,
            content=page,
            content_type=PAGE_CONTENT_TYPE,
            cache_control=OBJECT_CACHE_CONTROL,
            **page_metadata,
            opts=child,
        )

        access_control = aws.cloudfront.OriginAccessControl(
            "origin-access-control",
            description=fit(f"CloudFront reads the {settings.domain} maintenance page", ACCESS_CONTROL_DESCRIPTION_LIMIT),
            origin_access_control_origin_type="s3",
            # Always signing is what makes CloudFront reach the bucket over HTTPS (bucket_policy).
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        # Without a live origin, none of the resources below it adds is declared and no input changes.
        self.store = (
            aws.cloudfront.KeyValueStore(
                "maintenance-mode",
                comment=fit(f"Whether {settings.domain}'s distribution answers maintenance or passes through", STORE_COMMENT_LIMIT),
                opts=child,
            )
            if live else None
        )
        store_association = {"key_value_store_associations": [self.store.arn]} if self.store else {}
        self.function = aws.cloudfront.Function(
            "maintenance-responses",
            runtime="cloudfront-js-2.0",
            comment=fit(f"Maintenance answers for {settings.domain}", FUNCTION_COMMENT_LIMIT),
            code=render_function_code(settings.message, settings.until, settings.retry_after, settings.response_code, live),
            publish=True,
            **store_association,
            opts=child,
        )
        live_origins, live_policies = [], {}
        if live:
            live_origins = [{"domain_name": live_target, "origin_id": LIVE_ORIGIN_ID, "custom_origin_config": LIVE_ORIGIN_CONFIG}]
            cache_policy = aws.cloudfront.CachePolicy(
                "live-cache-policy",
                comment=fit(f"{settings.domain}: the page once, API answers only when the API says", CACHE_POLICY_COMMENT_LIMIT),
                min_ttl=0,
                default_ttl=0,
                max_ttl=LIVE_MAX_TTL,
                parameters_in_cache_key_and_forwarded_to_origin={
                    "cookies_config": {"cookie_behavior": "all"},
                    "headers_config": {"header_behavior": "whitelist", "headers": {"items": list(LIVE_CACHE_KEY_HEADERS)}},
                    "query_strings_config": {"query_string_behavior": "all"},
                    "enable_accept_encoding_gzip": True,
                    "enable_accept_encoding_brotli": True,
                },
                opts=child,
            )
            live_policies = {"cache_policy_id": cache_policy.id, "origin_request_policy_id": ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID}
        self.distribution = aws.cloudfront.Distribution(
            "distribution",
            enabled=True,
            # Said, not left to the provider: `staging` forces a new distribution, and an unset one
            # can plan the replacement of an imported distribution (pulumi/pulumi-aws#5229, where a
            # maintainer gives this workaround), which would fail on CNAMEAlreadyExists or under protect.
            staging=False,
            comment=fit(f"Maintenance page for {settings.domain}", DISTRIBUTION_COMMENT_LIMIT),
            aliases=[settings.domain],
            origins=[
                {
                    "domain_name": self.bucket.bucket_regional_domain_name,
                    "origin_id": ORIGIN_ID,
                    "origin_access_control_id": access_control.id,
                },
                *live_origins,
            ],
            default_cache_behavior={
                "target_origin_id": ORIGIN_ID,
                # Plain HTTP must get the same answers: redirect-to-https answers HTTP with a 301
                # (CloudFront API, ViewerProtocolPolicy) and no function runs for it ("CloudFront
                # events that can trigger a Lambda@Edge function", viewer request).
                "viewer_protocol_policy": "allow-all",
                "allowed_methods": list(ALLOWED_METHODS),
                "cached_methods": ["GET", "HEAD"],
                "cache_policy_id": CACHING_OPTIMIZED_POLICY_ID,
                "compress": True,
                # One function for both viewer events: one rendered code, one set of constants.
                # The API allows one association per event type (API Reference, FunctionAssociation;
                # "Restrictions on all edge functions") and names no rule against one function in
                # two; the event says which it is in context.eventType ("CloudFront Functions event
                # structure"). No page states outright that CloudFront accepts it: the first
                # `pulumi up` proves it.
                "function_associations": [
                    {"event_type": event_type, "function_arn": self.function.arn} for event_type in EVENT_TYPES
                ],
                **live_policies,
            },
            price_class=settings.price_class,
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate={
                "acm_certificate_arn": certificate_arn,
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": "TLSv1.2_2021",
            },
            is_ipv6_enabled=True,
            http_version="http2and3",
            opts=pulumi.ResourceOptions(parent=self, protect=settings.protect),
        )
        aws.s3.BucketPolicy(
            "bucket-policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, self.distribution.arn).apply(
                lambda arns: bucket_policy(*arns)
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )

        self.domain_name = self.distribution.domain_name
        self.register_outputs(
            {
                "bucket": self.bucket.bucket,
                "distributionId": self.distribution.id,
                "distributionDomain": self.distribution.domain_name,
            }
        )
