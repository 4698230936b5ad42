"""The operator policies as the real program renders them, judged request by request.

Each request is what the provider sends during a window's preview and up (the calls are cited in
maintenance/operator_policies.py); ChangeResourceRecordSets carries the three Route53 context keys
of its change batch (iam_policy.change_batch_context). Every action and ARN is checked against
policy_sentry's offline copy of AWS's Service Authorization Reference, and parliament lints both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from parliament import analyze_policy_string
from policy_sentry.querying.actions import get_action_data

from iam_policy import ALLOW, IMPLICIT_DENY, Request, change_batch_context, decide
from maintenance.operator_policies import RECORD_ACTIONS, RECORD_NAMES, RECORD_TYPES, normalized_record_name
from mock_aws import ACCOUNT, STACKS, hosted_zone_id, run_program

POLICY = "aws:iam/policy:Policy"
DOMAIN = {"production": "api.theboss.io", "integration": "api.integration.theboss.io"}
ZONE = f"arn:aws:route53:::hostedzone/{hosted_zone_id('theboss.io')}"
OTHER_ZONE = "arn:aws:route53:::hostedzone/Z0OTHERZONE000000000"
CERTIFICATE = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"
BALANCER = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/elb-production-boss/50dc6c495c0c9188"


@dataclass(frozen=True)
class Stack:
    name: str
    switch: dict
    message: dict
    bucket: str
    function_arn: str
    distribution_arn: str


def rendered(stack: str, **overrides) -> Stack:
    run = run_program(stack, **overrides)
    return Stack(
        stack,
        json.loads(run.resources["switch-operator"]["inputs"]["policy"]),
        json.loads(run.resources["message-operator"]["inputs"]["policy"]),
        run.one("aws:s3/bucket:Bucket")["outputs"]["bucket"],
        run.one("aws:cloudfront/function:Function")["outputs"]["arn"],
        run.one("aws:cloudfront/distribution:Distribution")["outputs"]["arn"],
    )


STACK_POLICIES = {stack: rendered(stack) for stack in STACKS}


def change(name: str, record_type: str = "CNAME", action: str = "UPSERT") -> dict:
    return {"Action": action, "ResourceRecordSet": {"Name": name, "Type": record_type, "TTL": 60,
                                                    "ResourceRecords": [{"Value": "d111111abcdef8.cloudfront.net"}]}}


def record_change(*changes: dict, zone: str = ZONE) -> Request:
    return Request("route53:ChangeResourceRecordSets", zone, context=change_batch_context({"Changes": list(changes)}))


def switch_requests(stack: Stack) -> list[tuple[str, Request, str]]:
    domain = DOMAIN[stack.name]
    other_stack = STACK_POLICIES["integration" if stack.name == "production" else "production"]
    return [
        ("UPSERT of the domain's CNAME", record_change(change(domain)), ALLOW),
        ("the same written API.TheBoss.io.", record_change(change(domain.upper().replace("THEBOSS", "TheBoss") + ".")),
         ALLOW),
        ("another name", record_change(change("www.theboss.io")), IMPLICIT_DENY),
        ("the other stack's name", record_change(change(DOMAIN[other_stack.name])), IMPLICIT_DENY),
        ("a name under the domain", record_change(change("x." + domain)), IMPLICIT_DENY),
        ("type A", record_change(change(domain, "A")), IMPLICIT_DENY),
        ("CREATE", record_change(change(domain, action="CREATE")), IMPLICIT_DENY),
        ("DELETE", record_change(change(domain, action="DELETE")), IMPLICIT_DENY),
        ("another zone", record_change(change(domain), zone=OTHER_ZONE), IMPLICIT_DENY),
        ("the allowed change with another name", record_change(change(domain), change("www.theboss.io")), IMPLICIT_DENY),
        ("the allowed change with a DELETE", record_change(change(domain), change(domain, action="DELETE")),
         IMPLICIT_DENY),
        ("the allowed change with a TXT", record_change(change(domain), change(domain, "TXT")), IMPLICIT_DENY),
        ("a request without the keys", Request("route53:ChangeResourceRecordSets", ZONE), IMPLICIT_DENY),
        ("GetChange", Request("route53:GetChange", "arn:aws:route53:::change/C2682N5HXP0BZ4"), ALLOW),
        ("ListResourceRecordSets", Request("route53:ListResourceRecordSets", ZONE), ALLOW),
        ("ListResourceRecordSets of another zone", Request("route53:ListResourceRecordSets", OTHER_ZONE), IMPLICIT_DENY),
        *lookup_requests(),
        ("s3:PutObject", Request("s3:PutObject", f"arn:aws:s3:::{stack.bucket}/index.html"), IMPLICIT_DENY),
        ("cloudfront:UpdateFunction", Request("cloudfront:UpdateFunction", stack.function_arn), IMPLICIT_DENY),
        ("cloudfront:UpdateDistribution", Request("cloudfront:UpdateDistribution", stack.distribution_arn),
         IMPLICIT_DENY),
        ("iam:PassRole", Request("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin"), IMPLICIT_DENY),
        ("route53:DeleteHostedZone", Request("route53:DeleteHostedZone", ZONE), IMPLICIT_DENY),
    ]


def lookup_requests() -> list[tuple[str, Request, str]]:
    return [
        ("ListHostedZones", Request("route53:ListHostedZones", "*"), ALLOW),
        ("GetHostedZone", Request("route53:GetHostedZone", ZONE), ALLOW),
        ("ListTagsForResource", Request("route53:ListTagsForResource", ZONE), ALLOW),
        ("GetHostedZone of another zone", Request("route53:GetHostedZone", OTHER_ZONE), IMPLICIT_DENY),
        ("ListCertificates", Request("acm:ListCertificates", "*"), ALLOW),
        ("DescribeCertificate", Request("acm:DescribeCertificate", CERTIFICATE), ALLOW),
        ("GetCertificate", Request("acm:GetCertificate", CERTIFICATE), ALLOW),
        ("ListTagsForCertificate", Request("acm:ListTagsForCertificate", CERTIFICATE), ALLOW),
        ("DescribeCertificate in another region",
         Request("acm:DescribeCertificate", CERTIFICATE.replace("us-east-1", "eu-west-1")), IMPLICIT_DENY),
        ("DeleteCertificate", Request("acm:DeleteCertificate", CERTIFICATE), IMPLICIT_DENY),
        ("DescribeLoadBalancers", Request("elasticloadbalancing:DescribeLoadBalancers", "*"), ALLOW),
        ("DescribeLoadBalancerAttributes", Request("elasticloadbalancing:DescribeLoadBalancerAttributes", "*"), ALLOW),
        ("DescribeTags", Request("elasticloadbalancing:DescribeTags", "*"), ALLOW),
        ("DescribeSecurityGroups", Request("ec2:DescribeSecurityGroups", "*"), ALLOW),
        ("DeleteLoadBalancer", Request("elasticloadbalancing:DeleteLoadBalancer", BALANCER), IMPLICIT_DENY),
    ]


def message_requests(stack: Stack) -> list[tuple[str, Request, str]]:
    other_stack = STACK_POLICIES["integration" if stack.name == "production" else "production"]
    page = f"arn:aws:s3:::{stack.bucket}/index.html"
    return [
        *lookup_requests(),
        *[(action, Request(action, page), ALLOW) for action in ("s3:PutObject", "s3:GetObject", "s3:GetObjectTagging")],
        ("PutObject at another key", Request("s3:PutObject", f"arn:aws:s3:::{stack.bucket}/other.html"), IMPLICIT_DENY),
        ("PutObject in the other stack's bucket", Request("s3:PutObject", f"arn:aws:s3:::{other_stack.bucket}/index.html"),
         IMPLICIT_DENY),
        ("DeleteObject of the page", Request("s3:DeleteObject", page), IMPLICIT_DENY),
        ("PutBucketPolicy", Request("s3:PutBucketPolicy", f"arn:aws:s3:::{stack.bucket}"), IMPLICIT_DENY),
        *[(action, Request(action, stack.function_arn), ALLOW)
          for action in ("cloudfront:UpdateFunction", "cloudfront:PublishFunction", "cloudfront:DescribeFunction",
                         "cloudfront:GetFunction")],
        ("UpdateFunction of another function",
         Request("cloudfront:UpdateFunction", f"arn:aws:cloudfront::{ACCOUNT}:function/another"), IMPLICIT_DENY),
        ("UpdateFunction of the other stack's function", Request("cloudfront:UpdateFunction", other_stack.function_arn),
         IMPLICIT_DENY),
        ("DeleteFunction", Request("cloudfront:DeleteFunction", stack.function_arn), IMPLICIT_DENY),
        ("UpdateDistribution", Request("cloudfront:UpdateDistribution", stack.distribution_arn), IMPLICIT_DENY),
        ("the UPSERT of the domain's CNAME", record_change(change(DOMAIN[stack.name])), IMPLICIT_DENY),
        ("GetChange", Request("route53:GetChange", "arn:aws:route53:::change/C2682N5HXP0BZ4"), IMPLICIT_DENY),
        ("iam:PassRole", Request("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin"), IMPLICIT_DENY),
    ]


def answers(policy: dict, table) -> tuple[dict, dict]:
    return {name: decide(policy, request) for name, request, _ in table}, {name: expected for name, _, expected in table}


@pytest.mark.parametrize("stack", STACKS)
def test_switch_operator_may_upsert_the_domains_cname_and_read_nothing_more(stack):
    policies = STACK_POLICIES[stack]
    got, expected = answers(policies.switch, switch_requests(policies))
    assert got == expected


@pytest.mark.parametrize("stack", STACKS)
def test_message_operator_may_replace_the_page_and_republish_this_function_only(stack):
    policies = STACK_POLICIES[stack]
    got, expected = answers(policies.message, message_requests(policies))
    assert got == expected


def test_the_policies_are_children_of_one_component_attached_to_no_one():
    run = run_program("production")
    policies = {name: r for name, r in run.resources.items() if r["type"] == POLICY}
    assert sorted(policies) == ["message-operator", "switch-operator"]
    for name in policies:
        assert run.options[name]["parent"].endswith("OperatorPolicies::operator-policies")
    assert not [r for r in run.resources.values() if "Attachment" in r["type"] or r["type"].startswith("aws:iam/")
                and r["type"] != POLICY]
    assert run.outputs["switchOperatorPolicyArn"] == policies["switch-operator"]["outputs"]["arn"]
    assert run.outputs["messageOperatorPolicyArn"] == policies["message-operator"]["outputs"]["arn"]


def test_operator_policies_false_declares_and_exports_none():
    run = run_program("production", operatorPolicies="false")
    assert not run.of_type(POLICY)
    assert not {key for key in run.outputs if "Operator" in key}


@pytest.mark.parametrize("overrides, skipped", [
    ({"certificateArn": CERTIFICATE}, "acm:"),
    ({"liveLoadBalancer": None, "liveTarget": "live.example.net"}, "elasticloadbalancing:"),
])
def test_a_lookup_the_stack_skips_gets_no_grant(overrides, skipped):
    policies = rendered("production", **overrides)
    for policy in (policies.switch, policies.message):
        actions = [action for statement in policy["Statement"] for action in statement["Action"]]
        assert actions and not [action for action in actions if action.startswith(skipped)]
    if skipped == "elasticloadbalancing:":
        assert decide(policies.switch, Request("ec2:DescribeSecurityGroups", "*")) == IMPLICIT_DENY


@pytest.mark.parametrize("stack", STACKS)
def test_no_action_is_a_wildcard_a_whole_service_or_a_forbidden_one(stack):
    for policy in (STACK_POLICIES[stack].switch, STACK_POLICIES[stack].message):
        for statement in policy["Statement"]:
            assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}
            assert statement["Effect"] == "Allow"
            for action in statement["Action"]:
                assert "*" not in action and "?" not in action
                assert not action.startswith("iam:") and not action.lower().startswith("s3:putbucket")
                assert not action.startswith("cloudfront:Update") or action == "cloudfront:UpdateFunction"
        actions = {action for statement in policy["Statement"] for action in statement["Action"]}
        assert "sts:GetCallerIdentity" not in actions  # needs no permission (operator_policies.py)


# --- against the catalogue of IAM actions ---------------------------------------------------------

def arn_formats(action: str) -> list[str]:
    service, name = action.split(":")
    data = get_action_data(service, name)
    assert data, f"{action} is no IAM action (policy_sentry's catalogue)"
    return sorted({row["resource_arn_format"] for row in data[service]})


def fits(resource: str, formats: list[str]) -> bool:
    """Whether a policy's Resource fits one of the action's ARN formats: "*" only for an action that
    takes no resource-level permission at all, an ARN only in a format of the action's own."""
    if resource == "*":
        return formats == ["*"]
    for arn_format in formats:
        if arn_format == "*":
            continue
        parts = re.split(r"(\$\{[^}]+\})", arn_format.replace("${Partition}", "aws"))
        regex = "".join("[^:/]+" if part.startswith("${") else re.escape(part) for part in parts)
        if re.fullmatch(regex, resource):
            return True
    return False


@pytest.mark.parametrize("stack", STACKS)
def test_every_action_exists_and_every_resource_is_in_its_arn_format(stack):
    checked = 0
    for policy in (STACK_POLICIES[stack].switch, STACK_POLICIES[stack].message):
        for statement in policy["Statement"]:
            for action in statement["Action"]:
                formats = arn_formats(action)
                assert fits(statement["Resource"], formats), (action, statement["Resource"], formats)
                checked += 1
    assert checked > 25


def test_the_catalogue_check_fails_on_a_misspelt_action_and_a_wrong_arn():
    with pytest.raises(AssertionError, match="no IAM action"):
        arn_formats("route53:ChangeResourceRecordSet")
    assert not fits("*", arn_formats("cloudfront:UpdateFunction"))
    assert not fits("arn:aws:cloudfront:us-east-1:111122223333:function/f", arn_formats("cloudfront:UpdateFunction"))
    assert not fits("arn:aws:route53:::hostedzone/Z1", arn_formats("route53:GetChange"))
    assert fits("arn:aws:route53:::change/*", arn_formats("route53:GetChange"))


@pytest.mark.parametrize("stack", STACKS)
def test_both_policies_pass_parliament(stack):
    for policy in (STACK_POLICIES[stack].switch, STACK_POLICIES[stack].message):
        findings = analyze_policy_string(json.dumps(policy), include_community_auditors=True).findings
        assert [(finding.issue, finding.detail) for finding in findings] == []


# --- Route53's view of a change batch ---------------------------------------------------------------

@pytest.mark.parametrize("name, normalized", [
    ("api.theboss.io", "api.theboss.io"),
    ("API.TheBoss.io.", "api.theboss.io"),
    ("*.theboss.io", "\\052.theboss.io"),  # the Route53 Developer Guide's own example: * is \052
    ("my_host-1.theboss.io", "my_host-1.theboss.io"),
    ("a b.theboss.io", "a\\040b.theboss.io"),
])
def test_record_names_are_normalized_as_route53_documents(name, normalized):
    assert normalized_record_name(name) == normalized


def test_a_change_batch_gives_one_value_per_change_for_each_key():
    assert change_batch_context({"Changes": [change("API.TheBoss.io."), change("*.theboss.io", "A", "DELETE")]}) == {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["api.theboss.io", "\\052.theboss.io"],
        "route53:ChangeResourceRecordSetsRecordTypes": ["CNAME", "A"],
        "route53:ChangeResourceRecordSetsActions": ["UPSERT", "DELETE"],
    }


def test_every_action_the_deploy_docs_name_is_an_iam_action():
    docs = (Path(__file__).resolve().parent.parent / "docs" / "deploy.md").read_text(encoding="utf-8")
    section = docs[docs.index("## Permissions"):]
    named = set(re.findall(r"`((?:s3|cloudfront|cloudfront-keyvaluestore|route53|acm|elasticloadbalancing|ec2|iam|sts):[A-Z][A-Za-z]+)`", section))
    named -= {RECORD_NAMES, RECORD_TYPES, RECORD_ACTIONS}  # condition keys, not actions
    assert len(named) > 50
    for action in sorted(named):
        arn_formats(action)


# --- a live-origin stack: the switch also writes the store's mode key ------------------------------

def store_arn(stack: str, **overrides) -> str:
    return run_program(stack, **overrides).one("aws:cloudfront/keyValueStore:KeyValueStore")["outputs"]["arn"]


@pytest.mark.parametrize("stack", STACKS)
def test_with_a_live_origin_the_switch_operator_may_write_this_stack_s_store_only(stack):
    live = rendered(stack, liveOrigin="true")
    store, other_store = store_arn(stack, liveOrigin="true"), store_arn(
        "integration" if stack == "production" else "production", liveOrigin="true")
    table = [
        *switch_requests(live),
        ("DescribeKeyValueStore", Request("cloudfront-keyvaluestore:DescribeKeyValueStore", store), ALLOW),
        ("PutKey", Request("cloudfront-keyvaluestore:PutKey", store), ALLOW),
        ("PutKey in the other stack's store", Request("cloudfront-keyvaluestore:PutKey", other_store), IMPLICIT_DENY),
        ("DeleteKey", Request("cloudfront-keyvaluestore:DeleteKey", store), IMPLICIT_DENY),
        ("UpdateKeys", Request("cloudfront-keyvaluestore:UpdateKeys", store), IMPLICIT_DENY),
        ("DeleteKeyValueStore", Request("cloudfront:DeleteKeyValueStore", store), IMPLICIT_DENY),
    ]
    got, expected = answers(live.switch, table)
    assert got == expected
    for statement in live.switch["Statement"]:
        for action in statement["Action"]:
            assert fits(statement["Resource"], arn_formats(action)), (action, statement["Resource"])
    findings = analyze_policy_string(json.dumps(live.switch), include_community_auditors=True).findings
    assert [(finding.issue, finding.detail) for finding in findings] == []


@pytest.mark.parametrize("stack", STACKS)
def test_without_a_live_origin_the_switch_operator_may_not_touch_any_store(stack):
    request = Request("cloudfront-keyvaluestore:PutKey", store_arn(stack, liveOrigin="true"))
    assert decide(STACK_POLICIES[stack].switch, request) == IMPLICIT_DENY
