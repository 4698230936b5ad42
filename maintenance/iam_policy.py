"""An evaluator of IAM policies, faithful to AWS's documented rules for what it supports.

The program uses it to say which operator policy grants what AWS refused (cli/access_denied.py);
the tests use it to prove what the bucket policy and the operator policies allow and deny.

From the IAM User Guide:
- "Policy evaluation logic": an explicit Deny in any statement overrides any Allow; a request
  that no statement allows is implicitly denied.
- "IAM JSON policy elements: Principal": identity-based policies have no Principal (they apply to
  whoever they are attached to); in a resource-based policy "*" is everyone, anonymous included.
- "IAM JSON policy elements: Action" / "NotAction" and "Resource": action names are not
  case-sensitive; `*` and `?` are wildcards in both; NotAction matches every action but those listed.
- "IAM JSON policy elements: Condition operators": StringEquals, StringNotEquals, StringLike,
  StringNotLike, Bool and Null. If a key is not in the request context the condition is false,
  except for negated operators (StringNotEquals, StringNotLike), which are then true; Null
  tests the key's presence ("true": absent).
- "Conditions with multiple context keys or values": several operators, and several keys under
  one operator, are ANDed; several policy values for one key are ORed (NORed for a negated operator).
- "Single-valued vs. multivalued context keys": ForAllValues is true when every value in the
  request matches one of the policy's values, and also when the key is absent (or, as here, has
  no value); ForAnyValue is true when at least one request value matches, false when absent.
- "IAM JSON policy elements: Condition": condition key names are not case-sensitive.
A multivalued key under an operator without a set operator, or anything else not listed here
(IfExists, IpAddress, NotResource, NotPrincipal, ...), raises NotImplementedError naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Union

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = "allow", "explicit deny", "implicit deny"
# What grant() answers when the statement that would allow a request has conditions that the
# request's context, unknown to the caller, may or may not meet.
CONDITIONAL = "conditional"

ContextValue = Union[str, list]


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    principal: tuple[str, str] | None = None  # ("Service", "cloudfront.amazonaws.com"); None is anonymous
    context: dict[str, ContextValue] = field(default_factory=dict)  # a list is a multivalued key


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _principal_matches(statement: dict, request: Request) -> bool:
    if "Principal" not in statement:  # an identity policy: it applies to its holder
        return True
    principal = statement["Principal"]
    if principal == "*":
        return True
    unknown = set(principal) - {"Service", "AWS"}
    if unknown:
        raise NotImplementedError(f"principal kinds {unknown}")
    if request.principal is None:
        return False
    kind, name = request.principal
    return name in _listed(principal.get(kind, []))


# name: (compare one request value with one policy value, negated)
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda actual, wanted: actual == wanted, False),
    "StringNotEquals": (lambda actual, wanted: actual == wanted, True),
    "StringLike": (lambda actual, wanted: wildcard_match(wanted, actual), False),
    "StringNotLike": (lambda actual, wanted: wildcard_match(wanted, actual), True),
    "Bool": (lambda actual, wanted: actual.lower() == wanted.lower(), False),
}
_SET_OPERATORS = ("ForAllValues", "ForAnyValue")


def _value_matches(operator: str, actual: str, wanted: list) -> bool:
    compare, negated = _OPERATORS[operator]
    matched = any(compare(actual, str(value)) for value in wanted)
    return not matched if negated else matched


def _key_holds(qualifier: str | None, operator: str, actual: ContextValue | None, wanted: list) -> bool:
    if operator == "Null":
        return (actual is None) == (str(wanted[0]).lower() == "true")
    if qualifier == "ForAllValues":
        return actual is None or all(_value_matches(operator, value, wanted) for value in _listed(actual))
    if qualifier == "ForAnyValue":
        return actual is not None and any(_value_matches(operator, value, wanted) for value in _listed(actual))
    if isinstance(actual, list):
        raise NotImplementedError(f"the multivalued key under {operator} without ForAllValues or ForAnyValue")
    if actual is None:
        return _OPERATORS[operator][1]
    return _value_matches(operator, actual, wanted)


def _split_operator(name: str) -> tuple[str | None, str]:
    qualifier, _, operator = name.rpartition(":")
    if qualifier and qualifier not in _SET_OPERATORS:
        raise NotImplementedError(f"condition operator {name}")
    if operator not in _OPERATORS and operator != "Null":
        raise NotImplementedError(f"condition operator {name}")
    return qualifier or None, operator


def _present(context: dict[str, ContextValue]) -> dict[str, ContextValue]:
    # A multivalued key with no value is treated as absent, as ForAllValues and Null see it.
    return {key.lower(): value for key, value in context.items() if value != []}


def conditions_hold(condition: dict, context: dict[str, ContextValue]) -> bool:
    present = _present(context)
    holds = True
    for name, keys in condition.items():
        qualifier, operator = _split_operator(name)  # every operator is checked, even after a false one
        for key, wanted in keys.items():
            holds = _key_holds(qualifier, operator, present.get(key.lower()), _listed(wanted)) and holds
    return holds


_ELEMENTS = {"Sid", "Effect", "Principal", "Action", "NotAction", "Resource", "Condition"}


def _action_matches(statement: dict, action: str) -> bool:
    unsupported = set(statement) - _ELEMENTS
    if unsupported:
        raise NotImplementedError(f"statement elements {unsupported}")
    if ("Action" in statement) == ("NotAction" in statement):
        raise ValueError(f"statement {statement.get('Sid', '')!r} must have exactly one of Action and NotAction")
    patterns = _listed(statement.get("Action", statement.get("NotAction")))
    matched = any(wildcard_match(pattern, action, ignore_case=True) for pattern in patterns)
    return matched if "Action" in statement else not matched


def _resource_matches(statement: dict, resource: str) -> bool:
    return any(wildcard_match(pattern, resource) for pattern in _listed(statement["Resource"]))


def statements(policy: dict) -> list[dict]:
    return _listed(policy["Statement"])


def decide(policy: dict, request: Request) -> str:
    effects = {
        statement["Effect"]
        for statement in statements(policy)
        if _principal_matches(statement, request)
        and _action_matches(statement, request.action)
        and _resource_matches(statement, request.resource)
        and conditions_hold(statement.get("Condition", {}), request.context)
    }
    if "Deny" in effects:
        return EXPLICIT_DENY
    return ALLOW if "Allow" in effects else IMPLICIT_DENY


def grant(policy: dict, action: str, resource: str) -> tuple[str, list[str]]:
    """Whether the policy allows ACTION on RESOURCE when the request's context is not known:
    ALLOW, CONDITIONAL (only if a statement's conditions are met) or IMPLICIT_DENY / EXPLICIT_DENY,
    with the Sids of the statements that decide it."""
    allowing, allowing_if, denying, denying_if = [], [], [], []
    for statement in statements(policy):
        if not (_action_matches(statement, action) and _resource_matches(statement, resource)):
            continue
        conditional = bool(statement.get("Condition"))
        if statement["Effect"] == "Deny":
            (denying_if if conditional else denying).append(statement.get("Sid", ""))
        else:
            (allowing_if if conditional else allowing).append(statement.get("Sid", ""))
    if denying:
        return EXPLICIT_DENY, denying
    if allowing and not denying_if:
        return ALLOW, allowing
    if allowing or allowing_if:
        return CONDITIONAL, allowing + allowing_if + denying_if
    return IMPLICIT_DENY, []
