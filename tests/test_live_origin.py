"""The real __main__.py on Pulumi's mock runtime with liveOrigin: the store, its key, the live origin, the policies."""

import hashlib
import json

import pytest

from maintenance.edge import LIVE_ORIGIN_ID
from maintenance.site import CACHING_OPTIMIZED_POLICY_ID, ORIGIN_ID
from mock_aws import STACKS, MockProgram, balancer_dns_name
from schema_check import SchemaChecker, check_limits
from test_program import DISTRIBUTION, FUNCTION, LIVE, OBJECT

STORE = "aws:cloudfront/keyValueStore:KeyValueStore"
STORE_KEY = "aws:cloudfront/keyvaluestoreKey:KeyvaluestoreKey"
CACHE_POLICY = "aws:cloudfront/cachePolicy:CachePolicy"
TOKEN = "Q" * 43


def live_program(stack: str = "integration", maintenance: str = "true", token: str | None = TOKEN,
                 secret: bool = True, **overrides: str | None) -> MockProgram:
    program = MockProgram(stack, maintenance=maintenance, liveOrigin="true", bypassToken=token, **overrides)
    if token is not None and secret:
        # As the engine hands the program a secret: its value, its key in the secret keys.
        program.secret_keys.append("api-maintenance:bypassToken")
    return program


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("maintenance, store_mode", [("true", "maintenance"), ("false", "pass-through")])
def test_the_key_follows_the_toggle_and_the_record_waits_for_it(stack, maintenance, store_mode):
    run = live_program(stack, maintenance).run()
    store, key = run.one(STORE), run.one(STORE_KEY)
    assert key["inputs"] == {"keyValueStoreArn": store["outputs"]["arn"], "key": "mode", "value": store_mode}
    assert run.outputs["storeMode"] == store_mode
    # depends_on: the engine writes the key before it moves the record.
    assert "store-mode" in run.options["record"]["dependencies"]
    assert run.options["store-mode"]["parent"].endswith("api-record")


@pytest.mark.parametrize("stack", STACKS)
def test_the_distribution_gets_the_live_origin_and_the_function_the_store(stack):
    run = live_program(stack).run()
    store = run.one(STORE)
    function = run.one(FUNCTION)["inputs"]
    assert function["keyValueStoreAssociations"] == [store["outputs"]["arn"]]
    distribution = run.one(DISTRIBUTION)["inputs"]
    bucket_origin, live_origin = distribution["origins"]
    assert bucket_origin["originId"] == ORIGIN_ID
    assert live_origin == {
        "domainName": balancer_dns_name(LIVE[stack]),
        "originId": LIVE_ORIGIN_ID,
        "customOriginConfig": {"httpPort": 80, "httpsPort": 443, "originProtocolPolicy": "https-only",
                               "originSslProtocols": ["TLSv1.2"]},
    }
    behavior = distribution["defaultCacheBehavior"]
    assert behavior["cachePolicyId"] == run.one(CACHE_POLICY)["id"] != CACHING_OPTIMIZED_POLICY_ID
    # AWS's managed policy Managed-AllViewerExceptHostHeader, by the id AWS gives it (Developer Guide, "Use
    # managed origin request policies"): not AllViewer, which forwards Host and breaks S3's signed requests.
    assert behavior["originRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    # The function still answers both viewer events, now with the store.
    assert [a["eventType"] for a in behavior["functionAssociations"]] == ["viewer-request", "viewer-response"]


def test_the_cache_policy_keeps_one_page_and_no_unmarked_api_answer():
    policy = live_program().run().one(CACHE_POLICY)["inputs"]
    assert (policy["minTtl"], policy["defaultTtl"]) == (0, 0)
    assert policy["maxTtl"] >= 60
    assert policy["parametersInCacheKeyAndForwardedToOrigin"] == {
        "cookiesConfig": {"cookieBehavior": "all"},
        "headersConfig": {"headerBehavior": "whitelist", "headers": {"items": ["Authorization"]}},
        "queryStringsConfig": {"queryStringBehavior": "all"},
        "enableAcceptEncodingGzip": True,
        "enableAcceptEncodingBrotli": True,
    }


def test_the_page_object_carries_the_marker_the_viewer_response_reads():
    run = live_program().run()
    assert run.one(OBJECT)["inputs"]["metadata"] == {"maintenance-page": "true"}
    # S3 returns user metadata as x-amz-meta-NAME headers: the function looks for that header.
    assert "x-amz-meta-maintenance-page" in run.one(FUNCTION)["inputs"]["code"]


def test_the_function_holds_the_token_only_as_its_sha256():
    code = live_program().run().one(FUNCTION)["inputs"]["code"]
    assert TOKEN not in code
    assert hashlib.sha256(TOKEN.encode()).hexdigest() in code


@pytest.mark.parametrize("stack", STACKS)
def test_flipping_the_flag_changes_only_the_record_and_the_key(stack):
    on, off = live_program(stack, "true").run(), live_program(stack, "false").run()
    assert on.resources.keys() == off.resources.keys()
    differences = {
        name: sorted(key for key in on.resources[name]["inputs"].keys() | off.resources[name]["inputs"].keys()
                     if on.resources[name]["inputs"].get(key) != off.resources[name]["inputs"].get(key))
        for name in on.resources
    }
    assert {name: keys for name, keys in differences.items() if keys} == {"record": ["records"], "store-mode": ["value"]}
    assert {name for name in on.options if on.options[name] != off.options[name]} == {"record"}


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("maintenance", ["true", "false"])
def test_live_origin_resources_match_the_sdk_and_aws_limits(stack, maintenance):
    run = live_program(stack, maintenance, bypassCidrs=json.dumps(["203.0.113.0/24", "2001:db8::/32"]),
                       bypassPaths="/webhooks/,/v1/status").run()
    checker = SchemaChecker()
    checker.check_run(run.resources, {name: options["custom"] for name, options in run.options.items()})
    check_limits(checker, run.resources)
    assert [str(finding) for finding in checker.findings] == []


def test_a_bypass_token_in_clear_text_stops_the_program_before_any_resource():
    program = live_program(secret=False)
    with pytest.raises(Exception) as raised:
        program.run()
    assert "api-maintenance:bypassToken in Pulumi.integration.yaml is in clear text" in str(raised.value)
    assert "Fix: a new one, since the old one may be in the file's history: pulumi config set bypassToken --secret" in str(raised.value)
    assert TOKEN not in str(raised.value)
    assert program.mocks.resources == {}


@pytest.mark.parametrize("key, value", [("bypassToken", TOKEN), ("bypassCidrs", "203.0.113.0/24"), ("bypassPaths", "/webhooks/")])
def test_a_bypass_rule_without_live_origin_stops_the_program(key, value):
    program = MockProgram("integration", **{key: value})
    if key == "bypassToken":
        program.secret_keys.append("api-maintenance:bypassToken")
    with pytest.raises(Exception) as raised:
        program.run()
    assert f"api-maintenance:{key} lets requests through to the live API, which needs api-maintenance:liveOrigin true" in str(raised.value)
    assert "Fix: pulumi config set liveOrigin true -s integration" in str(raised.value)
    assert program.mocks.resources == {}
