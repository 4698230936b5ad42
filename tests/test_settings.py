"""Settings parsed and validated without Pulumi: defaults, normalisation, the stack-file reader."""

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from maintenance.settings import (
    DEFAULT_MESSAGE, SettingsError, load_from_stack_file, parse_settings, parse_value, settings_from_config,
)

ROOT = Path(__file__).resolve().parent.parent


def test_defaults():
    settings = parse_settings({"domain": "API.Example.com.", "liveTarget": "live.example.net"}, "dev")
    assert settings.domain == "api.example.com"
    assert settings.zone == "example.com"
    assert (settings.maintenance, settings.mode, settings.ttl, settings.response_code) == (False, "live", 60, 503)
    assert (settings.price_class, settings.protect) == ("PriceClass_100", False)
    assert (settings.message, settings.until, settings.retry_after, settings.contact) == (DEFAULT_MESSAGE, None, 300, None)
    assert settings.bucket_name is None and settings.certificate_arn is None


def test_until_is_kept_in_utc():
    settings = parse_settings(
        {"domain": "api.example.com", "liveTarget": "x.example.net", "until": "2026-12-01T07:30:00+01:30"}, "dev"
    )
    assert settings.until == datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)


def test_long_values_are_shortened_in_messages():
    with pytest.raises(SettingsError) as failure:
        parse_settings({"domain": "api.example.com", "liveTarget": "x.example.net", "message": "y" * 600}, "dev")
    assert "y" * 57 + "..." in str(failure.value) and "y" * 58 not in str(failure.value)


@pytest.mark.parametrize("stack, domain, balancer, protect", [
    ("production", "api.theboss.io", "elb-production-boss", True),
    ("integration", "api.integration.theboss.io", "elb-integration-boss", False),
])
def test_shipped_stack_files(stack, domain, balancer, protect):
    settings = load_from_stack_file(ROOT, stack)
    assert (settings.domain, settings.zone, settings.live_load_balancer) == (domain, "theboss.io", balancer)
    assert settings.maintenance is False and settings.protect is protect and settings.region == "us-east-1"


def test_unquoted_stack_file_values_are_read_as_their_text(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  api-maintenance:domain: api.example.com\n  api-maintenance:liveTarget: x.example.net\n"
        "  api-maintenance:maintenance: true\n  api-maintenance:ttl: 120\n  aws:skipMetadataApiCheck: false\n"
    )
    settings = load_from_stack_file(tmp_path, "dev")
    assert settings.maintenance is True and settings.ttl == 120


BASE = {"domain": "api.example.com", "liveTarget": "x.example.net"}


def problems_of(**values: str) -> str:
    with pytest.raises(SettingsError) as failure:
        parse_settings({**BASE, **values}, "dev")
    return str(failure.value)


def test_a_domain_typed_in_full_width_letters_gets_its_ascii_form_as_the_fix():
    # UTS #46 maps full-width letters to ASCII, as a browser's address bar does.
    assert "must be written in its ASCII (xn--) form, api.xn--bcher-kva.de" in problems_of(domain="ａｐｉ.bücher.de")


def test_every_unknown_key_is_reported_with_its_namespace_and_likely_meaning():
    config = {f"api-maintenance:{key}": value for key, value in BASE.items()}
    config.update({"api-maintenance:aaaaaa": "1", "api-maintenance:maintenence": "true", "other:domain": "x.io"})
    with pytest.raises(SettingsError) as failure:
        settings_from_config(config, "dev")
    message = str(failure.value)
    # The first, with no key it is like, does not stop the ones after it.
    assert "api-maintenance:aaaaaa is not a setting of this program; known keys: " in message
    assert "api-maintenance:maintenence is not a setting of this program: did you mean api-maintenance:maintenance?" \
        in message
    assert ("other:domain is in the namespace other, which this program does not read (its settings are "
            "api-maintenance:KEY; aws and pulumi keys are allowed too): did you mean api-maintenance:domain? "
            "Fix: pulumi config rm other:domain -s dev, then pulumi config set domain x.io -s dev") in message


def test_one_value_is_read_as_the_program_reads_it():
    # What `message` checks its TEXT and --until with before it sets them.
    assert parse_value("message", " Back at 06:00 ") == "Back at 06:00"
    with pytest.raises(ValueError, match="^must be "):
        parse_value("until", "tomorrow")


def test_a_unicode_domain_gets_its_xn_form_as_the_fix():
    message = problems_of(domain="api.bücher.de", zone="bücher.de")
    assert ("api-maintenance:domain must be written in its ASCII (xn--) form, api.xn--bcher-kva.de, got "
            "'api.bücher.de'. Fix: pulumi config set domain api.xn--bcher-kva.de -s dev") in message
    assert "Fix: pulumi config set zone xn--bcher-kva.de -s dev" in message
    assert parse_settings({**BASE, "domain": "api.xn--bcher-kva.de"}, "dev").zone == "xn--bcher-kva.de"


def test_a_unicode_name_with_no_valid_ascii_form_gets_the_plain_message():
    assert "api-maintenance:domain must be a fully qualified host name such as api.example.com" \
        in problems_of(domain="api.b\u00fccher..de")


@pytest.mark.parametrize("key, default", [("ttl", 60), ("retryAfter", 300)])
def test_whole_number_bounds_are_inclusive(key, default):
    low = 0 if key == "ttl" else 1
    attribute = {"ttl": "ttl", "retryAfter": "retry_after"}[key]
    for accepted in (low, 86400):
        assert getattr(parse_settings({**BASE, key: str(accepted)}, "dev"), attribute) == accepted
    for refused in (low - 1, 86401):
        assert f"api-maintenance:{key} must be a whole number from {low} to 86400" in problems_of(**{key: str(refused)})


def test_ttl_zero_is_accepted():
    assert parse_settings({**BASE, "ttl": "0"}, "dev").ttl == 0


@pytest.mark.parametrize("name", ["localhost", "api", "api."])
def test_a_single_label_host_name_is_refused(name):
    assert "api-maintenance:liveTarget must be a fully qualified host name" in problems_of(liveTarget=name)


def test_a_bucket_name_is_3_to_63_characters():
    for name in ("abc", "b" * 63):
        assert parse_settings({**BASE, "bucketName": name}, "dev").bucket_name == name
    assert "api-maintenance:bucketName must be 3 to 63 lower-case letters" in problems_of(bucketName="b" * 64)
    assert "api-maintenance:bucketName must be 3 to 63" in problems_of(bucketName="bb")


# --- each setting's rule, value by value (what mutation testing found unchecked) -----------------

ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"


@pytest.mark.parametrize("key, raw, attribute, expected", [
    ("maintenance", "True", "maintenance", True),
    ("maintenance", "false", "maintenance", False),
    ("protect", "true", "protect", True),
    ("operatorPolicies", "false", "operator_policies", False),
    ("zone", " Example.COM. ", "zone", "example.com"),
    ("liveTarget", "LIVE.Example.net.", "live_target", "live.example.net"),
    ("certificateArn", f" {ARN} ", "certificate_arn", ARN),
    ("ttl", " 0 ", "ttl", 0),
    ("ttl", "86400", "ttl", 86400),
    ("retryAfter", "1", "retry_after", 1),
    ("retryAfter", "86400", "retry_after", 86400),
    ("priceClass", " PriceClass_All ", "price_class", "PriceClass_All"),
    ("bucketName", " my.maintenance-page ", "bucket_name", "my.maintenance-page"),
    ("message", "  Back soon.  ", "message", "Back soon."),
    ("message", "m" * 500, "message", "m" * 500),
    ("until", " 2026-12-01T06:00:00Z ", "until", datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)),
    ("contact", " ops@example.com ", "contact", "ops@example.com"),
    ("contact", "HTTPS://status.example.com/now", "contact", "HTTPS://status.example.com/now"),
])
def test_a_good_value_is_taken_and_normalised(key, raw, attribute, expected):
    assert getattr(parse_settings({**BASE, key: raw}, "dev"), attribute) == expected


def test_operator_policies_are_declared_unless_turned_off():
    assert parse_settings(BASE, "dev").operator_policies is True


def test_a_load_balancer_is_taken_instead_of_a_target_and_maintenance_names_the_mode():
    settings = parse_settings({"domain": "api.example.com", "liveLoadBalancer": " my-balancer ", "maintenance": "true"}, "dev")
    assert (settings.live_load_balancer, settings.live_target, settings.mode) == ("my-balancer", None, "maintenance")


@pytest.mark.parametrize("code", [200, 400, 403, 404, 414, 500, 501, 502, 503, 504])
def test_each_page_status_code_cloudfront_allows_is_taken(code):
    assert parse_settings({**BASE, "responseCode": f" {code} "}, "dev").response_code == code


@pytest.mark.parametrize("key, raw, problem", [
    ("maintenance", "yes", "must be true or false"),
    ("operatorPolicies", "no", "must be true or false"),
    ("domain", "10.0.0.1", "must be a host name, not an IP address (a CNAME points to a name)"),
    ("domain", "localhost", "must be a fully qualified host name such as api.example.com"),
    ("domain", "a-.example.com", "must be a fully qualified host name such as api.example.com"),
    ("zone", ".".join(["a" * 50] * 5) + ".com",  # 259 characters, each label short enough
     "must be a fully qualified host name such as api.example.com"),
    ("ttl", "-1", "must be a whole number from 0 to 86400"),
    ("ttl", "86401", "must be a whole number from 0 to 86400"),
    ("ttl", "1.5", "must be a whole number from 0 to 86400"),
    ("retryAfter", "0", "must be a whole number from 1 to 86400"),
    ("responseCode", "201", "must be one of the page's status codes: 200, 400, 403, 404, 414, 500, 501, 502, 503, 504"),
    ("responseCode", "OK", "must be one of the page's status codes: 200, 400, 403, 404, 414, 500, 501, 502, 503, 504"),
    ("priceClass", "PriceClass_1", "must be one of PriceClass_100, PriceClass_200, PriceClass_All"),
    ("bucketName", "My-Bucket", "must be 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit"),
    ("bucketName", "my..bucket", "must not contain two dots in a row"),
    ("bucketName", "192.168.10.20", "must not look like an IP address"),
    ("bucketName", "xn--bucket", "uses a prefix or suffix that S3 reserves"),
    ("bucketName", "bucket-s3alias", "uses a prefix or suffix that S3 reserves"),
    ("message", "   ", "must not be empty"),
    ("message", "m" * 501, "must be at most 500 characters, not 501"),
    ("until", "tomorrow", "must be an ISO-8601 date-time such as 2026-12-01T06:00:00Z"),
    ("until", "2026-12-01T06:00:00", "must say its time zone: end it with Z or an offset such as +01:00"),
    ("contact", "https://localhost/", "must be an e-mail address or an https:// URL"),
    ("contact", "Ops <ops@example.com>", "must be an e-mail address or an https:// URL"),
    ("contact", "ops@localhost", "must be an e-mail address or an https:// URL"),
])
def test_a_bad_value_is_one_problem_naming_the_key_the_rule_and_the_fix(key, raw, problem):
    with pytest.raises(SettingsError) as failure:
        parse_settings({**BASE, key: raw}, "dev")
    shown = raw if len(raw) <= 60 else raw[:57] + "..."
    fix = {"maintenance": "true", "domain": "api.example.com", "zone": "example.com", "ttl": "60", "retryAfter": "300",
           "responseCode": "503", "priceClass": "PriceClass_100", "bucketName": "my-maintenance-page",
           "message": "'Back at 06:00 UTC.'", "until": "2026-12-01T06:00:00Z", "contact": "ops@example.com",
           "operatorPolicies": "false"}[key]
    problems = failure.value.problems
    if key == "domain":  # without a domain there is no zone to compare, so nothing else is said
        problems = [p for p in problems if "is required" not in p]
    assert problems == [f"api-maintenance:{key} {problem}, got {shown!r}. Fix: pulumi config set {key} {fix} -s dev"]


@pytest.mark.parametrize("raw, problem", [
    ("nope", "must be an ACM certificate ARN (arn:aws:acm:us-east-1:ACCOUNT:certificate/ID)"),
    (ARN.replace("us-east-1", "eu-west-1"),
     "must be a certificate in us-east-1, not eu-west-1: CloudFront only takes certificates from there"),
])
def test_a_certificate_outside_us_east_1_or_not_an_arn_is_refused(raw, problem):
    with pytest.raises(SettingsError) as failure:
        parse_settings({**BASE, "certificateArn": raw}, "dev")
    shown = raw if len(raw) <= 60 else raw[:57] + "..."
    assert failure.value.problems == [
        f"api-maintenance:certificateArn {problem}, got {shown!r}. "
        "Fix: pulumi config set certificateArn arn:aws:acm:us-east-1:ACCOUNT:certificate/ID -s dev"
    ]


@pytest.mark.parametrize("raw", ["-balancer", "b" * 33])
def test_a_load_balancer_name_aws_would_refuse_is_refused(raw):
    with pytest.raises(SettingsError) as failure:
        parse_settings({"domain": "api.example.com", "liveLoadBalancer": raw}, "dev")
    assert failure.value.problems == [
        f"api-maintenance:liveLoadBalancer must be a load balancer name: 1 to 32 letters, digits and hyphens, "
        f"not starting or ending with a hyphen, got {raw!r}. Fix: pulumi config set liveLoadBalancer my-balancer -s dev"
    ]


@pytest.mark.parametrize("raw, problems", [
    ({"liveTarget": "live.example.net"},
     ["api-maintenance:domain is required: the API's host name. Fix: pulumi config set domain api.example.com -s dev"]),
    ({**BASE, "domain": "api.theboss.io", "zone": "example.org"},
     ["api-maintenance:domain 'api.theboss.io' is not inside api-maintenance:zone 'example.org' (a CNAME cannot sit "
      "at a zone's apex either). Fix: pulumi config set zone theboss.io -s dev"]),
    ({**BASE, "zone": "api.example.com"},
     ["api-maintenance:domain 'api.example.com' is not inside api-maintenance:zone 'api.example.com' (a CNAME cannot "
      "sit at a zone's apex either). Fix: pulumi config set zone example.com -s dev"]),
    ({**BASE, "liveLoadBalancer": "my-balancer"},
     ["api-maintenance: set exactly one of liveTarget (a DNS name) and liveLoadBalancer (a load balancer's name), "
      "but both are set. Fix: pulumi config rm liveTarget -s dev"]),
    ({"domain": "api.example.com"},
     ["api-maintenance: set exactly one of liveTarget (a DNS name) and liveLoadBalancer (a load balancer's name), "
      "but neither is set. Fix: pulumi config set liveLoadBalancer my-balancer -s dev"]),
    ({"domain": "api.example.com", "liveTarget": "API.example.com"},
     ["api-maintenance:liveTarget 'api.example.com' is the domain itself: the record would point at itself. "
      "Fix: pulumi config set liveTarget my-balancer-123.us-east-1.elb.amazonaws.com -s dev"]),
    ({**BASE, "tll": "60", "zzzzzz": "1"},
     ["api-maintenance:tll is not a setting of this program: did you mean api-maintenance:ttl? "
      "Fix: pulumi config rm tll -s dev, then pulumi config set ttl 60 -s dev",
      "api-maintenance:zzzzzz is not a setting of this program; known keys: maintenance, domain, zone, liveTarget, "
      "liveLoadBalancer, certificateArn, ttl, responseCode, priceClass, bucketName, protect, message, until, "
      "retryAfter, contact, notifyUrl, operatorPolicies, livePath, liveOrigin, bypassToken, bypassCidrs, bypassPaths. Fix: pulumi config rm zzzzzz -s dev"]),
])
def test_settings_that_do_not_fit_together_are_each_named_with_the_fix(raw, problems):
    with pytest.raises(SettingsError) as failure:
        parse_settings(raw, "dev")
    assert failure.value.problems == problems
    assert str(failure.value) == "\n".join(problems)


def test_a_sub_domain_zone_is_taken_as_set():
    assert parse_settings({**BASE, "domain": "api.eu.example.com", "zone": "eu.example.com"}, "dev").zone == "eu.example.com"


def test_until_is_kept_in_utc_on_a_machine_in_another_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        until = parse_settings({**BASE, "until": "2026-12-01T07:30:00+01:30"}, "dev").until
    finally:
        monkeypatch.undo()
        time.tzset()
    assert until.utcoffset() == timedelta(0) and until == datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)


def test_a_missing_stack_file_is_named_with_the_folder(tmp_path):
    with pytest.raises(SettingsError) as failure:
        load_from_stack_file(tmp_path, "prod")
    assert failure.value.problems == [f"no stack file Pulumi.prod.yaml in {tmp_path}: is 'prod' the stack's name? "
                                      "Fix: run pulumi stack ls, or give the folder that holds the file with --cwd"]


def test_a_secret_region_is_left_unknown(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region:\n    secure: v1:c2VjcmV0:AAAA\n  api-maintenance:domain: api.example.com\n"
        "  api-maintenance:liveTarget: x.example.net\n"
    )
    assert load_from_stack_file(tmp_path, "dev").region is None


def test_a_host_name_may_have_253_characters_and_no_more():
    longest = ".".join(["a" * 63] * 3 + ["b" * 61])  # 253 characters: RFC 1035's 255 octets on the wire
    assert parse_settings({**BASE, "liveTarget": longest}, "dev").live_target == longest
    with pytest.raises(SettingsError, match="liveTarget must be a fully qualified host name"):
        parse_settings({**BASE, "liveTarget": longest + "b"}, "dev")


def test_a_value_is_shown_whole_up_to_60_characters():
    for length, shown in ((60, "y" * 60), (61, "y" * 57 + "...")):
        with pytest.raises(SettingsError) as failure:
            parse_settings({**BASE, "maintenance": "y" * length}, "dev")
        assert f"got '{shown}'." in str(failure.value)



# --- the live origin's settings ----------------------------------------------------------------

LIVE = {**BASE, "liveOrigin": "true"}


PATHS_RULE = ("must be a list of URL path prefixes that start with / (at most 64 characters; no query, no %-escape, "
              "no empty segment and none that starts with a dot), such as /webhooks/: ")
CIDRS_RULE = "must be a list of IPv4 or IPv6 CIDRs without host bits, such as 203.0.113.0/24: "


def not_a_path(raw: str) -> str:
    return f"{PATHS_RULE}{raw!r} is not one"
TOKEN = "aB3_-" * 8  # 40 characters of the allowed ones


@pytest.mark.parametrize("key, raw, attribute, expected", [
    ("liveOrigin", "true", "live_origin", True),
    ("bypassToken", TOKEN, "bypass_token", TOKEN),
    ("bypassToken", "t" * 32, "bypass_token", "t" * 32),
    ("bypassToken", "t" * 128, "bypass_token", "t" * 128),
    # Pulumi hands a YAML list to the program as its JSON text; comma-separated text is taken too.
    ("bypassCidrs", '["203.0.113.0/24","2001:DB8:0:0::/32"]', "bypass_cidrs", ("203.0.113.0/24", "2001:db8::/32")),
    ("bypassCidrs", " 198.51.100.7/32 , 2001:db8::1/128 ", "bypass_cidrs", ("198.51.100.7/32", "2001:db8::1/128")),
    ("bypassCidrs", "198.51.100.7", "bypass_cidrs", ("198.51.100.7/32",)),
    ("bypassCidrs", "[]", "bypass_cidrs", ()),
    ("bypassCidrs", json.dumps([f"10.0.{n}.0/24" for n in range(20)]), "bypass_cidrs",
     tuple(f"10.0.{n}.0/24" for n in range(20))),
    ("bypassPaths", '["/webhooks/", "/v1/payments/notify"]', "bypass_paths", ("/webhooks/", "/v1/payments/notify")),
    ("bypassPaths", "/webhooks/,/webhooks/", "bypass_paths", ("/webhooks/",)),
    ("bypassPaths", "/" + "p" * 63, "bypass_paths", ("/" + "p" * 63,)),
])
def test_a_good_live_origin_value_is_taken_and_normalised(key, raw, attribute, expected):
    assert getattr(parse_settings({**LIVE, key: raw}, "dev"), attribute) == expected


def test_without_live_origin_there_are_no_bypass_rules():
    settings = parse_settings(BASE, "dev")
    assert (settings.live_origin, settings.bypass_token, settings.bypass_cidrs, settings.bypass_paths) == (False, None, (), ())


@pytest.mark.parametrize("key, raw, problem", [
    ("bypassToken", "t" * 31, "must be 32 to 128 characters of A-Z, a-z, 0-9, _ and -"),
    ("bypassToken", "t" * 129, "must be 32 to 128 characters of A-Z, a-z, 0-9, _ and -"),
    ("bypassToken", "t" * 31 + "=", "must be 32 to 128 characters of A-Z, a-z, 0-9, _ and -"),
    ("bypassToken", "t" * 31 + ".", "must be 32 to 128 characters of A-Z, a-z, 0-9, _ and -"),
    ("bypassToken", "t" * 30 + "+/", "must be 32 to 128 characters of A-Z, a-z, 0-9, _ and -"),  # base64, not base64url
    ("bypassToken", "t" * 32 + "\n", "must be 32 to 128 characters of A-Z, a-z, 0-9, _ and -"),
    ("bypassCidrs", "203.0.113.7/24", CIDRS_RULE + "'203.0.113.7/24' has host bits set, it means 203.0.113.0/24"),
    ("bypassCidrs", "203.0.113.0/33", CIDRS_RULE + "'203.0.113.0/33' is not one"),
    ("bypassCidrs", "office", CIDRS_RULE + "'office' is not one"),
    ("bypassCidrs", "0.0.0.0/0", CIDRS_RULE + "'0.0.0.0/0' would pass every IPv4 viewer (for no window, set maintenance false)"),
    ("bypassCidrs", "::/0", CIDRS_RULE + "'::/0' would pass every IPv6 viewer (for no window, set maintenance false)"),
    ("bypassCidrs", '["203.0.113.0/24", 7]', "must be a list of CIDRs"),
    ("bypassCidrs", "[203.0.113.0/24]", "must be a list of CIDRs"),
    ("bypassCidrs", json.dumps([f"10.0.{n}.0/24" for n in range(21)]),
     "must hold at most 20 CIDRs, not 21 (the fix keeps the first 20)"),
    ("bypassPaths", "webhooks/", not_a_path("webhooks/")),
    ("bypassPaths", "/hooks?x=1", not_a_path("/hooks?x=1")),
    ("bypassPaths", "/a b", not_a_path("/a b")),
    ("bypassPaths", "/" + "p" * 64, not_a_path("/" + "p" * 64)),
    ("bypassPaths", json.dumps([f"/p{n}" for n in range(21)]),
     "must hold at most 20 path prefixes, not 21 (the fix keeps the first 20)"),
    ("bypassPaths", "/.well-known/acme/", not_a_path("/.well-known/acme/")),
    ("bypassPaths", "/hooks/%2e", not_a_path("/hooks/%2e")),
    ("bypassPaths", "/hooks/../admin", not_a_path("/hooks/../admin")),
    ("bypassPaths", "/hooks//x", not_a_path("/hooks//x")),
    ("bypassPaths", "/", PATHS_RULE + "'/' alone would pass every request (for no window, set maintenance false)"),
])
def test_a_bad_live_origin_value_is_one_problem_naming_the_key_and_the_fix(key, raw, problem):
    with pytest.raises(SettingsError) as failure:
        parse_settings({**LIVE, key: raw}, "dev")
    [found] = failure.value.problems
    assert found.startswith(f"api-maintenance:{key} {problem}")
    assert f"Fix: pulumi config set {key} " in found
    if key == "bypassToken":  # a credential: its value is never shown
        assert raw.strip() not in found and "got" not in found


@pytest.mark.parametrize("key, raw, named, fix", [
    ("bypassCidrs", '["2001:db8::1/32", "office", "10.0.0.0/8", "0.0.0.0/0"]',
     ["'2001:db8::1/32' has host bits set, it means 2001:db8::/32", "'office' is not one", "'0.0.0.0/0' would pass"],
     '["2001:db8::/32", "10.0.0.0/8"]'),
    ("bypassPaths", '["/.well-known/acme/", "/ok/", "/hooks%20x/"]', ["'/.well-known/acme/' is not one",
                                                                      "'/hooks%20x/' is not one"], '["/ok/"]'),
    ("bypassPaths", '["/"]', ["'/' alone would pass every request"], '[]'),
    ("bypassPaths", json.dumps([f"/p{n}" for n in range(21)] + ["/p%"]),
     ["'/p%' is not one", "and must hold at most 20 path prefixes, not 21"], json.dumps([f"/p{n}" for n in range(20)])),
])
def test_a_bad_list_names_every_bad_entry_and_its_fix_is_the_list_mended(key, raw, named, fix):
    # Not a documentation example in place of the operator's list: their own entries, corrected or dropped.
    with pytest.raises(SettingsError) as failure:
        parse_settings({**LIVE, key: raw}, "dev")
    [found] = failure.value.problems
    assert all(text in found for text in named), found
    assert found.endswith(f"Fix: pulumi config set {key} '{fix}' -s dev")


@pytest.mark.parametrize("key, raw", [("bypassToken", TOKEN), ("bypassCidrs", "203.0.113.0/24"), ("bypassPaths", "/webhooks/")])
@pytest.mark.parametrize("live_origin", [None, "false"])
def test_a_bypass_rule_needs_live_origin(key, raw, live_origin):
    values = {**BASE, key: raw, **({"liveOrigin": live_origin} if live_origin else {})}
    with pytest.raises(SettingsError) as failure:
        parse_settings(values, "dev")
    assert failure.value.problems == [
        f"api-maintenance:{key} lets requests through to the live API, which needs api-maintenance:liveOrigin true. "
        f"Fix: pulumi config set liveOrigin true -s dev, or pulumi config rm {key} -s dev"]


def test_a_bypass_token_in_clear_text_in_the_stack_file_is_refused_without_showing_it(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  api-maintenance:domain: api.example.com\n  api-maintenance:liveTarget: x.example.net\n"
        f"  api-maintenance:liveOrigin: true\n  api-maintenance:bypassToken: {TOKEN}\n")
    with pytest.raises(SettingsError) as failure:
        load_from_stack_file(tmp_path, "dev")
    assert failure.value.problems == [
        "api-maintenance:bypassToken in Pulumi.dev.yaml is in clear text, but the bypass token is a credential "
        "(whoever has it gets past the maintenance page). Fix: a new one, since the old one may be in the file's "
        "history: pulumi config set bypassToken --secret \"$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')\" "
        "-s dev"]
    assert TOKEN not in str(failure.value)


def test_a_secret_bypass_token_is_left_out_by_the_stack_file_reader(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  api-maintenance:domain: api.example.com\n  api-maintenance:liveTarget: x.example.net\n"
        "  api-maintenance:liveOrigin: true\n  api-maintenance:bypassToken:\n    secure: v1:abc\n"
        "  api-maintenance:bypassCidrs:\n    - 203.0.113.0/24\n    - 2001:db8::/32\n")
    settings = load_from_stack_file(tmp_path, "dev")
    assert (settings.live_origin, settings.bypass_token, settings.bypass_cidrs) == (True, None, ("203.0.113.0/24", "2001:db8::/32"))


def test_a_live_origin_function_over_10_kb_is_refused_as_a_setting_naming_what_to_shorten():
    paths = json.dumps([f"/{n:02d}" + "x" * 61 for n in range(20)])
    cidrs = json.dumps([f"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff{n:02x}/127" for n in range(0, 40, 2)])
    values = {**LIVE, "bypassPaths": paths, "bypassCidrs": cidrs, "until": "2026-12-01T06:00:00Z", "retryAfter": "86400",
              "domain": ".".join(["a" * 63] * 3 + ["b" * 57]) + ".com"}
    # A control character costs 6 bytes in the code (escaped); a plain message of the same length fits.
    assert parse_settings({**values, "message": "m" * 500}, "dev").bypass_paths
    with pytest.raises(SettingsError) as failure:
        parse_settings({**values, "message": "\x01" * 500}, "dev")
    [problem] = failure.value.problems
    assert problem.startswith("api-maintenance: the edge function's code would be ")
    assert "bytes, over CloudFront's 10000: shorten the message (500 characters), bypassPaths (1280 characters in all) or bypassCidrs (20)" in problem
    assert problem.endswith("Fix: pulumi config set message 'Back at 06:00 UTC.' -s dev, or fewer or shorter bypassPaths "
                            "and bypassCidrs")


def test_no_credential_is_in_the_settings_repr():
    settings = parse_settings({**LIVE, "bypassToken": TOKEN, "notifyUrl": "https://hooks.example.com/services/T0/B0/x"}, "dev")
    assert (settings.bypass_token, settings.notify_url) == (TOKEN, "https://hooks.example.com/services/T0/B0/x")
    assert TOKEN not in repr(settings) and "hooks.example.com" not in repr(settings)
