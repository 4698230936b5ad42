"""The real __main__.py on Pulumi's mock runtime: resources, lookups, outputs, bad input."""

import json

import pulumi
import pytest
from parliament import analyze_policy_string

from iam_policy import ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, Request, decide
from maintenance.edge import PAGE_URI, render_function_code
from maintenance.settings import DEFAULT_MESSAGE
from mock_aws import ACCOUNT, REGION, STACKS, FakeAccount, MockProgram, balancer_dns_name, hosted_zone_id, run_program

BUCKET = "aws:s3/bucket:Bucket"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
RECORD = "aws:route53/record:Record"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
FUNCTION = "aws:cloudfront/function:Function"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"

LIVE = {"production": "elb-production-boss", "integration": "elb-integration-boss"}
DOMAIN = {"production": "api.theboss.io", "integration": "api.integration.theboss.io"}


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("maintenance", ["true", "false"])
def test_record_points_where_the_flag_says(stack, maintenance):
    run = run_program(stack, maintenance=maintenance)
    record = run.one(RECORD)["inputs"]
    distribution = run.one(DISTRIBUTION)["outputs"]
    live = balancer_dns_name(LIVE[stack])
    expected = distribution["domainName"] if maintenance == "true" else live
    assert record["records"] == [expected]
    assert record["name"] == DOMAIN[stack]
    assert record["type"] == "CNAME"
    assert record["ttl"] == 60
    assert record["allowOverwrite"] is True
    assert run.outputs == {
        "mode": "maintenance" if maintenance == "true" else "live",
        "domain": DOMAIN[stack],
        "target": expected,
        "liveTarget": live,
        "distributionId": run.one(DISTRIBUTION)["id"],
        "distributionDomain": distribution["domainName"],
        "bucket": run.one(BUCKET)["outputs"]["bucket"],
        "checkCommand": f"dig +noall +answer {DOMAIN[stack]} CNAME",
        "switchOperatorPolicyArn": run.resources["switch-operator"]["outputs"]["arn"],
        "messageOperatorPolicyArn": run.resources["message-operator"]["outputs"]["arn"],
        "switchOperatorPolicy": run.resources["switch-operator"]["inputs"]["policy"],
        "messageOperatorPolicy": run.resources["message-operator"]["inputs"]["policy"],
    }


@pytest.mark.parametrize("stack", STACKS)
def test_flipping_the_flag_changes_only_the_record_target(stack):
    on, off = run_program(stack, maintenance="true"), run_program(stack, maintenance="false")
    assert on.resources.keys() == off.resources.keys()
    # The records' value comes from the distribution only in maintenance mode; no option differs.
    assert {name for name in on.options if on.options[name] != off.options[name]} == {"record"}
    assert (on.options["record"]["propertyDependencies"]["records"], off.options["record"]["propertyDependencies"]["records"]) == (["distribution"], [])
    dependencies = ("dependencies", "propertyDependencies")
    assert {k: v for k, v in on.options["record"].items() if k not in dependencies} == {
        k: v for k, v in off.options["record"].items() if k not in dependencies}
    differences = {
        name: sorted(
            key
            for key in on.resources[name]["inputs"].keys() | off.resources[name]["inputs"].keys()
            if on.resources[name]["inputs"].get(key) != off.resources[name]["inputs"].get(key)
        )
        for name in on.resources
    }
    assert {name: keys for name, keys in differences.items() if keys} == {"record": ["records"]}
    assert on.invokes == off.invokes


def test_flag_defaults_to_live_when_unset():
    run = run_program("integration", maintenance=None)
    assert run.outputs["mode"] == "live"
    assert run.one(RECORD)["inputs"]["records"] == [balancer_dns_name("elb-integration-boss")]


def test_bucket_is_private_encrypted_and_owner_enforced():
    run = run_program("production")
    assert run.one(BUCKET)["inputs"]["bucket"] == "maintenance-prod-boss"
    block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["inputs"]
    assert {k: block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")} == dict.fromkeys(
        ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
    )
    ownership = run.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")["inputs"]
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    encryption = run.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")["inputs"]
    # SSE-C blocked, as S3 reports it since it blocks SSE-C by default: no diff on every preview.
    assert encryption["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"},
                                    "blockedEncryptionTypes": ["SSE-C"]}]
    for resource in (block, ownership, encryption):
        assert resource["bucket"] == "maintenance-prod-boss"


def test_integration_bucket_is_auto_named_and_its_given_name_used_everywhere():
    run = run_program("integration")
    assert "bucket" not in run.one(BUCKET)["inputs"]
    named = run.one(BUCKET)["outputs"]["bucket"]
    assert run.outputs["bucket"] == named
    scoped = {r["type"].split(":")[-1]: r["inputs"]["bucket"] for r in run.resources.values()
              if r["type"].startswith("aws:s3/") and r["type"] != BUCKET}
    assert scoped == dict.fromkeys(["BucketPublicAccessBlock", "BucketOwnershipControls",
                                    "BucketServerSideEncryptionConfiguration", "BucketObjectv2", "BucketPolicy"], named)
    assert json.loads(run.one(POLICY)["inputs"]["policy"])["Statement"][0]["Resource"] == f"arn:aws:s3:::{named}/*"
    assert run.one(DISTRIBUTION)["inputs"]["origins"][0]["domainName"] == f"{named}.s3.{REGION}.amazonaws.com"


def test_bucket_policy_waits_for_the_public_access_block():
    # S3 aborts a policy put while the public access block is being put (409 OperationAborted,
    # "A conflicting conditional operation is currently in progress"): pulumi/pulumi-aws#1570.
    run = run_program("production")
    policy = run.options["bucket-policy"]
    assert "bucket-public-access-block" in policy["dependencies"]
    assert policy["propertyDependencies"]["policy"] == ["bucket", "distribution"]


def test_a_stack_in_another_region_still_takes_its_certificate_from_us_east_1():
    account = FakeAccount.with_everything()
    account.balancer_region = "eu-west-1"
    run = run_program("production", account=account, region="eu-west-1")
    certificate_lookup, balancer_lookup = run.invokes[0][1], run.invokes[1][1]
    assert certificate_lookup["region"] == "us-east-1"
    assert balancer_lookup["region"] == "eu-west-1"
    distribution = run.one(DISTRIBUTION)["inputs"]
    assert distribution["viewerCertificate"]["acmCertificateArn"] == account.certificates["api.theboss.io"]
    assert distribution["origins"][0]["domainName"] == "maintenance-prod-boss.s3.eu-west-1.amazonaws.com"
    assert run.outputs["liveTarget"] == balancer_dns_name("elb-production-boss", "eu-west-1")


def test_the_page_is_the_one_object_at_the_key_browsers_are_sent_to():
    run = run_program("production")
    [page] = [o["inputs"] for o in run.of_type(OBJECT)]
    assert "/" + page["key"] == PAGE_URI
    assert page["contentType"] == "text/html; charset=utf-8"
    assert page["cacheControl"] == "public, max-age=60"
    assert page["bucket"] == "maintenance-prod-boss"
    assert '<meta name="api-maintenance" content="on">' in page["content"]
    assert "acl" not in page


OTHER_DISTRIBUTION = f"arn:aws:cloudfront::{ACCOUNT}:distribution/EOTHERDISTRIB1"


def bucket_requests(bucket: str, distribution_arn: str) -> list[tuple[str, Request, str]]:
    """Who asks the bucket for what, as S3 sees it, and what the policy must answer."""
    page = f"arn:aws:s3:::{bucket}/index.html"

    def cloudfront(source_arn, secure, action="s3:GetObject", resource=page):
        # CloudFront signs with origin access control; S3 sees the service principal and the
        # distribution as aws:SourceArn ("Restricting access to an Amazon S3 origin"). Signing
        # always, it asks over HTTPS whatever the viewer used (same page, Create a new origin
        # access control): "this distribution over HTTP" is a request CloudFront never makes.
        context = {"aws:SecureTransport": secure, "aws:SourceArn": source_arn, "aws:SourceAccount": ACCOUNT}
        return Request(action, resource, ("Service", "cloudfront.amazonaws.com"), context)

    def anonymous(secure, action="s3:GetObject", resource=page):
        return Request(action, resource, None, {"aws:SecureTransport": secure})

    return [
        ("this distribution over HTTP", cloudfront(distribution_arn, "false"), EXPLICIT_DENY),
        ("this distribution over HTTPS", cloudfront(distribution_arn, "true"), ALLOW),
        ("another distribution over HTTP", cloudfront(OTHER_DISTRIBUTION, "false"), EXPLICIT_DENY),
        ("another distribution over HTTPS", cloudfront(OTHER_DISTRIBUTION, "true"), IMPLICIT_DENY),
        ("anonymous over HTTP", anonymous("false"), EXPLICIT_DENY),
        ("anonymous over HTTPS", anonymous("true"), IMPLICIT_DENY),
        ("anonymous PutObject over HTTPS", anonymous("true", "s3:PutObject"), IMPLICIT_DENY),
        # The TLS rule covers the bucket itself, not only its objects.
        ("anonymous ListBucket over HTTP", anonymous("false", "s3:ListBucket", f"arn:aws:s3:::{bucket}"), EXPLICIT_DENY),
        ("anonymous GetBucketPolicy over HTTP", anonymous("false", "s3:GetBucketPolicy", f"arn:aws:s3:::{bucket}"),
         EXPLICIT_DENY),
        ("this distribution PutObject", cloudfront(distribution_arn, "true", "s3:PutObject"), IMPLICIT_DENY),
        ("this distribution PutObject over HTTP", cloudfront(distribution_arn, "false", "s3:PutObject"), EXPLICIT_DENY),
        ("this distribution DeleteObject", cloudfront(distribution_arn, "true", "s3:DeleteObject"), IMPLICIT_DENY),
        ("this distribution ListBucket", cloudfront(distribution_arn, "true", "s3:ListBucket", f"arn:aws:s3:::{bucket}"),
         IMPLICIT_DENY),
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_bucket_policy_lets_only_this_distribution_read_and_no_one_without_tls(stack):
    run = run_program(stack)
    policy = json.loads(run.one(POLICY)["inputs"]["policy"])
    bucket = run.one(BUCKET)["outputs"]["bucket"]
    table = bucket_requests(bucket, run.one(DISTRIBUTION)["outputs"]["arn"])
    assert {name: decide(policy, request) for name, request, _ in table} == {name: expected for name, _, expected in table}


def test_bucket_policy_passes_parliament():
    run = run_program("production")
    findings = analyze_policy_string(run.one(POLICY)["inputs"]["policy"], include_community_auditors=True).findings
    assert [(finding.issue, finding.detail) for finding in findings] == []


def test_distribution_settings():
    run = run_program("production")
    distribution = run.one(DISTRIBUTION)["inputs"]
    access_control = run.one("aws:cloudfront/originAccessControl:OriginAccessControl")
    assert access_control["inputs"]["originAccessControlOriginType"] == "s3"
    assert access_control["inputs"]["signingBehavior"] == "always"
    assert access_control["inputs"]["signingProtocol"] == "sigv4"
    [origin] = distribution["origins"]
    assert origin["domainName"] == f"maintenance-prod-boss.s3.{REGION}.amazonaws.com"
    assert origin["originAccessControlId"] == access_control["id"]
    assert distribution["aliases"] == ["api.theboss.io"]
    assert distribution["enabled"] is True
    assert distribution["staging"] is False  # said, so an imported distribution is not replaced
    assert "defaultRootObject" not in distribution  # every page view is rewritten to the page's key
    assert distribution["priceClass"] == "PriceClass_100"
    assert distribution["isIpv6Enabled"] is True
    assert distribution["httpVersion"] == "http2and3"
    assert distribution["viewerCertificate"] == {
        "acmCertificateArn": FakeAccount.with_everything().certificates["api.theboss.io"],
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    }
    behavior = distribution["defaultCacheBehavior"]
    assert behavior["viewerProtocolPolicy"] == "allow-all"
    assert behavior["targetOriginId"] == origin["originId"]
    assert behavior["cachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"
    assert "forwardedValues" not in behavior
    # The page comes from the cache as the bucket's 200; no error page stands in for it.
    assert "customErrorResponses" not in distribution


def test_distribution_takes_configured_price_and_certificate():
    arn = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/12345678-1234-1234-1234-123456789012"
    run = run_program("integration", priceClass="PriceClass_All", certificateArn=arn, ttl="300")
    distribution = run.one(DISTRIBUTION)["inputs"]
    assert distribution["priceClass"] == "PriceClass_All"
    assert distribution["viewerCertificate"]["acmCertificateArn"] == arn
    assert run.one(RECORD)["inputs"]["ttl"] == 300
    assert not [token for token, _ in run.invokes if token.startswith("aws:acm/")]


@pytest.mark.parametrize("stack, protected", [("production", True), ("integration", False)])
def test_protection_and_retention(stack, protected):
    run = run_program(stack)
    assert run.options["distribution"]["protect"] is protected
    assert run.options["record"]["protect"] is protected
    assert run.options["record"]["retainOnDelete"] is True
    assert run.options["bucket"]["protect"] is False


def test_each_aws_concept_is_a_component_with_its_resources_as_children():
    run = run_program("production")
    site_children = {"bucket", "bucket-public-access-block", "bucket-ownership", "bucket-encryption", "page-index.html",
                     "origin-access-control", "maintenance-responses", "distribution", "bucket-policy"}
    for name in site_children:
        assert run.options[name]["parent"].endswith("MaintenanceSite::maintenance-site"), name
    assert run.options["record"]["parent"].endswith("DnsSwitch::api-record")


def test_lookups_are_called_with_the_right_arguments():
    run = run_program("production")
    assert run.invokes == [
        ("aws:acm/getCertificate:getCertificate",
         {"domain": "api.theboss.io", "statuses": ["ISSUED"], "mostRecent": True, "region": "us-east-1",
          "keyTypes": ["RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1"]}),
        ("aws:lb/getLoadBalancer:getLoadBalancer", {"name": "elb-production-boss", "region": "us-east-1"}),
        ("aws:route53/getZone:getZone", {"name": "theboss.io", "privateZone": False}),
    ]
    assert run.one(RECORD)["inputs"]["zoneId"] == hosted_zone_id("theboss.io")


def test_classic_load_balancer_is_found_after_elbv2():
    account = FakeAccount.with_everything()
    account.application_balancers.clear()
    account.classic_balancers.add("elb-production-boss")
    run = run_program("production", account=account)
    tokens = [token for token, _ in run.invokes]
    assert tokens[1:3] == ["aws:lb/getLoadBalancer:getLoadBalancer", "aws:elb/getLoadBalancer:getLoadBalancer"]
    assert run.outputs["liveTarget"] == balancer_dns_name("elb-production-boss")


@pytest.mark.parametrize("lookup", ["application_balancers", "classic_balancers"])
def test_a_balancers_dns_name_is_normalised_as_aws_may_give_it_in_mixed_case(monkeypatch, lookup):
    # A balancer's name may hold capitals and starts its DNS name; DNS compares names without
    # case (RFC 4343), so the record, and `status`'s comparison, take the lower-case form.
    import mock_aws

    monkeypatch.setattr(mock_aws, "balancer_dns_name", lambda name, region=REGION: "ELB-Production-1.US-EAST-1.ELB.AMAZONAWS.COM.")
    account = FakeAccount.with_everything()
    account.application_balancers.clear()
    getattr(account, lookup).add("elb-production-boss")
    run = run_program("production", account=account)
    assert run.outputs["liveTarget"] == "elb-production-1.us-east-1.elb.amazonaws.com"
    assert run.one(RECORD)["inputs"]["records"] == ["elb-production-1.us-east-1.elb.amazonaws.com"]


def test_live_target_given_directly_needs_no_balancer_lookup():
    run = run_program("production", liveLoadBalancer=None, liveTarget="Live.Example.NET.")
    assert run.outputs["liveTarget"] == "live.example.net"
    assert not [t for t, _ in run.invokes if "LoadBalancer" in t]


def _failing(account=None, **overrides) -> str:
    program = MockProgram("production", account, **overrides)
    with pytest.raises(pulumi.RunError) as failure:
        program.run()
    assert program.mocks.resources == {}, "a resource was declared before the error"
    return str(failure.value)


BAD_INPUT = [
    ({"domain": None}, "api-maintenance:domain is required", "pulumi config set domain"),
    ({"maintenance": "yes"}, "api-maintenance:maintenance must be true or false", "pulumi config set maintenance true -s production"),
    ({"liveTarget": "x.example.com"}, "exactly one of liveTarget", "pulumi config rm liveTarget -s production"),
    ({"liveLoadBalancer": None}, "neither is set", "pulumi config set liveLoadBalancer"),
    ({"liveLoadBalancer": None, "liveTarget": "10.0.0.1"}, "api-maintenance:liveTarget must be a host name, not an IP address", "pulumi config set liveTarget"),
    ({"liveLoadBalancer": None, "liveTarget": "2001:db8::1"}, "not an IP address", "pulumi config set liveTarget"),
    ({"liveLoadBalancer": None, "liveTarget": "api.theboss.io"}, "is the domain itself", "pulumi config set liveTarget"),
    ({"zone": "example.org"}, "is not inside api-maintenance:zone", "pulumi config set zone theboss.io -s production"),
    ({"zone": "api.theboss.io"}, "is not inside api-maintenance:zone", "pulumi config set zone theboss.io"),
    ({"ttl": "abc"}, "api-maintenance:ttl must be a whole number from 0 to 86400", "pulumi config set ttl 60"),
    ({"ttl": "86401"}, "api-maintenance:ttl must be a whole number from 0 to 86400", "pulumi config set ttl"),
    ({"ttl": "-1"}, "api-maintenance:ttl", "pulumi config set ttl"),
    ({"responseCode": "201"}, "api-maintenance:responseCode must be one of the page's status codes", "pulumi config set responseCode 503 -s production"),
    # The page carries neither the Allow a 405 must have nor the Content-Range a 416 should (RFC 9110, 15.5.6, 15.5.17).
    ({"responseCode": "405"}, "api-maintenance:responseCode must be one of the page's status codes", "pulumi config set responseCode 503 -s production"),
    ({"responseCode": "416"}, "api-maintenance:responseCode must be one of the page's status codes", "pulumi config set responseCode 503 -s production"),
    ({"responseCode": "ok"}, "api-maintenance:responseCode", "pulumi config set responseCode"),
    ({"priceClass": "PriceClass_300"}, "api-maintenance:priceClass must be one of PriceClass_100", "pulumi config set priceClass"),
    ({"bucketName": "Maintenance_Prod"}, "api-maintenance:bucketName", "pulumi config set bucketName"),
    ({"bucketName": "ab"}, "api-maintenance:bucketName", "pulumi config set bucketName"),
    ({"bucketName": "a..b"}, "two dots", "pulumi config set bucketName"),
    ({"bucketName": "192.168.1.1"}, "IP address", "pulumi config set bucketName"),
    ({"bucketName": "xn--maintenance"}, "reserves", "pulumi config set bucketName"),
    ({"bucketName": "maintenance-s3alias"}, "reserves", "pulumi config set bucketName"),
    ({"bucketName": "maintenance--ol-s3"}, "reserves", "pulumi config set bucketName"),
    ({"certificateArn": "arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012"}, "in us-east-1, not eu-west-1", "pulumi config set certificateArn"),
    ({"certificateArn": "arn:aws:iam::111122223333:server-certificate/x"}, "must be an ACM certificate ARN", "pulumi config set certificateArn"),
    ({"protect": "1"}, "api-maintenance:protect must be true or false", "pulumi config set protect"),
    ({"domain": "api..theboss.io"}, "api-maintenance:domain must be a fully qualified host name", "pulumi config set domain"),
    ({"liveLoadBalancer": "-bad-"}, "api-maintenance:liveLoadBalancer must be a load balancer name", "pulumi config set liveLoadBalancer"),
]


@pytest.mark.parametrize("overrides, problem, fix", BAD_INPUT)
def test_bad_input_stops_before_any_resource(overrides, problem, fix):
    message = _failing(**overrides)
    assert problem in message
    assert fix in message
    assert "Traceback" not in message


def test_every_bad_value_is_reported_at_once():
    message = _failing(ttl="x", priceClass="cheap", maintenance="on")
    for key in ("ttl", "priceClass", "maintenance"):
        assert f"api-maintenance:{key}" in message


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda a: a.certificates.clear(), "found no ISSUED ACM certificate for api.theboss.io in us-east-1"),
        (lambda a: a.application_balancers.clear(),
         "found no load balancer named 'elb-production-boss' (application, network or classic) in region us-east-1"),
        (lambda a: a.zones.clear(), "found no public Route53 hosted zone named theboss.io"),
    ],
)
def test_a_lookup_that_finds_nothing_says_what_and_where(change, expected):
    account = FakeAccount.with_everything()
    change(account)
    message = _failing(account)
    assert expected in message
    assert "pulumi config get" in message


def test_one_edge_function_answers_every_viewer_request_and_response():
    run = run_program("production")
    function = run.one(FUNCTION)
    assert function["inputs"]["runtime"] == "cloudfront-js-2.0"
    assert function["inputs"]["publish"] is True
    assert function["inputs"]["code"] == render_function_code(DEFAULT_MESSAGE, None, 300, 503)
    behavior = run.one(DISTRIBUTION)["inputs"]["defaultCacheBehavior"]
    assert behavior["functionAssociations"] == [
        {"eventType": "viewer-request", "functionArn": function["outputs"]["arn"]},
        {"eventType": "viewer-response", "functionArn": function["outputs"]["arn"]},
    ]
    assert sorted(behavior["allowedMethods"]) == sorted(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    assert sorted(behavior["cachedMethods"]) == ["GET", "HEAD"]
    # All methods reach the edge, yet the bucket still grants nothing but reads.
    allow = json.loads(run.one(POLICY)["inputs"]["policy"])["Statement"][0]
    assert allow["Action"] == "s3:GetObject"


@pytest.mark.parametrize(
    "change",
    [{"message": "Database upgrade until 06:00 UTC."}, {"until": "2026-12-01T06:00:00Z"}, {"retryAfter": "900"},
     {"responseCode": "200"}],
)
def test_changing_the_announcement_republishes_only_the_function_and_page(change):
    before, after = run_program("production"), run_program("production", **change)
    changed = {
        name: sorted(k for k in resource["inputs"] if resource["inputs"][k] != after.resources[name]["inputs"].get(k))
        for name, resource in before.resources.items()
    }
    changed = {name: keys for name, keys in changed.items() if keys}
    expected = {"maintenance-responses": ["code"]}
    if "retryAfter" not in change and "responseCode" not in change:
        expected["page-index.html"] = ["content"]
    assert changed == expected


def test_page_shows_configured_message_until_and_contact():
    run = run_program(
        "production", message="Back at <6am> & later", until="2026-12-01T07:00:00+01:00", contact="https://status.theboss.io"
    )
    page = run.one(OBJECT)["inputs"]["content"]
    assert "Back at &lt;6am&gt; &amp; later" in page
    assert 'datetime="2026-12-01T06:00:00Z"' in page
    assert 'href="https://status.theboss.io"' in page
    body = run.one(FUNCTION)["inputs"]["code"]
    assert json.dumps(json.dumps({"maintenance": True, "status": 503, "message": "Back at <6am> & later",
                                  "until": "2026-12-01T06:00:00Z"})) in body


ANNOUNCEMENT_BAD_INPUT = [
    ({"until": "2026-12-01T06:00:00"}, "api-maintenance:until must say its time zone", "pulumi config set until"),
    ({"until": "next tuesday"}, "api-maintenance:until must be an ISO-8601 date-time", "pulumi config set until"),
    ({"contact": "call bob"}, "api-maintenance:contact must be an e-mail address or an https:// URL", "pulumi config set contact"),
    ({"contact": "http://status.theboss.io"}, "api-maintenance:contact", "pulumi config set contact"),
    ({"contact": "https://localhost"}, "api-maintenance:contact must be an e-mail address or an https:// URL", "pulumi config set contact"),
    ({"retryAfter": "0"}, "api-maintenance:retryAfter must be a whole number from 1 to 86400", "pulumi config set retryAfter"),
    ({"retryAfter": "86401"}, "api-maintenance:retryAfter", "pulumi config set retryAfter"),
    ({"message": "x" * 501}, "api-maintenance:message must be at most 500 characters, not 501", "pulumi config set message"),
    ({"message": "   "}, "api-maintenance:message must not be empty", "pulumi config set message"),
]


@pytest.mark.parametrize("overrides, problem, fix", ANNOUNCEMENT_BAD_INPUT)
def test_bad_announcement_stops_before_any_resource(overrides, problem, fix):
    message = _failing(**overrides)
    assert problem in message and fix in message
