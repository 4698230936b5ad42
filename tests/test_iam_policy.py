"""The policy evaluator itself, on the documented rules it claims (see iam_policy.py)."""

import pytest

from iam_policy import ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, Request, decide

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
