"""Settings parsed and validated without Pulumi: defaults, normalisation, the stack-file reader."""

from datetime import datetime, timezone
from pathlib import Path

import pytest

from maintenance.settings import DEFAULT_MESSAGE, SettingsError, load_from_stack_file, parse_settings

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


def test_a_bucket_name_is_at_most_63_characters():
    assert parse_settings({**BASE, "bucketName": "b" * 63}, "dev").bucket_name == "b" * 63
    assert "api-maintenance:bucketName must be 3 to 63 lower-case letters" in problems_of(bucketName="b" * 64)
    assert "api-maintenance:bucketName must be 3 to 63" in problems_of(bucketName="bb")
