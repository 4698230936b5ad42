"""The program's settings: every config key, parsed and validated in one place.

Both the Pulumi program and the `status` command build their Settings here, from
`pulumi.Config` or from a stack file, so a value that one accepts the other accepts too.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parseaddr
from pathlib import Path
from typing import Callable, Mapping, Optional
from urllib.parse import urlsplit

PROJECT = "api-maintenance"

DEFAULT_MESSAGE = "The API is down for scheduled maintenance. Please try again later."
MESSAGE_MAX_LENGTH = 500
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
# The status codes CloudFront accepts for a custom error response.
CLOUDFRONT_RESPONSE_CODES = (200, 400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504)
MAX_TTL = 86400
CERTIFICATE_REGION = "us-east-1"

_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_LOAD_BALANCER_NAME = re.compile(r"^(?!-)[A-Za-z0-9-]{1,32}(?<!-)$")
_CERTIFICATE_ARN = re.compile(
    r"^arn:aws:acm:(?P<region>[a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$"
)
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SettingsError(ValueError):
    """One or more config values are wrong; the message lists each with its fix."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Settings:
    stack: str
    maintenance: bool
    domain: str
    zone: str
    live_target: Optional[str]
    live_load_balancer: Optional[str]
    certificate_arn: Optional[str]
    ttl: int
    response_code: int
    price_class: str
    bucket_name: Optional[str]
    protect: bool
    message: str
    until: Optional[datetime]
    retry_after: int
    contact: Optional[str]
    region: Optional[str]

    @property
    def mode(self) -> str:
        return "maintenance" if self.maintenance else "live"


# Parsers take the raw string and return the typed value or raise ValueError("must be ...").


def _boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ValueError("must be true or false")


def _integer_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"must be a whole number from {low} to {high}") from None
        if not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return value

    return parse


def host_name(raw: str) -> str:
    """A DNS host name, lower-cased, without a trailing dot; an IP address is refused."""
    name = raw.strip().lower().rstrip(".")
    if _is_ip_address(name):
        raise ValueError("must be a host name, not an IP address (a CNAME points to a name)")
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError("must be a fully qualified host name such as api.example.com")
    return name


def _response_code(raw: str) -> int:
    allowed = ", ".join(str(code) for code in CLOUDFRONT_RESPONSE_CODES)
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(f"must be one of CloudFront's codes: {allowed}") from None
    if value not in CLOUDFRONT_RESPONSE_CODES:
        raise ValueError(f"must be one of CloudFront's codes: {allowed}")
    return value


def _price_class(raw: str) -> str:
    if raw.strip() not in PRICE_CLASSES:
        raise ValueError(f"must be one of {', '.join(PRICE_CLASSES)}")
    return raw.strip()


def _load_balancer_name(raw: str) -> str:
    if not _LOAD_BALANCER_NAME.match(raw.strip()):
        raise ValueError(
            "must be a load balancer name: 1 to 32 letters, digits and hyphens, "
            "not starting or ending with a hyphen"
        )
    return raw.strip()


def _certificate_arn(raw: str) -> str:
    match = _CERTIFICATE_ARN.match(raw.strip())
    if not match:
        raise ValueError("must be an ACM certificate ARN (arn:aws:acm:us-east-1:ACCOUNT:certificate/ID)")
    if match["region"] != CERTIFICATE_REGION:
        raise ValueError(
            f"must be a certificate in {CERTIFICATE_REGION}, not {match['region']}: "
            "CloudFront only takes certificates from there"
        )
    return raw.strip()


def _bucket_name(raw: str) -> str:
    name = raw.strip()
    problem = None
    if not _BUCKET_NAME.match(name):
        problem = "must be 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit"
    elif ".." in name:
        problem = "must not contain two dots in a row"
    elif _is_ip_address(name):
        problem = "must not look like an IP address"
    elif name.startswith(_BUCKET_RESERVED_PREFIXES) or name.endswith(_BUCKET_RESERVED_SUFFIXES):
        problem = "uses a prefix or suffix that S3 reserves"
    if problem:
        raise ValueError(problem)
    return name


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _message(raw: str) -> str:
    text = raw.strip()
    if not text:
        raise ValueError("must not be empty")
    if len(text) > MESSAGE_MAX_LENGTH:
        raise ValueError(f"must be at most {MESSAGE_MAX_LENGTH} characters, not {len(text)}")
    return text


def _until(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError("must be an ISO-8601 date-time such as 2026-12-01T06:00:00Z") from None
    if moment.tzinfo is None:
        raise ValueError("must say its time zone: end it with Z or an offset such as +01:00")
    return moment.astimezone(timezone.utc)


def _contact(raw: str) -> str:
    text = raw.strip()
    if text.lower().startswith("https://"):
        parts = urlsplit(text)
        if parts.hostname and "." in parts.hostname:
            return text
    elif parseaddr(text)[1] == text and _EMAIL.match(text):
        return text
    raise ValueError("must be an e-mail address or an https:// URL")


@dataclass(frozen=True)
class _Field:
    attribute: str
    parse: Callable[[str], object]
    example: str  # a value to show in the fix command
    default: object = None


_FIELDS: dict[str, _Field] = {
    "maintenance": _Field("maintenance", _boolean, "true", False),
    "domain": _Field("domain", host_name, "api.example.com"),
    "zone": _Field("zone", host_name, "example.com"),
    "liveTarget": _Field("live_target", host_name, "my-balancer-123.us-east-1.elb.amazonaws.com"),
    "liveLoadBalancer": _Field("live_load_balancer", _load_balancer_name, "my-balancer"),
    "certificateArn": _Field("certificate_arn", _certificate_arn, "arn:aws:acm:us-east-1:ACCOUNT:certificate/ID"),
    "ttl": _Field("ttl", _integer_between(0, MAX_TTL), "60", 60),
    "responseCode": _Field("response_code", _response_code, "200", 503),
    "priceClass": _Field("price_class", _price_class, "PriceClass_100", "PriceClass_100"),
    "bucketName": _Field("bucket_name", _bucket_name, "my-maintenance-page"),
    "protect": _Field("protect", _boolean, "true", False),
    "message": _Field("message", _message, "'Back at 06:00 UTC.'", DEFAULT_MESSAGE),
    "until": _Field("until", _until, "2026-12-01T06:00:00Z"),
    "retryAfter": _Field("retry_after", _integer_between(1, MAX_TTL), "300", 300),
    "contact": _Field("contact", _contact, "ops@example.com"),
}

KEYS = tuple(_FIELDS)


def _fix(key: str, stack: str, value: Optional[str] = None) -> str:
    example = value if value is not None else _FIELDS[key].example
    return f"pulumi config set {key} {example} -s {stack}"


def parse_settings(raw: Mapping[str, Optional[str]], stack: str, region: Optional[str] = None) -> Settings:
    """Build Settings from the raw strings of this project's config keys, or raise SettingsError."""
    problems: list[str] = []
    values: dict[str, object] = {}
    for key, field in _FIELDS.items():
        text = raw.get(key)
        if text is None:
            continue
        try:
            values[key] = field.parse(text)
        except ValueError as error:
            shown = text if len(text) <= 60 else text[:57] + "..."
            problems.append(f"{PROJECT}:{key} {error}, got {shown!r}. Fix: {_fix(key, stack)}")

    domain = values.get("domain")
    if raw.get("domain") is None:
        problems.append(f"{PROJECT}:domain is required: the API's host name. Fix: {_fix('domain', stack)}")
    zone = values.get("zone")
    if isinstance(domain, str) and raw.get("zone") is None:
        zone = domain.split(".", 1)[1]
    if isinstance(domain, str) and isinstance(zone, str) and not domain.endswith("." + zone):
        problems.append(
            f"{PROJECT}:domain {domain!r} is not inside {PROJECT}:zone {zone!r} "
            f"(a CNAME cannot sit at a zone's apex either). Fix: {_fix('zone', stack, domain.split('.', 1)[1])}"
        )

    has_target = raw.get("liveTarget") is not None
    has_balancer = raw.get("liveLoadBalancer") is not None
    if has_target == has_balancer:
        which = "both are set" if has_target else "neither is set"
        fix = f"pulumi config rm liveTarget -s {stack}" if has_target else _fix("liveLoadBalancer", stack)
        problems.append(
            f"{PROJECT}: set exactly one of liveTarget (a DNS name) and liveLoadBalancer "
            f"(a load balancer's name), but {which}. Fix: {fix}"
        )
    live_target = values.get("liveTarget")
    if live_target is not None and live_target == domain:
        problems.append(
            f"{PROJECT}:liveTarget {live_target!r} is the domain itself: the record would point at itself. "
            f"Fix: {_fix('liveTarget', stack)}"
        )

    if problems:
        raise SettingsError(problems)
    values["zone"] = zone
    return Settings(
        stack=stack,
        region=region,
        **{field.attribute: values.get(key, field.default) for key, field in _FIELDS.items()},
    )


def load_from_pulumi() -> Settings:
    """Settings of the running Pulumi stack; a bad value stops the program before any resource."""
    import pulumi

    config = pulumi.Config(PROJECT)
    raw = {key: config.get(key) for key in KEYS}
    try:
        return parse_settings(raw, pulumi.get_stack(), pulumi.Config("aws").get("region"))
    except SettingsError as error:
        raise pulumi.RunError(f"invalid configuration for stack {pulumi.get_stack()}:\n{error}") from None


def _as_config_text(value: object) -> Optional[str]:
    # YAML reads an unquoted true or 60 as a bool or int; Pulumi keeps every value as text.
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def load_from_stack_file(project_dir: Path, stack: str) -> Settings:
    """Settings from Pulumi.STACK.yaml, without the Pulumi CLI."""
    import yaml

    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise SettingsError([f"no stack file {path.name} in {project_dir}: is {stack!r} the stack's name?"])
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise SettingsError([f"{path.name} is not valid YAML: {error}"]) from None
    config = document.get("config") or {}
    prefix = PROJECT + ":"
    raw = {key[len(prefix):]: _as_config_text(value) for key, value in config.items() if key.startswith(prefix)}
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise SettingsError(
            [f"{path.name} sets unknown keys {', '.join(prefix + k for k in unknown)}; known keys: {', '.join(KEYS)}"]
        )
    return parse_settings(raw, stack, _as_config_text(config.get("aws:region")))
