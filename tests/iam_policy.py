"""A small evaluator of resource policies, faithful to AWS's documented rules for what it supports.

From the IAM User Guide:
- "Policy evaluation logic": an explicit Deny in any statement overrides any Allow; a request
  that no statement allows is implicitly denied.
- "IAM JSON policy elements: Condition operators": StringEquals, StringNotEquals and Bool; if
  a key is not present in the request context the condition is false, except for negated
  operators such as StringNotEquals, which are then true.
- "Conditions with multiple context keys or values": several operators, and several keys under
  one operator, are ANDed; several values for one key are ORed, and for a negated operator the
  values are NORed.
- "IAM JSON policy elements: Condition": condition key names are not case-sensitive.
- "IAM JSON policy elements: Action" and "Resource": action names are not case-sensitive;
  `*` and `?` are wildcards in both.
- "AWS JSON policy elements: Principal": "*" is everyone, anonymous callers included.
Anything else (another operator, NotAction, NotPrincipal, ...) raises, rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = "allow", "explicit deny", "implicit deny"


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    principal: tuple[str, str] | None  # ("Service", "cloudfront.amazonaws.com"); None is anonymous
    context: dict[str, str] = field(default_factory=dict)  # condition keys present in the request


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal, request: Request) -> bool:
    if principal == "*":
        return True
    unknown = set(principal) - {"Service", "AWS"}
    if unknown:
        raise NotImplementedError(f"principal kinds {unknown}")
    if request.principal is None:
        return False
    kind, name = request.principal
    return name in _listed(principal.get(kind, []))


def _string_equals(context_value: str, policy_value: str) -> bool:
    return context_value == policy_value


def _bool_equals(context_value: str, policy_value: str) -> bool:
    return context_value.lower() == policy_value.lower()


_OPERATORS = {
    # name: (compare one value, negated)
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "Bool": (_bool_equals, False),
}


def _condition_holds(operator: str, keys: dict, context: dict[str, str]) -> bool:
    if operator not in _OPERATORS:
        raise NotImplementedError(f"condition operator {operator}")
    compare, negated = _OPERATORS[operator]
    present = {key.lower(): value for key, value in context.items()}
    for key, values in keys.items():
        actual = present.get(key.lower())
        if actual is None:
            holds = negated
        else:
            matched = any(compare(actual, str(value)) for value in _listed(values))
            holds = not matched if negated else matched
        if not holds:
            return False
    return True


def _applies(statement: dict, request: Request) -> bool:
    unsupported = set(statement) - {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"}
    if unsupported:
        raise NotImplementedError(f"statement elements {unsupported}")
    return (
        _principal_matches(statement["Principal"], request)
        and any(_wildcard(action, request.action, ignore_case=True) for action in _listed(statement["Action"]))
        and any(_wildcard(resource, request.resource) for resource in _listed(statement["Resource"]))
        and all(_condition_holds(op, keys, request.context) for op, keys in statement.get("Condition", {}).items())
    )


def decide(policy: dict, request: Request) -> str:
    effects = {statement["Effect"] for statement in _listed(policy["Statement"]) if _applies(statement, request)}
    if "Deny" in effects:
        return EXPLICIT_DENY
    return ALLOW if "Allow" in effects else IMPLICIT_DENY
