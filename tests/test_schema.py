"""Every input the program declares, checked against the pulumi-aws SDK and AWS's limits.

The first tests run the real program on the mock runtime; the rest feed the checker synthetic
inputs with one planted error each, so the suite itself shows the checker can fail.
"""

import re
from importlib.metadata import version
from pathlib import Path

import pytest

from mock_aws import ACCOUNT, REGION, STACKS, FakeAccount, MockProgram
from schema_check import (
    ACCESS_CONTROL,
    DISTRIBUTION,
    FUNCTION,
    IAM_POLICY,
    OWNERSHIP_CONTROLS,
    SchemaChecker,
    check_limits,
    required_inputs,
    sdk_classes,
)

# The longest host name settings accept (253 characters) and the longest message (500), in the
# character that costs most inside the function's code: a control character is escaped twice, in
# the JSON body and again in the JavaScript string that holds it (7 bytes; test_edge.py's
# COSTLY_CHARACTERS compares the candidates).
LONGEST_DOMAIN = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
LONGEST_MESSAGE = "\x01" * 500


REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"


def pins(text: str) -> dict[str, str]:
    """NAME==VERSION lines; any other requirement (a range, a bare name) is an error."""
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    found = {}
    for line in filter(None, lines):
        name, equals, pinned = line.partition("==")
        assert equals and pinned and not set("<>=~!,;") & set(pinned), f"not an exact pin: {line}"
        found[name] = pinned
    return found


def test_the_runtime_requirements_are_pinned_and_the_checks_run_against_them():
    # Every check in this file reads the installed SDK: it must be the one a deploy installs.
    pinned = pins(REQUIREMENTS.read_text())
    assert {"pulumi", "pulumi-aws", "PyYAML", "dnspython", "httpx", "idna"} <= set(pinned)
    assert {name: version(name) for name in pinned} == pinned


@pytest.mark.parametrize("line", ["pulumi-aws>=7.0,<8", "pulumi-aws", "pulumi-aws==7.*,<8", "pulumi-aws~=7.51"])
def test_a_requirement_that_is_no_exact_pin_fails(line):
    with pytest.raises(AssertionError):
        pins(line)


def checked(program: MockProgram) -> SchemaChecker:
    run = program.run()
    checker = SchemaChecker()
    checker.check_run(run.resources, {name: options["custom"] for name, options in run.options.items()})
    check_limits(checker, run.resources)
    return checker


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("maintenance", ["true", "false"])
def test_shipped_stacks_match_the_sdk_and_aws_limits(stack, maintenance):
    checker = checked(MockProgram(stack, maintenance=maintenance))
    assert [str(finding) for finding in checker.findings] == []
    assert checker.checks > 200, checker.checks


def test_longest_accepted_values_stay_within_aws_limits():
    zone = LONGEST_DOMAIN.split(".", 1)[1]
    account = FakeAccount(
        certificates={LONGEST_DOMAIN: f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/12345678-1234-1234-1234-123456789012"},
        application_balancers={"elb-production-boss"},
        zones={zone},
    )
    program = MockProgram(
        "production", account, domain=LONGEST_DOMAIN, zone=zone, message=LONGEST_MESSAGE,
        until="2026-12-01T06:00:00Z", contact="https://" + "s" * 60 + ".example.com", bucketName=None,
    )
    assert len(LONGEST_DOMAIN) == 253
    checker = checked(program)
    assert [str(finding) for finding in checker.findings] == []


def test_the_mock_auto_names_like_the_engine():
    # A self-test of the mock, which the name-limit check relies on: the function's and the OAC's
    # names are measured as the engine makes them, NAME plus "-" and 7 random characters
    # (pulumi-terraform-bridge AutoName, Randlen 7), so a long resource name fails that check.
    run = MockProgram("production").run()
    for resource_name, resource in run.resources.items():
        if resource["type"] in (FUNCTION, ACCESS_CONTROL):
            assert re.fullmatch(rf"{re.escape(resource_name)}-[0-9a-f]{{7}}", resource["outputs"]["name"])


# --- the checker fails on each kind of error --------------------------------------------------

FUNCTION_INPUTS = {"code": "function handler(event) { return event.request; }", "runtime": "cloudfront-js-2.0",
                   "publish": True, "comment": "ok"}


def problems(token: str, inputs: dict, name: str = "planted", **context) -> list[str]:
    checker = SchemaChecker()
    resources = {name: {"type": token, "inputs": inputs}, **context}
    checker.check_run(resources, {})
    check_limits(checker, resources)
    return [str(finding) for finding in checker.findings]


def test_a_valid_function_passes():
    assert problems(FUNCTION, FUNCTION_INPUTS) == []


def test_a_misspelled_key_fails():
    assert problems(FUNCTION, {**FUNCTION_INPUTS, "comennt": "x"}) == [
        "planted: comennt: FunctionArgs declares no input 'comennt' (did you mean comment?)"]


def test_a_misspelled_nested_key_fails():
    found = problems(DISTRIBUTION, distribution(default_cache_behavior={"cachePolicyID": "x"}))
    assert "planted: defaultCacheBehavior.cachePolicyID: DistributionDefaultCacheBehaviorArgs declares no input " \
           "'cachePolicyID' (did you mean cachePolicyId?)" in found


@pytest.mark.parametrize("change, expected", [
    ({"publish": "true"}, "planted: publish: expected bool, got str 'true'"),
    ({"code": 42}, "planted: code: expected str, got int 42"),
])
def test_a_wrong_scalar_fails(change, expected):
    assert problems(FUNCTION, {**FUNCTION_INPUTS, **change}) == [expected]


def test_a_dict_where_a_list_belongs_fails():
    inputs = distribution()
    inputs["origins"] = inputs["origins"][0]
    assert problems(DISTRIBUTION, inputs) == ["planted: origins: expected a list, got dict " + repr_short(inputs["origins"])]


def test_a_wrong_type_deep_in_a_list_fails():
    inputs = distribution(custom_error_responses=[{"errorCode": "404"}])
    assert problems(DISTRIBUTION, inputs) == ["planted: customErrorResponses[0].errorCode: expected int, got str '404'"]


def test_a_missing_required_input_fails():
    inputs = dict(FUNCTION_INPUTS)
    del inputs["runtime"]
    assert problems(FUNCTION, inputs) == ["planted: runtime: required by FunctionArgs but missing"]


def test_a_missing_required_nested_input_fails():
    inputs = distribution()
    del inputs["defaultCacheBehavior"]["viewerProtocolPolicy"]
    assert problems(DISTRIBUTION, inputs) == [
        "planted: defaultCacheBehavior.viewerProtocolPolicy: required by DistributionDefaultCacheBehaviorArgs but missing"]


def test_required_inputs_are_read_from_the_args_signature():
    _, args = sdk_classes(FUNCTION)
    assert sorted(required_inputs(args)) == ["code", "runtime"]


def test_a_deprecated_resource_fails():
    found = problems("aws:ec2/encryptionControl:EncryptionControl", {"vpcId": "vpc-1", "mode": "monitor"})
    assert found == ["planted: aws:ec2/encryptionControl:EncryptionControl: the SDK deprecates this resource"]


def test_a_deprecated_input_fails():
    found = problems("aws:s3/bucket:Bucket", {"acl": "private"})
    assert found == ["planted: acl: the SDK deprecates this input"]


def test_an_unknown_resource_type_fails():
    assert problems("aws:s3/bucketObjectV3:BucketObjectV3", {}) == [
        "planted: aws:s3/bucketObjectV3:BucketObjectV3: the pulumi-aws SDK declares no resource "
        "aws:s3/bucketObjectV3:BucketObjectV3"]


OWNER_ENFORCED = {"ownership": {"type": OWNERSHIP_CONTROLS,
                                "inputs": {"bucket": "b", "rule": {"objectOwnership": "BucketOwnerEnforced"}}}}


def test_a_documented_default_acl_in_an_owner_enforced_bucket_fails():
    found = problems("aws:s3/bucketObject:BucketObject", {"bucket": "b", "key": "index.html"}, **OWNER_ENFORCED)
    assert "planted: acl: the SDK documents a default of 'private', but an owner-enforced bucket takes " \
           "objects with no ACL or bucket-owner-full-control only" in found


def test_the_old_object_resources_inputs_are_deprecated_as_its_docstrings_say():
    # pulumi_aws/s3/bucket_object.py: `bucket` and `key` say "Use the `s3.BucketObjectv2` resource instead".
    found = problems("aws:s3/bucketObject:BucketObject", {"bucket": "b", "key": "index.html", "content": "x"})
    assert found == ["planted: bucket: the SDK deprecates this input", "planted: key: the SDK deprecates this input"]


def test_an_explicit_acl_in_an_owner_enforced_bucket_fails_and_none_passes():
    v2 = "aws:s3/bucketObjectv2:BucketObjectv2"
    assert problems(v2, {"bucket": "b", "key": "k", "acl": "public-read"}, **OWNER_ENFORCED) == [
        "planted: acl: set to 'public-read', but an owner-enforced bucket takes objects with no ACL or "
        "bucket-owner-full-control only"]
    assert problems(v2, {"bucket": "b", "key": "k"}, **OWNER_ENFORCED) == []
    assert problems(v2, {"bucket": "b", "key": "k", "acl": "bucket-owner-full-control"}, **OWNER_ENFORCED) == []


@pytest.mark.parametrize("token, inputs, expected", [
    (FUNCTION, {**FUNCTION_INPUTS, "name": "f" * 65}, "planted: name length: 65 is over AWS's limit of 64"),
    (FUNCTION, {**FUNCTION_INPUTS, "code": "x" * 10001}, "planted: code size in bytes: 10001 is over AWS's limit of 10000"),
    (FUNCTION, {**FUNCTION_INPUTS, "comment": "c" * 129}, "planted: comment length: 129 is over AWS's limit of 128"),
    (DISTRIBUTION, {"comment": "c" * 129}, "planted: comment length: 129 is over AWS's limit of 128"),
    (ACCESS_CONTROL, {"name": "n" * 65}, "planted: name length: 65 is over AWS's limit of 64"),
    (ACCESS_CONTROL, {"description": "d" * 257}, "planted: description length: 257 is over AWS's limit of 256"),
    (IAM_POLICY, {"policy": "{" + " x" * 6143 + "}"}, "planted: policy size in characters other than white space: 6145 "
     "is over AWS's limit of 6144"),
    (IAM_POLICY, {"policy": "{}", "description": "d" * 1001}, "planted: description length: 1001 is over AWS's limit of 1000"),
])
def test_each_aws_limit_fails_one_over(token, inputs, expected):
    if token == DISTRIBUTION:
        inputs = {**distribution(), **inputs}
    if token == ACCESS_CONTROL:
        inputs = {"originAccessControlOriginType": "s3", "signingBehavior": "always", "signingProtocol": "sigv4", **inputs}
    assert [p for p in problems(token, inputs) if "limit" in p][0].startswith(expected)


def test_each_aws_limit_passes_at_its_maximum():
    assert problems(FUNCTION, {**FUNCTION_INPUTS, "name": "f" * 64, "code": "x" * 10000, "comment": "c" * 128}) == []
    assert problems(IAM_POLICY, {"policy": "{" + " x" * 6142 + "}", "description": "d" * 1000}) == []


def test_the_operator_policies_are_checked_against_the_sdk():
    run = MockProgram("production").run()
    checker = SchemaChecker()
    policies = {name: r for name, r in run.resources.items() if r["type"] == IAM_POLICY}
    checker.check_run(policies, {})
    assert len(policies) == 2 and checker.checks >= 2 * 4 and checker.findings == []
    assert problems(IAM_POLICY, {"policy": "{}", "polcy": "{}"}) == [
        "planted: polcy: PolicyArgs declares no input 'polcy' (did you mean policy?)"]


def test_an_auto_name_too_long_for_the_suffix_fails():
    assert problems(FUNCTION, FUNCTION_INPUTS, name="n" * 56) == []  # 56 + "-" + 7 = 64
    found = problems(FUNCTION, FUNCTION_INPUTS, name="n" * 57)
    assert found == ["n" * 57 + ": name length: 65 is over AWS's limit of 64 (CloudFront API CreateFunction; "
                     "pulumi-aws cloudfront.Function `name` docstring: 1 to 64 characters)"]


def test_a_function_name_with_a_dot_fails():
    assert problems(FUNCTION, {**FUNCTION_INPUTS, "name": "maintenance.responses"}) == [
        "planted: name: 'maintenance.responses' has characters other than letters, digits, - and _"]


def distribution(default_cache_behavior=None, custom_error_responses=None) -> dict:
    inputs = {
        "enabled": True,
        "origins": [{"domainName": "b.s3.us-east-1.amazonaws.com", "originId": "o"}],
        "defaultCacheBehavior": {"targetOriginId": "o", "viewerProtocolPolicy": "allow-all",
                                 "allowedMethods": ["GET", "HEAD"], "cachedMethods": ["GET", "HEAD"],
                                 **(default_cache_behavior or {})},
        "restrictions": {"geoRestriction": {"restrictionType": "none"}},
        "viewerCertificate": {"cloudfrontDefaultCertificate": True},
    }
    if custom_error_responses is not None:
        inputs["customErrorResponses"] = custom_error_responses
    return inputs


def repr_short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def test_a_key_value_store_name_with_a_dot_or_too_long_fails():
    # terraform validate with the provider refuses both ("must contain only alphanumeric characters, hyphens,
    # and underscores"; "string length must be between 1 and 64").
    store = "aws:cloudfront/keyValueStore:KeyValueStore"
    assert problems(store, {"name": "maintenance.mode"}) == [
        "planted: name: 'maintenance.mode' has characters other than letters, digits, - and _"]
    assert problems(store, {"name": "m" * 65}) == [
        "planted: name length: 65 is over AWS's limit of 64 "
        "(terraform-provider-aws, cloudfront/key_value_store.go: name LengthBetween(1, 64))"]
    assert problems(store, {"name": "m" * 64}) == []
