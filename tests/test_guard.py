"""The guard alone: engine steps in, the allowed changes or the unexpected ones out; no Pulumi runs."""

from __future__ import annotations

import pytest
from pulumi.automation import EngineEvent, OpType

from maintenance.cli.guard import (
    FUNCTION, MESSAGE, PAGE_OBJECT, RECORD, STORE_KEY, SWITCH, Step, describe_switch_step, judge, record_targets,
)

STACK = "urn:pulumi:production::api-maintenance::pulumi:pulumi:Stack::api-maintenance-production"
RECORD_URN = ("urn:pulumi:production::api-maintenance::api-maintenance:index:DnsSwitch$aws:route53/record:Record"
              "::record")
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
SITE = "urn:pulumi:production::api-maintenance::api-maintenance:index:MaintenanceSite$"
LIVE_TARGET = "elb-live-1234567890.us-east-1.elb.amazonaws.com"
MAINTENANCE_TARGET = "d111111abcdef8.cloudfront.net"


def step(op: str, type_: str, name: str, diffs=(), old=None, new=None) -> Step:
    urn = RECORD_URN if type_ == RECORD else f"{SITE}{type_}::{name}"
    return Step(op, type_, urn, tuple(diffs), old or {}, new or {})


def unchanged() -> list[Step]:
    return [Step("same", "pulumi:pulumi:Stack", STACK), step("same", DISTRIBUTION, "distribution"),
            step("same", PAGE_OBJECT, "page-index.html"), step("same", FUNCTION, "maintenance-responses")]


def record_update(diffs=("records",)) -> Step:
    return step("update", RECORD, "record", diffs, {"records": [LIVE_TARGET]}, {"records": [MAINTENANCE_TARGET]})


def test_one_update_of_the_records_of_the_record_is_the_switch():
    switch = record_update()
    verdict = judge([*unchanged(), switch], SWITCH)
    assert not verdict.refused
    assert verdict.changes == (switch,)
    assert record_targets(switch) == (LIVE_TARGET, MAINTENANCE_TARGET)


def test_nothing_but_same_is_no_change_and_no_refusal():
    verdict = judge(unchanged(), SWITCH)
    assert (verdict.changes, verdict.refused) == ((), False)


@pytest.mark.parametrize("unexpected", [
    step("update", DISTRIBUTION, "distribution", ["comment"]),  # a console edit elsewhere
    step("update", RECORD, "record", ["records", "ttl"]),  # the record, but more than its target
    step("update", RECORD, "record", ["ttl"]),
    step("replace", RECORD, "record", ["name"]),  # a replaced record is a gap in DNS
    step("create-replacement", RECORD, "record", ["name"]),
    step("delete-replaced", RECORD, "record", ["name"]),
    step("create", PAGE_OBJECT, "page-other.html"),
    step("delete", "aws:s3/bucketPolicy:BucketPolicy", "bucket-policy"),
    step("update", "pulumi:providers:aws", "default_7_0_0", ["version"]),
    step("read", DISTRIBUTION, "distribution"),
    # What message changes, never a switch: the function's code, the page.
    step("update", FUNCTION, "maintenance-responses", ["code"]),
    step("update", PAGE_OBJECT, "page-index.html", ["content"]),
    # With a live origin: the store itself, or more of its key than the value.
    step("update", "aws:cloudfront/keyValueStore:KeyValueStore", "maintenance-mode", ["comment"]),
    step("update", STORE_KEY, "store-mode", ["value", "key"]),
    step("replace", STORE_KEY, "store-mode", ["value"]),
])
def test_any_other_step_refuses_the_switch(unexpected):
    alone = judge([*unchanged(), unexpected], SWITCH)
    assert alone.refused and alone.unexpected == (unexpected,) and alone.changes == ()
    with_the_switch = judge([*unchanged(), unexpected, record_update()], SWITCH)
    assert with_the_switch.unexpected == (unexpected,)


@pytest.mark.parametrize("op", [op.value for op in OpType if op not in (OpType.SAME, OpType.UPDATE)])
def test_only_an_update_is_allowed_even_when_it_changes_only_the_allowed_keys(op):
    # A replace of the record changing only `records` still deletes it and creates it again: a gap in DNS.
    record = step(op, RECORD, "record", ["records"], {"records": [LIVE_TARGET]}, {"records": [MAINTENANCE_TARGET]})
    verdict = judge([*unchanged(), record], SWITCH)
    assert verdict.unexpected == (record,) and verdict.changes == ()
    for type_, name, key in ((PAGE_OBJECT, "page-index.html", "content"), (FUNCTION, "maintenance-responses", "code")):
        message = step(op, type_, name, [key])
        assert judge([*unchanged(), message], MESSAGE).unexpected == (message,)


def test_with_a_live_origin_the_switch_is_the_record_and_the_store_keys_value():
    key = step("update", STORE_KEY, "store-mode", ["value"], {"key": "mode", "value": "pass-through"},
               {"key": "mode", "value": "maintenance"})
    verdict = judge([*unchanged(), key, record_update()], SWITCH)
    assert not verdict.refused and verdict.changes == (key, record_update())
    assert describe_switch_step(key, "api.theboss.io") == "the store's mode key: pass-through -> maintenance"
    assert describe_switch_step(record_update(), "api.theboss.io") == (
        f"the record api.theboss.io: {LIVE_TARGET} -> {MAINTENANCE_TARGET}")


def test_a_second_update_of_a_record_refuses():
    second = step("update", RECORD, "record", ["records"])
    verdict = judge([record_update(), second], SWITCH)
    assert verdict.changes == (record_update(),)
    assert verdict.unexpected == (second,)


def test_message_allows_the_page_content_and_the_function_code_only():
    page = step("update", PAGE_OBJECT, "page-index.html", ["content"])
    function = step("update", FUNCTION, "maintenance-responses", ["code"])
    assert judge([*unchanged(), page, function], MESSAGE).changes == (page, function)
    for unexpected in (record_update(), step("update", PAGE_OBJECT, "page-index.html", ["content", "cacheControl"]),
                       step("update", FUNCTION, "maintenance-responses", ["code", "comment"]),
                       step("replace", PAGE_OBJECT, "page-index.html", ["key"])):
        assert judge([unexpected, page, function], MESSAGE).unexpected == (unexpected,)
    assert judge([record_update()], MESSAGE).refused, "message must never move the record"


def test_refusal_names_type_name_op_and_keys():
    assert step("update", DISTRIBUTION, "distribution", ["comment", "enabled"]).describe() == (
        f"{DISTRIBUTION} distribution: update of comment, enabled")
    assert step("create", PAGE_OBJECT, "page-other.html").describe() == f"{PAGE_OBJECT} page-other.html: create"


def test_steps_come_from_the_engine_events_the_automation_api_parses():
    """The JSON of a resourcePreEvent (pulumi sdk/go/common/apitype/events.go) as the SDK turns it into a Step."""
    event = EngineEvent.from_json({"sequence": 3, "timestamp": 1, "resourcePreEvent": {"metadata": {
        "op": "update", "urn": RECORD_URN, "type": RECORD, "provider": "",
        "old": {"type": RECORD, "urn": RECORD_URN, "id": "Z_api_CNAME", "parent": "", "provider": "",
                "inputs": {"records": [LIVE_TARGET], "ttl": 60}},
        "new": {"type": RECORD, "urn": RECORD_URN, "id": "Z_api_CNAME", "parent": "", "provider": "",
                "inputs": {"records": [MAINTENANCE_TARGET], "ttl": 60}},
        "diffs": ["records"], "detailedDiff": {"records[0]": {"diffKind": "update", "inputDiff": True}},
    }}})
    parsed = Step.from_event(event.resource_pre_event.metadata)
    assert (parsed.op, parsed.type, parsed.name, parsed.diffs) == (OpType.UPDATE, RECORD, "record", ("records",))
    assert record_targets(parsed) == (LIVE_TARGET, MAINTENANCE_TARGET)
    assert judge([parsed], SWITCH).changes == (parsed,)
