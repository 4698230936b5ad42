"""Checks recorded resource inputs against the pulumi-aws SDK's own declarations, and AWS's limits.

The mock runtime accepts any property and applies no provider default, so this is what stands
between a green test run and a `pulumi up` that the provider or AWS rejects. For every custom
resource it finds the SDK class from the type token and walks the inputs through the `...Args`
class and its nested input types (the `@pulumi.getter(name=...)` declarations and their type
annotations). Every check it makes is counted; every failure is a Finding.
"""

from __future__ import annotations

import collections.abc
import difflib
import importlib
import inspect
import re
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import pulumi
from pulumi import _types as pulumi_types

OWNER_ENFORCED = "BucketOwnerEnforced"
OWNERSHIP_CONTROLS = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
# The docstring phrases the SDK uses for a deprecated property ("x is deprecated", "has been
# deprecated by Amazon S3", and the old BucketObject's `bucket` and `key`: "Use the
# `s3.BucketObjectv2` resource instead"), not a mention of another one ("`forwarded_values` (deprecated)").
_DEPRECATED_TEXT = re.compile(
    r"\b(is|are|has been|been) deprecated\b|^\s*\**deprecated\b|\bUse the `[^`]+` resource instead\b", re.I | re.M
)
_DOCUMENTED_DEFAULT = re.compile(r"Defaults to [\"`]*([^\"`\s,]+?)[\"`]*[.,\s]")


@dataclass(frozen=True)
class Finding:
    resource: str
    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.path}: {self.problem}"


@dataclass(frozen=True)
class DefaultRule:
    """An AWS rule that a value, set or defaulted by the provider, must keep."""

    prop: str  # Pulumi (camelCase) name
    applies: Callable[[str, dict, "Context"], bool]  # given the resource's type token and inputs
    allowed: Callable[[Optional[str]], bool]
    rule: str


@dataclass
class Context:
    """What the rules need to know about the whole run."""

    owner_enforced_buckets: set[str] = field(default_factory=set)


OBJECT_TYPES = ("aws:s3/bucketObject:BucketObject", "aws:s3/bucketObjectv2:BucketObjectv2")


def _object_in_owner_enforced_bucket(token: str, inputs: dict, context: Context) -> bool:
    return token in OBJECT_TYPES and inputs.get("bucket") in context.owner_enforced_buckets


RULES = (
    DefaultRule(
        "acl",
        _object_in_owner_enforced_bucket,
        lambda value: value in (None, "bucket-owner-full-control"),
        # S3 User Guide, "Troubleshooting" (object-ownership-error-responses): with Bucket owner
        # enforced, "All S3 PUT requests must either specify the bucket-owner-full-control canned
        # ACL or not specify an ACL, or these requests will fail" (AccessControlListNotSupported).
        "an owner-enforced bucket takes objects with no ACL or bucket-owner-full-control only",
    ),
)


class SchemaChecker:
    def __init__(self, rules: tuple[DefaultRule, ...] = RULES):
        self.rules = rules
        self.checks = 0
        self.findings: list[Finding] = []

    # --- whole runs ---------------------------------------------------------------------

    def check_run(self, resources: dict[str, dict], custom: dict[str, bool]) -> list[Finding]:
        """resources: name -> {"type", "inputs"}; custom: name -> is it a custom resource."""
        context = Context(
            owner_enforced_buckets={
                r["inputs"].get("bucket")
                for r in resources.values()
                if r["type"] == OWNERSHIP_CONTROLS and (r["inputs"].get("rule") or {}).get("objectOwnership") == OWNER_ENFORCED
            }
        )
        before = len(self.findings)
        for name, resource in resources.items():
            if custom.get(name, True):
                self.check_resource(name, resource["type"], resource["inputs"], context)
        return self.findings[before:]

    def check_resource(self, name: str, token: str, inputs: dict, context: Context | None = None) -> None:
        context = context or Context()
        self.checks += 1
        try:
            resource_class, args_class = sdk_classes(token)
        except LookupError as error:
            self._fail(name, token, str(error))
            return
        self.checks += 1
        if _resource_is_deprecated(resource_class):
            self._fail(name, token, "the SDK deprecates this resource")
        self.check_object(name, "", inputs, args_class)
        for rule in self.rules:
            if rule.prop not in pulumi_types.input_type_types(args_class) or not rule.applies(token, inputs, context):
                continue
            self.checks += 1
            value = inputs.get(rule.prop)
            source = "set to"
            if value is None:
                value, source = documented_default(args_class, rule.prop), "the SDK documents a default of"
            if not rule.allowed(value):
                self._fail(name, rule.prop, f"{source} {value!r}, but {rule.rule}")

    # --- objects and values ----------------------------------------------------------------

    def check_object(self, resource: str, path: str, value: dict, args_class: type) -> None:
        hints = pulumi_types._raw_return_hints(args_class)
        properties = {pulumi_name: prop for _, pulumi_name, prop in pulumi_types._py_properties(args_class)}
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            self.checks += 1
            if key not in hints:
                close = difflib.get_close_matches(key, hints, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                self._fail(resource, where, f"{args_class.__name__} declares no input {key!r}{hint}")
                continue
            self.checks += 1
            if _property_is_deprecated(properties[key]):
                self._fail(resource, where, "the SDK deprecates this input")
            self.check_value(resource, where, item, hints[key])
        for key in required_inputs(args_class):
            self.checks += 1
            if value.get(key) is None:
                where = f"{path}.{key}" if path else key
                self._fail(resource, where, f"required by {args_class.__name__} but missing")

    def check_value(self, resource: str, path: str, value: Any, hint: Any) -> None:
        self.checks += 1
        choices = _plain_types(hint)
        if value is None:
            if type(None) not in choices:
                self._fail(resource, path, "is None, which the SDK does not allow here")
            return
        matching = [choice for choice in choices if _shape_matches(value, choice)]
        if not matching:
            expected = " or ".join(_describe(choice) for choice in choices if choice is not type(None))
            self._fail(resource, path, f"expected {expected}, got {type(value).__name__} {_short(value)}")
            return
        choice = matching[0]
        origin = typing.get_origin(choice)
        if origin in (collections.abc.Sequence, list):
            (item_hint,) = typing.get_args(choice)
            for index, item in enumerate(value):
                self.check_value(resource, f"{path}[{index}]", item, item_hint)
        elif origin in (collections.abc.Mapping, dict):
            _, item_hint = typing.get_args(choice)
            for key, item in value.items():
                self.check_value(resource, f"{path}.{key}", item, item_hint)
        elif isinstance(choice, type) and pulumi_types.is_input_type(choice):
            self.check_object(resource, path, value, choice)

    def _fail(self, resource: str, path: str, problem: str) -> None:
        self.findings.append(Finding(resource, path, problem))


# --- the SDK's declarations ----------------------------------------------------------------


def sdk_classes(token: str) -> tuple[type, type]:
    """aws:s3/bucketObjectv2:BucketObjectv2 -> (pulumi_aws.s3.BucketObjectv2, ...BucketObjectv2Args)."""
    try:
        package, module_path, class_name = token.split(":")
    except ValueError:
        raise LookupError(f"{token!r} is not a type token") from None
    module_name = module_path.split("/")[0]
    module = importlib.import_module(f"pulumi_{package}" + ("" if module_name == "index" else f".{module_name}"))
    resource_class = getattr(module, class_name, None)
    if resource_class is None or getattr(resource_class, "pulumi_type", None) != token:
        raise LookupError(f"the pulumi-{package} SDK declares no resource {token}")
    # The Args class the resource's constructor fills: usually NameArgs, NameInitArgs where a nested
    # input type already has that name (s3.BucketServerSideEncryptionConfiguration).
    used = re.search(r"__props__ = (\w+)\.__new__", inspect.getsource(resource_class._internal_init))
    return resource_class, getattr(module, used.group(1))


def required_inputs(args_class: type) -> list[str]:
    """Pulumi names of the Args class's __init__ parameters without a default: how the SDK marks required."""
    names = pulumi_types.input_type_py_to_pulumi_names(args_class)
    return [
        names[parameter.name]
        for parameter in inspect.signature(args_class.__init__).parameters.values()
        if parameter.kind is parameter.KEYWORD_ONLY and parameter.default is parameter.empty
    ]


def documented_default(args_class: type, prop: str) -> Optional[str]:
    """The default an input's SDK docstring states ("Defaults to `private`."), if any."""
    for _, pulumi_name, prop_object in pulumi_types._py_properties(args_class):
        if pulumi_name == prop:
            match = _DOCUMENTED_DEFAULT.search((prop_object.fget.__doc__ or "") + " ")
            return match.group(1) if match else None
    return None


def _resource_is_deprecated(resource_class: type) -> bool:
    # The SDK marks a deprecated resource with warnings.warn(..., DeprecationWarning) in its class body.
    source = inspect.getsource(resource_class)
    return "DeprecationWarning" in source or bool(_DEPRECATED_TEXT.search(resource_class.__doc__ or ""))


def _property_is_deprecated(prop: property) -> bool:
    # @_utilities.deprecated(...) tags the getter; older SDKs only say so in the docstring.
    getter = prop.fget
    return "_pulumi_deprecated_callable" in getter.__dict__ or bool(_DEPRECATED_TEXT.search(getter.__doc__ or ""))


def _plain_types(hint: Any) -> list[Any]:
    """The plain types an input may hold: Input[T] is Union[T, Awaitable[T], Output[T]]."""
    if typing.get_origin(hint) is typing.Union:
        found = []
        for member in typing.get_args(hint):
            for plain in _plain_types(member):
                if plain not in found:
                    found.append(plain)
        return found
    origin = typing.get_origin(hint)
    if origin is collections.abc.Awaitable or hint is pulumi.Output or origin is pulumi.Output:
        return []
    return [hint]


def _shape_matches(value: Any, choice: Any) -> bool:
    if choice is Any:
        return True
    if choice is bool:
        return isinstance(value, bool)
    if choice is int:
        # Numbers cross the engine's wire as doubles, so the mock records 60 as 60.0.
        return isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()
    if choice is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if choice is str:
        return isinstance(value, str)
    origin = typing.get_origin(choice)
    if origin in (collections.abc.Sequence, list):
        return isinstance(value, list)
    if origin in (collections.abc.Mapping, dict):
        return isinstance(value, dict)
    if isinstance(choice, type) and pulumi_types.is_input_type(choice):
        return isinstance(value, dict)
    if isinstance(choice, type):
        return isinstance(value, choice)
    return False


def _describe(choice: Any) -> str:
    origin = typing.get_origin(choice)
    if origin in (collections.abc.Sequence, list):
        return "a list"
    if origin in (collections.abc.Mapping, dict):
        return "a map"
    if isinstance(choice, type) and pulumi_types.is_input_type(choice):
        return f"an object ({choice.__name__})"
    return getattr(choice, "__name__", str(choice))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- AWS's apply-time limits -------------------------------------------------------------

FUNCTION = "aws:cloudfront/function:Function"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
ACCESS_CONTROL = "aws:cloudfront/originAccessControl:OriginAccessControl"
IAM_POLICY = "aws:iam/policy:Policy"
KEY_VALUE_STORE = "aws:cloudfront/keyValueStore:KeyValueStore"
# The physical name Pulumi gives an auto-named resource: the logical name, "-" and 7 random hex
# digits (Pulumi docs, Concepts > Resources > Names; pulumi-terraform-bridge tfbridge AutoName:
# "an 8 character random suffix ("-"+7 random chars)", Randlen 7). The mock names them alike.
AUTONAME_RANDOM_HEX = 7
_FUNCTION_NAME_CHARACTERS = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Limit:
    token: str
    what: str
    measure: Callable[[str, dict, dict], Optional[int]]  # (logical name, inputs, outputs) -> size
    maximum: int
    source: str


def _physical_name(name: str, inputs: dict, outputs: dict) -> str:
    return inputs.get("name") or f"{name}-{'f' * AUTONAME_RANDOM_HEX}"


def _text_length(prop: str) -> Callable[[str, dict, dict], Optional[int]]:
    # A value of the wrong shape is the schema check's finding, not a limit's.
    return lambda name, inputs, outputs: len(inputs[prop]) if isinstance(inputs.get(prop), str) else None


def _policy_characters(name: str, inputs: dict, outputs: dict) -> Optional[int]:
    policy = inputs.get("policy")
    return len("".join(policy.split())) if isinstance(policy, str) else None


def _code_bytes(name: str, inputs: dict, outputs: dict) -> Optional[int]:
    code = inputs.get("code")
    return len(code.encode("utf-8")) if isinstance(code, str) else None


LIMITS = (
    Limit(FUNCTION, "name length", lambda n, i, o: len(_physical_name(n, i, o)), 64,
          "CloudFront API CreateFunction; pulumi-aws cloudfront.Function `name` docstring: 1 to 64 characters"),
    Limit(FUNCTION, "code size in bytes", _code_bytes, 10_000,
          "CloudFront Developer Guide, Quotas, CloudFront Functions: maximum function size 10 KB (read as 10,000 bytes)"),
    Limit(FUNCTION, "comment length", _text_length("comment"), 128,
          "CloudFront API Reference, FunctionConfig: the comment cannot be longer than 128 characters"),
    Limit(DISTRIBUTION, "comment length", _text_length("comment"), 128,
          "CloudFront API Reference, DistributionConfig: the comment cannot be longer than 128 characters"),
    Limit(ACCESS_CONTROL, "name length", lambda n, i, o: len(_physical_name(n, i, o)), 64,
          "CloudFront API Reference, OriginAccessControlConfig: Name, up to 64 characters; "
          "terraform-provider-aws StringLenBetween(1, 64)"),
    Limit(ACCESS_CONTROL, "description length", _text_length("description"), 256,
          "terraform-provider-aws, which pulumi-aws wraps: OAC description StringLenBetween(0, 256)"),
    Limit(KEY_VALUE_STORE, "name length", lambda n, i, o: len(_physical_name(n, i, o)), 64,
          "terraform-provider-aws, cloudfront/key_value_store.go: name LengthBetween(1, 64)"),
    Limit(IAM_POLICY, "policy size in characters other than white space", _policy_characters, 6144,
          "IAM User Guide, IAM and AWS STS quotas: managed policy size 6,144 characters, white space not counted"),
    Limit(IAM_POLICY, "description length", _text_length("description"), 1000,
          "IAM API Reference, CreatePolicy: Description, maximum length of 1000"),
)


def check_limits(checker: SchemaChecker, resources: dict[str, dict], limits: tuple[Limit, ...] = LIMITS) -> None:
    for name, resource in resources.items():
        for limit in limits:
            if resource["type"] != limit.token:
                continue
            checker.checks += 1
            size = limit.measure(name, resource["inputs"], resource.get("outputs", {}))
            if size is not None and size > limit.maximum:
                checker._fail(name, limit.what, f"{size} is over AWS's limit of {limit.maximum} ({limit.source})")
        if resource["type"] in (FUNCTION, KEY_VALUE_STORE):
            # The store's name: `^[a-zA-Z0-9-_]{1,64}$` (terraform-provider-aws, cloudfront/key_value_store.go).
            checker.checks += 1
            physical = _physical_name(name, resource["inputs"], resource.get("outputs", {}))
            if not _FUNCTION_NAME_CHARACTERS.match(physical):
                checker._fail(name, "name", f"{physical!r} has characters other than letters, digits, - and _")
