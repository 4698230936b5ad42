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
