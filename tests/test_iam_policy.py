"""The policy evaluator itself, on the documented rules it claims (maintenance/iam_policy.py)."""

import re

import pytest

from iam_policy import ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, Request, decide
from maintenance.iam_policy import CONDITIONAL, grant

OBJECT = "arn:aws:s3:::bucket/page"


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def statement(effect, condition=None, action="s3:GetObject", principal="*"):
    found = {"Effect": effect, "Principal": principal, "Action": action, "Resource": "arn:aws:s3:::bucket/*"}
    if condition:
        found["Condition"] = condition
    return found


def request(action="s3:GetObject", **context):
    return Request(action, OBJECT, None, context)


def test_an_explicit_deny_beats_an_allow_and_nothing_allowed_is_denied():
    assert decide(policy(statement("Allow"), statement("Deny")), request()) == EXPLICIT_DENY
    assert decide(policy(statement("Allow")), request()) == ALLOW
    assert decide(policy(statement("Allow", action="s3:PutObject")), request()) == IMPLICIT_DENY


@pytest.mark.parametrize(
    "operator, context, holds",
    [
        ("StringEquals", {}, False),  # a missing key matches nothing...
        ("StringNotEquals", {}, True),  # ...so a negated operator holds
        ("StringEquals", {"aws:sourcearn": "a"}, True),  # key names ignore case
        ("StringNotEquals", {"AWS:SourceArn": "a"}, False),
        ("StringNotEquals", {"AWS:SourceArn": "b"}, True),
    ],
)
def test_missing_keys_and_negated_operators(operator, context, holds):
    condition = {operator: {"AWS:SourceArn": "a"}}
    assert decide(policy(statement("Allow", condition)), request(**context)) == (ALLOW if holds else IMPLICIT_DENY)


def test_operators_and_keys_are_anded_values_ored():
    condition = {"Bool": {"aws:SecureTransport": "false"}, "StringEquals": {"AWS:SourceArn": ["a", "b"]}}
    allowed = policy(statement("Allow", condition))
    assert decide(allowed, request(**{"aws:SecureTransport": "false", "AWS:SourceArn": "b"})) == ALLOW
    assert decide(allowed, request(**{"aws:SecureTransport": "true", "AWS:SourceArn": "b"})) == IMPLICIT_DENY


def test_what_it_does_not_know_it_refuses_to_guess():
    with pytest.raises(NotImplementedError):
        decide(policy(statement("Allow", {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}})), request())


# --- identity policies: no Principal, NotAction, StringLike, Null, the set operators ----------------

TAGS = "aws:TagKeys"


def identity(action="s3:GetObject", condition=None, resource="arn:aws:s3:::bucket/*", effect="Allow", key="Action"):
    found = {"Effect": effect, key: action, "Resource": resource}
    if condition:
        found["Condition"] = condition
    return policy(found)


def test_an_identity_statement_applies_to_whoever_holds_it():
    assert decide(identity(), request()) == ALLOW
    assert decide(identity(), Request("s3:GetObject", OBJECT, ("Service", "cloudfront.amazonaws.com"))) == ALLOW


@pytest.mark.parametrize("pattern, action, allowed", [
    ("s3:Get*", "s3:GetObject", True),
    ("S3:GETOBJECT", "s3:GetObject", True),  # action names ignore case
    ("s3:Get?bject", "s3:GetObject", True),
    ("s3:Get*", "s3:PutObject", False),
    ("s3:GetObject", "s3:GetObjectTagging", False),
])
def test_action_wildcards(pattern, action, allowed):
    assert decide(identity(pattern), request(action)) == (ALLOW if allowed else IMPLICIT_DENY)


def test_not_action_matches_every_action_but_those_listed():
    assert decide(identity("s3:Delete*", key="NotAction"), request("s3:GetObject")) == ALLOW
    assert decide(identity("s3:Delete*", key="NotAction"), request("s3:DeleteObject")) == IMPLICIT_DENY


@pytest.mark.parametrize("resource, allowed", [
    ("arn:aws:s3:::bucket/*", True), ("arn:aws:s3:::bucket/pag?", True), ("arn:aws:s3:::bucket/page", True),
    ("arn:aws:s3:::Bucket/page", False),  # resources are case-sensitive
    ("arn:aws:s3:::bucket", False), ("arn:aws:s3:::other/*", False),
])
def test_resource_wildcards(resource, allowed):
    assert decide(identity(resource=resource), request()) == (ALLOW if allowed else IMPLICIT_DENY)


@pytest.mark.parametrize("operator, value, context, holds", [
    ("StringLike", "arn:aws:cloudfront::*:distribution/E*", "arn:aws:cloudfront::1:distribution/E1", True),
    ("StringLike", "arn:aws:cloudfront::*:distribution/E*", "arn:aws:cloudfront::1:function/E1", False),
    ("StringLike", "a*", None, False),
    ("StringNotLike", "a*", None, True),
    ("StringNotLike", "a*", "abc", False),
    ("StringEquals", "abc", "ABC", False),  # values compare with case under StringEquals
    ("Bool", "true", "True", True),
])
def test_single_valued_operators(operator, value, context, holds):
    given = {} if context is None else {"aws:SourceArn": context}
    found = decide(identity(condition={operator: {"aws:SourceArn": value}}), request(**given))
    assert found == (ALLOW if holds else IMPLICIT_DENY)


@pytest.mark.parametrize("null, context, holds", [
    ("true", {}, True), ("true", {TAGS: ["a"]}, False), ("false", {}, False), ("false", {TAGS: ["a"]}, True),
    ("false", {TAGS: []}, False),  # a multivalued key with no value is absent
])
def test_null_tests_whether_the_key_is_present(null, context, holds):
    assert decide(identity(condition={"Null": {TAGS: null}}), request(**context)) == (ALLOW if holds else IMPLICIT_DENY)


@pytest.mark.parametrize("operator, context, holds", [
    ("ForAllValues:StringEquals", ["a", "b"], True),  # every request value is one of the policy's
    ("ForAllValues:StringEquals", ["a", "c"], False),
    ("ForAllValues:StringEquals", None, True),  # true when the key is absent (IAM User Guide)
    ("ForAllValues:StringEquals", [], True),
    ("ForAnyValue:StringEquals", ["c", "b"], True),  # at least one request value is one of the policy's
    ("ForAnyValue:StringEquals", ["c", "d"], False),
    ("ForAnyValue:StringEquals", None, False),
    ("ForAllValues:StringLike", ["ab", "b"], True),
    ("ForAllValues:StringNotEquals", ["c", "d"], True),  # no request value is a policy value
    ("ForAllValues:StringNotEquals", ["c", "a"], False),
    ("ForAnyValue:StringNotEquals", ["a", "c"], True),
])
def test_set_operators_on_a_multivalued_key(operator, context, holds):
    values = ["a*", "b"] if operator.endswith("Like") else ["a", "b"]
    given = {} if context is None else {TAGS: context}
    assert decide(identity(condition={operator: {TAGS: values}}), request(**given)) == (ALLOW if holds else IMPLICIT_DENY)


@pytest.mark.parametrize("operator", ["IpAddress", "StringEqualsIfExists", "ForEveryValue:StringEquals",
                                      "ForAllValues:ArnLike", "Null:StringEquals"])
def test_an_unknown_operator_raises_naming_it_even_after_a_false_condition(operator):
    condition = {"StringEquals": {"aws:SourceArn": "never"}, operator: {"aws:SourceIp": "192.0.2.0/24"}}
    with pytest.raises(NotImplementedError, match=re.escape(operator)):
        decide(identity(condition=condition), request())


def test_a_multivalued_key_without_a_set_operator_is_not_guessed():
    with pytest.raises(NotImplementedError, match="multivalued"):
        decide(identity(condition={"StringEquals": {TAGS: "a"}}), request(**{TAGS: ["a"]}))


def test_grant_says_when_conditions_decide():
    conditional = identity(condition={"StringEquals": {"aws:SourceArn": "a"}})
    assert grant(identity(), "s3:GetObject", OBJECT) == (ALLOW, [""])
    assert grant(conditional, "s3:GetObject", OBJECT) == (CONDITIONAL, [""])
    assert grant(identity(), "s3:PutObject", OBJECT) == (IMPLICIT_DENY, [])
    denied = policy(statement("Allow", principal="*"), {"Sid": "No", "Effect": "Deny", "Action": "s3:*", "Resource": "*"})
    assert grant(denied, "s3:GetObject", OBJECT) == (EXPLICIT_DENY, ["No"])
