"""What a window command will say when AWS refuses it (maintenance/cli/access_denied.py)."""

import pytest

from maintenance.cli.access_denied import explain, policies_from_outputs
from mock_aws import hosted_zone_id, run_program

RUN = run_program("production")
POLICIES = policies_from_outputs(RUN.outputs)
ZONE = f"arn:aws:route53:::hostedzone/{hosted_zone_id('theboss.io')}"
FUNCTION = RUN.one("aws:cloudfront/function:Function")["outputs"]["arn"]
USER = "User: arn:aws:iam::123456789012:user/on-call"


def refusal(service: str, operation: str, message: str, code: str = "AccessDenied") -> str:
    # The provider's error as Pulumi prints it: the SDK's operation error wrapping AWS's message.
    return (f"error: 1 error occurred:\n\t* updating urn:pulumi:production::api-maintenance::x: 1 error occurred:\n\t"
            f"* operation error {service}: {operation}, https response error StatusCode: 403, RequestID: "
            f"2c1f7b61-0d5c-4a9e-9a43-7d0a1e0b9c11, api error {code}: {USER} {message}")


@pytest.mark.parametrize("text, expected", [
    # Wordings as AWS gives them (go-acme/lego#716, awslabs/route53-dynamic-dns-with-lambda#13 for
    # Route53, FusionAuth/fusionauth-issues#2289 for CloudFront's "because no identity-based policy").
    (refusal("Route 53", "ListResourceRecordSets",
             f"is not authorized to perform: route53:ListResourceRecordSets on resource: {ZONE}"),
     f"AWS refused route53:ListResourceRecordSets on {ZONE}: switch-operator grants it; are the credentials in use "
     "the ones it is attached to?"),
    (refusal("Route 53", "ChangeResourceRecordSets",
             f"is not authorized to perform: route53:ChangeResourceRecordSets on resource: {ZONE} because no "
             "identity-based policy allows the route53:ChangeResourceRecordSets action"),
     f"AWS refused route53:ChangeResourceRecordSets on {ZONE}: switch-operator grants it only within the conditions "
     "of its statement ChangeOnlyTheApiRecord, and this request is outside them."),
    (refusal("S3", "PutObject", 'is not authorized to perform: s3:PutObject on resource: '
             '"arn:aws:s3:::maintenance-prod-boss/index.html" because no identity-based policy allows the s3:PutObject '
             "action"),
     "AWS refused s3:PutObject on arn:aws:s3:::maintenance-prod-boss/index.html: message-operator grants it; are the "
     "credentials in use the ones it is attached to?"),
    (refusal("CloudFront", "UpdateFunction", f"is not authorized to perform: cloudfront:UpdateFunction on resource: "
             f"{FUNCTION} with an explicit deny in an identity-based policy"),
     f"AWS refused cloudfront:UpdateFunction on {FUNCTION}: message-operator grants it, but an explicit Deny "
     "elsewhere (another policy, an SCP) overrides any Allow."),
    (refusal("ACM", "ListCertificates", "is not authorized to perform: acm:ListCertificates because no identity-based "
             "policy allows the acm:ListCertificates action", "AccessDeniedException"),
     "AWS refused acm:ListCertificates on *: both switch-operator and message-operator grant it; are the credentials "
     "in use the ones it is attached to?"),
    (refusal("Elastic Load Balancing v2", "DescribeLoadBalancers",
             "is not authorized to perform: elasticloadbalancing:DescribeLoadBalancers"),
     "AWS refused elasticloadbalancing:DescribeLoadBalancers on *: both switch-operator and message-operator grant "
     "it; are the credentials in use the ones it is attached to?"),
    (refusal("CloudFront", "UpdateDistribution", "is not authorized to perform: cloudfront:UpdateDistribution on "
             "resource: arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"),
     "AWS refused cloudfront:UpdateDistribution on arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL: "
     "neither switch-operator nor message-operator grants it."),
    (refusal("Route 53", "GetHostedZone", "is not authorized to perform: route53:GetHostedZone on resource: "
             "arn:aws:route53:::hostedzone/Z0OTHERZONE000000000"),
     "AWS refused route53:GetHostedZone on arn:aws:route53:::hostedzone/Z0OTHERZONE000000000: neither switch-operator "
     "nor message-operator grants it."),
])
def test_a_refusal_is_one_line_naming_the_action_the_resource_and_the_policy(text, expected):
    assert explain(text, POLICIES) == expected


def test_a_stack_without_operator_policies_says_so():
    run = run_program("production", operatorPolicies="false")
    text = refusal("CloudFront", "GetFunction", f"is not authorized to perform: cloudfront:GetFunction on resource: {FUNCTION}")
    assert policies_from_outputs(run.outputs) == {}
    assert explain(text, policies_from_outputs(run.outputs)) == (
        f"AWS refused cloudfront:GetFunction on {FUNCTION}: this stack declares no operator policies "
        "(operatorPolicies is false).")


@pytest.mark.parametrize("text", [
    "error: preview failed: found no public Route53 hosted zone named theboss.io",
    # A refused HEAD has no body, so no action: S3 API Reference, HeadObject.
    "operation error S3: HeadObject, https response error StatusCode: 403, RequestID: X, api error Forbidden: Forbidden",
])
def test_an_error_that_names_no_refused_action_is_left_alone(text):
    assert explain(text, POLICIES) is None
