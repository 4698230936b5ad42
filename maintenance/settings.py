"""The program's settings: every config key, parsed and validated in one place.

Both the Pulumi program and the `status` command build their Settings here, from
`pulumi.Config` or from a stack file, so a value that one accepts the other accepts too.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parseaddr
from pathlib import Path
from typing import Callable, Mapping, Optional
from urllib.parse import urlsplit

import idna
import yaml

from .edge import FunctionTooLarge, live_routing, render_function_code

PROJECT = "api-maintenance"
# The namespaces a stack's config may use besides the project's own: the AWS provider's, and the
# engine's (pulumi:tags, pulumi:disable-default-providers). A namespace is a package's or the
# project's name (Pulumi docs, "Configuration", Configuration Keys); this program uses no other
# package, so a key anywhere else is a typo that Pulumi would hand over unread.
OTHER_NAMESPACES = ("aws", "pulumi")
# Pulumi's rule for a stack's own name (pulumi/pulumi, validateStackName: ^[A-Za-z0-9_.-]{1,100}$).
_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")

DEFAULT_MESSAGE = "The API is down for scheduled maintenance. Please try again later."
MESSAGE_MAX_LENGTH = 500
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
# The page's status codes: those CloudFront allows on its own error pages (custom error responses),
# all of which mean something for a page that stands in for the API; 503 is RFC 9110's for a window.
# Not 405 or 416: a 405 must carry Allow and a 416 should carry Content-Range (RFC 9110, 15.5.6 and
# 15.5.17), which the page has not.
CLOUDFRONT_RESPONSE_CODES = (200, 400, 403, 404, 414, 500, 501, 502, 503, 504)
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
    # Credentials (CREDENTIALS): never in a repr, so a traceback or a debug print cannot show them.
    notify_url: Optional[str] = field(repr=False)
    operator_policies: bool
    live_path: str
    live_origin: bool
    bypass_token: Optional[str] = field(repr=False)
    bypass_cidrs: tuple[str, ...]
    bypass_paths: tuple[str, ...]
    region: Optional[str]

    @property
    def mode(self) -> str:
        return "maintenance" if self.maintenance else "live"


# Parsers take the raw string and return the typed value or raise ValueError("must be ...").


def _boolean(raw: str) -> bool:
    # Exactly the words pulumi.Config.get_bool takes (pulumi/config.py, Config._get_bool).
    if raw in ("true", "True", "false", "False"):
        return raw.lower() == "true"
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


class _Refused(ValueError):
    """A value refused with the value that would be accepted in its place (shown in the fix)."""

    def __init__(self, problem: str, instead: str):
        super().__init__(problem)
        self.instead = instead


def host_name(raw: str) -> str:
    """A DNS host name, lower-cased, without a trailing dot; an IP address is refused."""
    name = raw.strip().lower().rstrip(".")
    if is_ip_address(name):
        raise ValueError("must be a host name, not an IP address (a CNAME points to a name)")
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        if not name.isascii():
            _refuse_unicode(name)
        raise ValueError("must be a fully qualified host name such as api.example.com")
    return name


def _refuse_unicode(name: str) -> None:
    # Route 53 takes hosted zone and record names in ASCII only, an internationalized name in its
    # Punycode (xn--) form (Route 53 Developer Guide, "DNS domain name format"); the idna package
    # converts as browsers do (UTS #46, non-transitional).
    try:
        ascii_name = host_name(idna.encode(name, uts46=True).decode("ascii"))
    except ValueError:  # idna.IDNAError too: no ASCII form, or one that is no host name either
        return
    raise _Refused(f"must be written in its ASCII (xn--) form, {ascii_name}", ascii_name)


def _response_code(raw: str) -> int:
    allowed = ", ".join(str(code) for code in CLOUDFRONT_RESPONSE_CODES)
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(f"must be one of the page's status codes: {allowed}") from None
    if value not in CLOUDFRONT_RESPONSE_CODES:
        raise ValueError(f"must be one of the page's status codes: {allowed}")
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


def bucket_name(raw: str) -> str:
    """An S3 bucket name as the program takes it (S3 User Guide, "General purpose bucket naming rules")."""
    name = raw.strip()
    problem = None
    if not _BUCKET_NAME.match(name):
        problem = "must be 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit"
    elif ".." in name:
        problem = "must not contain two dots in a row"
    elif is_ip_address(name):
        problem = "must not look like an IP address"
    elif name.startswith(_BUCKET_RESERVED_PREFIXES) or name.endswith(_BUCKET_RESERVED_SUFFIXES):
        problem = "uses a prefix or suffix that S3 reserves"
    if problem:
        raise ValueError(problem)
    return name


def is_ip_address(text: str) -> bool:
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
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00 is in the year 10000 in UTC
        raise ValueError("must fall between the years 1 and 9999 in UTC") from None


def _contact(raw: str) -> str:
    text = raw.strip()
    if text.lower().startswith("https://"):
        parts = urlsplit(text)
        if parts.hostname and "." in parts.hostname:
            return text
    elif parseaddr(text)[1] == text and _EMAIL.match(text):
        return text
    raise ValueError("must be an e-mail address or an https:// URL")


def _live_path(raw: str) -> str:
    """The path that off, preflight --to live and status --http request of the live API: one it answers."""
    text = raw.strip()
    if (not text.startswith("/") or len(text) > 200 or "#" in text
            or not all(character.isascii() and character.isprintable() and not character.isspace()
                       for character in text)):
        raise ValueError("must be a URL path the live API answers, such as /health (at most 200 characters)")
    return text


def notify_url(raw: str) -> str:
    """Where the window commands POST their notices: an https:// URL with a host, as a Slack
    incoming webhook's is. Plain http would put the URL, its own credential, on the wire in clear text."""
    text = raw.strip()
    parts = urlsplit(text)
    try:
        parts.port  # refuses a port that is no number or out of range
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() != "https" or not parts.hostname:
        raise ValueError("must be an https:// URL such as https://hooks.slack.com/services/...")
    return text


BYPASS_RULES_MAX = 20
BYPASS_PATH_MAX_LENGTH = 64
_BYPASS_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
# What a bypass path may hold: an absolute path's characters (RFC 3986, 3.3), no query or fragment, and
# none of what the function refuses to pass by a prefix (a percent-escape, a segment that starts with a dot,
# as the dot segments . and .. do, an empty one).
_BYPASS_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$")


def _bypass_token(raw: str) -> str:
    if not _BYPASS_TOKEN.fullmatch(raw):
        raise ValueError("must be 32 to 128 characters of A-Z, a-z, 0-9, _ and -")
    return raw


def _list_of(what: str, rule: str, parse: Callable[[str], str]) -> Callable[[str], tuple[str, ...]]:
    """A list setting, as Pulumi hands a YAML list to the program (its JSON text), or as comma-separated text.

    parse takes an entry, or raises what is wrong with it (_Refused: with its correction). Every bad entry
    is named at once, and the fix is the operator's own list mended: an entry with a correction in its
    place, one without it dropped, at most BYPASS_RULES_MAX kept.
    """
    def parse_list(raw: str) -> tuple[str, ...]:
        text = raw.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError:
                items = None
            if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
                raise ValueError(f"must be a list of {what}")
        else:
            items = [item for item in text.split(",") if item.strip()]
        wrong, mended = [], []
        for item in items:
            try:
                mended.append(parse(item.strip()))
            except _Refused as error:
                wrong.append(str(error))
                mended.append(error.instead)
            except ValueError as error:
                wrong.append(str(error))
        mended = list(dict.fromkeys(mended))
        problems = [f"must be a list of {rule}: {'; '.join(wrong)}"] if wrong else []
        if len(mended) > BYPASS_RULES_MAX:
            problems.append(f"must hold at most {BYPASS_RULES_MAX} {what}, not {len(mended)} (the fix keeps the first "
                            f"{BYPASS_RULES_MAX})")
        if problems:
            raise _Refused("; and ".join(problems), json.dumps(mended[:BYPASS_RULES_MAX]))
        return tuple(mended)

    return parse_list


def _cidr(text: str) -> str:
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(f"{text!r} is not one") from None
        raise _Refused(f"{text!r} has host bits set, it means {network.compressed}", network.compressed) from None
    if network.prefixlen == 0:
        raise ValueError(f"{text!r} would pass every IPv{network.version} viewer (for no window, set maintenance false)")
    return network.compressed


def _bypass_path(text: str) -> str:
    if text == "/":
        raise ValueError("'/' alone would pass every request (for no window, set maintenance false)")
    if (len(text) > BYPASS_PATH_MAX_LENGTH or not _BYPASS_PATH.fullmatch(text) or "//" in text or "/." in text):
        raise ValueError(f"{text[:70]!r} is not one")
    return text


_CIDRS_RULE = "IPv4 or IPv6 CIDRs without host bits, such as 203.0.113.0/24"
_PATHS_RULE = (f"URL path prefixes that start with / (at most {BYPASS_PATH_MAX_LENGTH} characters; no query, no "
               "%-escape, no empty segment and none that starts with a dot), such as /webhooks/")


@dataclass(frozen=True)
class _Field:
    attribute: str
    parse: Callable[[str], object]
    example: str  # a value to show in the fix command
    default: object = None
    hidden: bool = False  # a credential: an error never shows its value


_FIELDS: dict[str, _Field] = {
    "maintenance": _Field("maintenance", _boolean, "true", False),
    "domain": _Field("domain", host_name, "api.example.com"),
    "zone": _Field("zone", host_name, "example.com"),
    "liveTarget": _Field("live_target", host_name, "my-balancer-123.us-east-1.elb.amazonaws.com"),
    "liveLoadBalancer": _Field("live_load_balancer", _load_balancer_name, "my-balancer"),
    "certificateArn": _Field("certificate_arn", _certificate_arn, "arn:aws:acm:us-east-1:ACCOUNT:certificate/ID"),
    "ttl": _Field("ttl", _integer_between(0, MAX_TTL), "60", 60),
    "responseCode": _Field("response_code", _response_code, "503", 503),
    "priceClass": _Field("price_class", _price_class, "PriceClass_100", "PriceClass_100"),
    "bucketName": _Field("bucket_name", bucket_name, "my-maintenance-page"),
    "protect": _Field("protect", _boolean, "true", False),
    "message": _Field("message", _message, "'Back at 06:00 UTC.'", DEFAULT_MESSAGE),
    "until": _Field("until", _until, "2026-12-01T06:00:00Z"),
    "retryAfter": _Field("retry_after", _integer_between(1, MAX_TTL), "300", 300),
    "contact": _Field("contact", _contact, "ops@example.com"),
    # Read by the window commands only: the program declares no resource from it (tests/test_program.py).
    "notifyUrl": _Field("notify_url", notify_url, "--secret https://hooks.slack.com/services/...", hidden=True),
    "operatorPolicies": _Field("operator_policies", _boolean, "false", True),
    # Read by the window commands only, like notifyUrl: the path their checks request of the live API.
    "livePath": _Field("live_path", _live_path, "/health", "/"),
    # The distribution's second origin, the live API, and the store whose `mode` key follows the toggle.
    "liveOrigin": _Field("live_origin", _boolean, "true", False),
    "bypassToken": _Field(
        "bypass_token", _bypass_token,
        "--secret \"$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')\"", hidden=True),
    "bypassCidrs": _Field("bypass_cidrs", _list_of("CIDRs", _CIDRS_RULE, _cidr), "'[\"203.0.113.0/24\"]'", ()),
    "bypassPaths": _Field("bypass_paths", _list_of("path prefixes", _PATHS_RULE, _bypass_path), "'[\"/webhooks/\"]'", ()),
}
# The settings that only a live origin can act on.
LIVE_ORIGIN_KEYS = ("bypassToken", "bypassCidrs", "bypassPaths")

KEYS = tuple(_FIELDS)
# The keys that say where the record points: a reader without Pulumi (status) needs them in clear text.
SWITCH_KEYS = ("maintenance", "domain", "zone", "liveTarget", "liveLoadBalancer")


def parse_value(key: str, raw: str) -> object:
    """One key's value as the program reads it; ValueError("must ...") when the program would refuse it."""
    return _FIELDS[key].parse(raw)


def _fix(key: str, stack: str, value: Optional[str] = None) -> str:
    example = value if value is not None else _FIELDS[key].example
    return f"pulumi config set {key} {example} -s {stack}"


def _unknown_key_problems(config: Mapping[str, object], stack: str) -> list[str]:
    """A problem for each key, in any namespace, that the program would not read: a typo that
    would silently leave its setting at the default (`maintenence`, `api-maintenence:maintenance`)."""
    problems = []
    for full_key in sorted(config):
        namespace, _, name = full_key.partition(":")
        if namespace in OTHER_NAMESPACES or _is_setting(full_key):
            continue
        where = (
            "is not a setting of this program" if namespace == PROJECT else
            f"is in the namespace {namespace}, which this program does not read (its settings are "
            f"{PROJECT}:KEY; {' and '.join(OTHER_NAMESPACES)} keys are allowed too)"
        )
        remove = f"pulumi config rm {name if namespace == PROJECT else full_key} -s {stack}"
        close = difflib.get_close_matches(name, KEYS, n=1)
        if not close:
            problems.append(f"{full_key} {where}; known keys: {', '.join(KEYS)}. Fix: {remove}")
            continue
        meant = close[0]
        problems.append(
            f"{full_key} {where}: did you mean {PROJECT}:{meant}? "
            f"Fix: {remove}, then {_fix(meant, stack, _value_for(meant, config[full_key]))}"
        )
    return problems


def _is_setting(full_key: str) -> bool:
    namespace, _, name = full_key.partition(":")
    return namespace == PROJECT and name in _FIELDS


def _value_for(key: str, held: object) -> Optional[str]:
    """The value a mistyped key held, quoted for the shell, if the key it meant takes it."""
    if not isinstance(held, str):  # a secret: its value is not shown
        return None
    try:
        _FIELDS[key].parse(held)
    except ValueError:
        return None
    return shlex.quote(held)


def parse_settings(raw: Mapping[str, Optional[str]], stack: str) -> Settings:
    """Build Settings from the raw strings of the keys set in this project's config namespace,
    or raise SettingsError listing every problem (unknown keys included)."""
    return settings_from_config({f"{PROJECT}:{key}": value for key, value in raw.items()}, stack)


def settings_from_config(config: Mapping[str, object], stack: str) -> Settings:
    """Build Settings from every config key the stack sets, NAMESPACE:NAME to the text Pulumi hands
    the program (SECRET where it must not be shown), or raise SettingsError listing every problem."""
    problems = _unknown_key_problems(config, stack)
    region = config.get("aws:region")
    prefix = PROJECT + ":"
    raw = {key[len(prefix):]: value for key, value in config.items() if key.startswith(prefix)}
    values: dict[str, object] = {}
    for key, spec in _FIELDS.items():
        text = raw.get(key)
        if not isinstance(text, str):
            continue
        try:
            values[key] = spec.parse(text)
        except ValueError as error:
            shown = text if len(text) <= 60 else text[:57] + "..."
            got = "" if spec.hidden else f", got {shown!r}"
            instead = shlex.quote(error.instead) if isinstance(error, _Refused) else None
            problems.append(f"{PROJECT}:{key} {error}{got}. Fix: {_fix(key, stack, instead)}")

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

    if not values.get("liveOrigin"):
        for key in LIVE_ORIGIN_KEYS:
            if raw.get(key) is not None:
                problems.append(
                    f"{PROJECT}:{key} lets requests through to the live API, which needs {PROJECT}:liveOrigin true. "
                    f"Fix: {_fix('liveOrigin', stack)}, or pulumi config rm {key} -s {stack}"
                )

    if problems:
        raise SettingsError(problems)
    values["zone"] = zone
    settings = Settings(
        stack=stack,
        region=region if isinstance(region, str) else None,
        **{spec.attribute: values.get(key, spec.default) for key, spec in _FIELDS.items()},
    )
    if problem := function_size_problem(settings):
        raise SettingsError([f"{problem}. Fix: {_fix('message', stack)}, or fewer or shorter bypassPaths and bypassCidrs"])
    return settings


def function_size_problem(settings: Settings) -> Optional[str]:
    """Why these settings' edge function is over CloudFront's size limit, or None.

    Only with the live origin, whose function carries the message and every bypass rule: the costliest
    message with most rules at their longest is refused here, before CloudFront's API would refuse it.
    """
    if not settings.live_origin:
        return None
    try:
        render_function_code(settings.message, settings.until, settings.retry_after, settings.response_code,
                             live_routing(settings))
    except FunctionTooLarge as error:
        return f"{PROJECT}: {error}"
    return None


def _runtime_config() -> dict[str, object]:
    """Every config key the running program was given, in any namespace, with its text
    (SECRET for a secret, which an error message must not show)."""
    from pulumi.runtime import config as runtime_config

    # Pulumi's Python language host hands the program all of the stack's config as JSON in
    # PULUMI_CONFIG (pulumi/pulumi sdk/python/cmd/pulumi-language-python/main.go, pulumiConfigVar),
    # which get_config_env() reads; the mock runtime and the Automation API fill CONFIG instead.
    # Which are secrets: PULUMI_CONFIG_SECRET_KEYS from the language host (the same main.go,
    # pulumiConfigSecretKeysVar), or the list set_all_config was given.
    secret = set(runtime_config.get_config_secret_keys_env())
    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    return {
        key: SECRET if (key in secret or runtime_config.is_config_secret(key)) and not _is_setting(key)
        else runtime_config.get_config(key)
        for key in keys
    }


# Why a key must be a secret: a stack file is kept in version control.
CREDENTIALS = {
    # Slack's own guides tell not to keep a webhook URL in source code (docs.slack.dev, Java Slack
    # SDK, "Incoming webhooks", Tip).
    "notifyUrl": "a webhook URL is a credential (whoever has it can post)",
    "bypassToken": "the bypass token is a credential (whoever has it gets past the maintenance page)",
}


# The credentials this program can make anew: one that was in clear text, and so may be in the stack
# file's history, is replaced rather than kept.
RENEWABLE = {"bypassToken"}


def _in_clear(key: str, where: str, stack: str) -> str:
    fix = (f"a new one, since the old one may be in the file's history: {_fix(key, stack)}" if key in RENEWABLE
           else f"pulumi config set --secret {key} \"$(pulumi config get {key} -s {stack})\" -s {stack}")
    return f"{PROJECT}:{key} in {where} is in clear text, but {CREDENTIALS[key]}. Fix: {fix}"


def _credentials_in_clear(stack: str) -> list[str]:
    from pulumi.runtime import config as runtime_config

    secret = set(runtime_config.get_config_secret_keys_env())
    return [
        _in_clear(key, f"Pulumi.{stack}.yaml", stack) for key in CREDENTIALS
        if runtime_config.get_config(f"{PROJECT}:{key}") is not None
        and f"{PROJECT}:{key}" not in secret and not runtime_config.is_config_secret(f"{PROJECT}:{key}")
    ]


def load_from_pulumi() -> Settings:
    """Settings of the running Pulumi stack; a bad value stops the program before any resource."""
    import pulumi

    try:
        settings = settings_from_config(_runtime_config(), pulumi.get_stack())
        if problems := _credentials_in_clear(pulumi.get_stack()):
            raise SettingsError(problems)
        return settings
    except SettingsError as error:
        raise pulumi.RunError(f"invalid configuration for stack {pulumi.get_stack()}:\n{error}") from None


class Secret:
    """A `secure:` value in a stack file: ciphertext only Pulumi can decrypt."""

    def __repr__(self) -> str:
        return "Secret()"


SECRET = Secret()


def read_stack_config(path: Path) -> dict[str, object]:
    """The config section of a stack file as the Pulumi engine hands it to the program.

    Each value is the text Pulumi passes: a scalar's source text exactly as written (`yes` stays
    "yes", `True` stays "True"), because Pulumi decodes each value into a Go string first
    (pulumi/pulumi sdk/go/common/resource/config/value.go, unmarshalValue: "First, try to unmarshal
    as a string") and go-yaml sets a string from the scalar's own text (go-yaml decode.go,
    decoder.scalar, `out.SetString(n.Value)`). A list or map becomes its JSON text, and
    `{secure: ...}` becomes SECRET. Raises SettingsError naming the problem and its fix.
    """
    def problem(text: str) -> SettingsError:
        return SettingsError([f"{path.name}: {text}"])

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SettingsError([
            f"no stack file {path.name} in {path.parent}: is {path.name[len('Pulumi.'):-len('.yaml')]!r} "
            "the stack's name? Fix: run pulumi stack ls, or give the folder that holds the file with --cwd"
        ]) from None
    except OSError as error:  # permission denied, a folder in the file's place
        raise problem(f"cannot be read ({error.strerror}). Fix: make it a file that this user may read (ls -l {path})") from None
    try:
        # Pulumi strips a UTF-8 byte-order mark (workspace/loaders.go, readFileStripUTF8BOM).
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise problem(
            f"line {line} is not UTF-8 text (byte {data[error.start]:#04x}); Pulumi reads stack files as UTF-8. "
            "Fix: save the file as UTF-8"
        ) from None
    try:
        document = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise problem(_yaml_problem(error, text)) from None
    except RecursionError:
        raise problem(
            "nests lists or mappings too deeply to read. Fix: write each setting as `"
            f"{PROJECT}:KEY: VALUE`, a plain value"
        ) from None
    if document is None:
        return {}
    if not isinstance(document, yaml.MappingNode):
        raise problem(
            f"must be a YAML mapping with a config: section, not a {_node_kind(document)}. "
            f"Fix: start the file with `config:` and indent each `{PROJECT}:KEY: VALUE` under it"
        )
    section = next((value for key, value in document.value if _is_text(key) and key.value == "config"), None)
    if section is None or _is_null(section):
        return {}
    if not isinstance(section, yaml.MappingNode):
        raise problem(
            f"config: (line {section.start_mark.line + 1}) must be a mapping of KEY: VALUE lines, not a "
            f"{_node_kind(section)}. Fix: write each setting as `  {PROJECT}:KEY: VALUE` without a leading dash"
        )
    config: dict[str, object] = {}
    for key, value in section.value:
        if not _is_text(key) or key.value.count(":") != 1:
            shown = key.value if isinstance(key, yaml.ScalarNode) else _node_kind(key)
            raise problem(
                f"config key {shown!r} (line {key.start_mark.line + 1}) is not NAMESPACE:NAME text, which "
                f"Pulumi requires. Fix: write it as {PROJECT}:KEY, e.g. {PROJECT}:maintenance"
            )
        if key.value in config:
            raise problem(
                f"config key {key.value!r} is set twice (the second time on line {key.start_mark.line + 1}), so "
                "which value applies is unclear. Fix: delete one of the two lines"
            )
        try:
            config[key.value] = _config_value(value)
        except (yaml.YAMLError, ValueError, TypeError, RecursionError) as error:
            raise problem(
                f"the value of {key.value} (line {value.start_mark.line + 1}) cannot be read: {error}. "
                "Fix: write it as plain text, a list or a mapping"
            ) from None
    return config


def _yaml_problem(error: yaml.YAMLError, text: str) -> str:
    if isinstance(error, yaml.reader.ReaderError):  # a character YAML does not allow
        line = text.count("\n", 0, error.position) + 1
        return (f"line {line} holds the character U+{error.character:04X}, which YAML does not allow. "
                "Fix: delete it, or write it as an escape in double quotes (\"\\x01\")")
    mark = getattr(error, "problem_mark", None)
    if mark is None:
        return f"is not valid YAML: {error}. Fix: correct it, or restore it from version control"
    what = ", ".join(filter(None, (getattr(error, "context", None), getattr(error, "problem", None))))
    return (
        f"line {mark.line + 1}, column {mark.column + 1} is not valid YAML ({what}). Fix: correct that line: "
        f"each setting sits under config: as `  {PROJECT}:KEY: VALUE`, and a value that holds `: ` or ` #`, "
        "or starts with a bracket or a quote, goes in quotes"
    )


def _is_text(node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null"


def _is_null(node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _node_kind(node) -> str:
    return {yaml.SequenceNode: "list", yaml.MappingNode: "mapping"}.get(type(node), "single value")


def _config_value(node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return "" if _is_null(node) else node.value
    if isinstance(node, yaml.MappingNode) and len(node.value) == 1:
        key, value = node.value[0]
        if isinstance(key, yaml.ScalarNode) and key.value == "secure" and isinstance(value, yaml.ScalarNode):
            return SECRET
    loader = yaml.SafeLoader("")
    return json.dumps(loader.construct_object(node, deep=True), sort_keys=True, separators=(",", ":"), default=str)


def _stack_file(project_dir: Path, stack: str) -> Path:
    """The stack's settings file: Pulumi.STACK.yaml, named after the stack's own name.

    A qualified name (ORG/STACK, ORG/PROJECT/STACK) names the same file as its last part: the CLI
    looks for the file by the stack reference's name alone (pulumi/pulumi pkg/cmd/pulumi,
    loadProjectStack: DetectProjectStackPath(stack.Ref().Name().Q())).
    """
    parts = stack.split("/")
    if len(parts) > 3 or any(part in (".", "..") for part in parts) or "\\" in stack:
        raise SettingsError([
            f"the stack {stack!r} is a path, not a stack name. Fix: give the stack's name, and the folder "
            f"that holds its Pulumi.STACK.yaml with --cwd (e.g. production --cwd ../api-maintenance)"
        ])
    if not all(_STACK_NAME.match(part) for part in parts):
        raise SettingsError([
            f"the stack {stack!r} is not a stack name: Pulumi's are 1 to 100 letters, digits, hyphens, "
            f"underscores and periods, optionally after ORG/ or ORG/PROJECT/. Fix: run pulumi stack ls to see them"
        ])
    if len(parts) == 3 and parts[1] != PROJECT:
        raise SettingsError([
            f"the stack {stack!r} belongs to the project {parts[1]}, not {PROJECT}. Fix: name a stack of this project"
        ])
    return project_dir / f"Pulumi.{parts[-1]}.yaml"


def stack_file_path(project_dir: Path, stack: str) -> Path:
    """Pulumi.STACK.yaml for the stack's name (ORG/ and ORG/PROJECT/ dropped); SettingsError for a name that is no stack's."""
    return _stack_file(project_dir, stack)


# Why a key a command needs is no secret: the fix drops --secret without losing anything.
_NO_SECRET = {
    "maintenance": "it only says whether maintenance is on, which the public DNS record shows anyway",
}


def load_from_stack_file(project_dir: Path, stack: str, needs: tuple[str, ...] = SWITCH_KEYS) -> Settings:
    """Settings from Pulumi.STACK.yaml, without the Pulumi CLI, read as the engine reads it.

    A secret (`secure:`) value cannot be read here: for a key in `needs` that is an error,
    for any other key it is left out (its default applies).
    """
    path = _stack_file(project_dir, stack)
    config = read_stack_config(path)
    problems = []
    for key in needs:
        if config.get(f"{PROJECT}:{key}") is SECRET:
            reason = _NO_SECRET.get(key, "it names a resource")
            value = "false" if key == "maintenance" else "VALUE"
            problems.append(
                f"{PROJECT}:{key} in {path.name} is a secret, which only Pulumi can decrypt, and it is needed "
                f"here in clear text ({reason}; it is no secret). "
                f"Fix: pulumi config set {key} {value} -s {stack} (without --secret)"
            )
    problems += [_in_clear(key, path.name, stack) for key in CREDENTIALS if isinstance(config.get(f"{PROJECT}:{key}"), str)]
    if problems:
        raise SettingsError(problems)
    return settings_from_config(config, stack)


def passphrase_problem(stack_file_path: Path, environ: Mapping[str, str]) -> Optional[str]:
    """Why Pulumi will stop on this stack's secrets before it changes anything, or None.

    A stack file with `encryptionsalt` keeps its secrets with the passphrase provider, which takes the
    passphrase from PULUMI_CONFIG_PASSPHRASE, else from the file PULUMI_CONFIG_PASSPHRASE_FILE names
    (set counts, even empty: os.LookupEnv), and without either fails when it cannot prompt: "passphrase
    must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
    (pulumi/pulumi pkg/secrets/passphrase, readPassphraseImpl). A file that cannot be read is left to
    read_stack_config to report.
    """
    if "PULUMI_CONFIG_PASSPHRASE" in environ or "PULUMI_CONFIG_PASSPHRASE_FILE" in environ:
        return None
    try:
        document = yaml.safe_load(stack_file_path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None
    if not isinstance(document, dict) or not document.get("encryptionsalt"):
        return None
    return (
        f"{stack_file_path.name} keeps its secrets with a passphrase (encryptionsalt), and neither "
        "PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set in this shell. Fix: export "
        "PULUMI_CONFIG_PASSPHRASE_FILE=FILE (a file holding the stack's passphrase) or "
        "PULUMI_CONFIG_PASSPHRASE, then run this again"
    )
