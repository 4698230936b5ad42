"""The guard of a window: which of the previewed steps a command lets `pulumi up` apply.

Pure: the engine's steps in, the allowed changes or the unexpected ones out. The update plan
then holds the up to exactly what was previewed (pulumi_stack.py), so what the guard allowed is
all that can change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional

if TYPE_CHECKING:
    from pulumi.automation import StepEventMetadata

# The engine's step kinds (pulumi.automation.events.OpType, a str Enum: OpType.SAME == "same").
SAME = "same"
UPDATE = "update"
RECORD = "aws:route53/record:Record"
PAGE_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
FUNCTION = "aws:cloudfront/function:Function"
STORE_KEY = "aws:cloudfront/keyvaluestoreKey:KeyvaluestoreKey"


@dataclass(frozen=True)
class Step:
    """One step of the engine's preview, as the guard and the operator need it."""

    op: str
    type: str
    urn: str
    diffs: tuple[str, ...] = ()  # the keys that changed; for a replacement, those that force it
    old: Mapping[str, Any] = field(default_factory=dict)  # inputs before the step
    new: Mapping[str, Any] = field(default_factory=dict)  # inputs after it

    @classmethod
    def from_event(cls, metadata: StepEventMetadata) -> Step:
        return cls(
            op=str(getattr(metadata.op, "value", metadata.op)),
            type=metadata.type,
            urn=metadata.urn,
            diffs=tuple(metadata.diffs or metadata.keys or ()),
            old=(metadata.old.inputs or {}) if metadata.old else {},
            new=(metadata.new.inputs or {}) if metadata.new else {},
        )

    @property
    def name(self) -> str:
        """The resource's name in the program: the last part of its URN."""
        return self.urn.rsplit("::", 1)[-1]

    def describe(self) -> str:
        keys = f" of {', '.join(self.diffs)}" if self.diffs else ""
        return f"{self.type} {self.name}: {self.op}{keys}"


@dataclass(frozen=True)
class Allowed:
    """An update the command may make: of one resource of this type, changing exactly these keys."""

    type: str
    diffs: tuple[str, ...]

    def admits(self, step: Step) -> bool:
        return step.op == UPDATE and step.type == self.type and sorted(step.diffs) == sorted(self.diffs)


# on and off: the record's target, nothing else. A replaced record (a new name or type) would
# be deleted and created again: a gap in DNS, so a replace is refused like any other change.
# Its new target, the distribution's domain, is known at preview, since the distribution may
# not change: a value unknown at preview is what makes an up falsely "violate" its plan
# (pulumi/pulumi#13765).
# With a live origin, also the store's `mode` key, whose value follows the toggle (maintenance/switch.py).
SWITCH = (Allowed(RECORD, ("records",)), Allowed(STORE_KEY, ("value",)))
# message: the page's text and the function's answers (both render the message and `until`).
# The page object's body is the string input `content` (maintenance/site.py), never an asset or
# archive: an archive's hash can differ between the preview and the up, and the up then fails
# as violating its plan (pulumi/pulumi#11587). Keep it a string.
MESSAGE = (Allowed(PAGE_OBJECT, ("content",)), Allowed(FUNCTION, ("code",)))


@dataclass(frozen=True)
class Verdict:
    changes: tuple[Step, ...]  # the allowed updates, at most one of each allowed kind
    unexpected: tuple[Step, ...]  # everything else that is not `same`

    @property
    def refused(self) -> bool:
        return bool(self.unexpected)


def judge(steps: Iterable[Step], allowed: tuple[Allowed, ...]) -> Verdict:
    """Every step `same` except at most one update of each allowed kind; anything else is unexpected."""
    changes: list[Step] = []
    unexpected: list[Step] = []
    used: set[Allowed] = set()
    for step in steps:
        if step.op == SAME:
            continue
        kind = next((kind for kind in allowed if kind.admits(step)), None)
        if kind is None or kind in used:
            unexpected.append(step)
        else:
            used.add(kind)
            changes.append(step)
    return Verdict(tuple(changes), tuple(unexpected))


def record_targets(step: Step) -> tuple[Optional[str], Optional[str]]:
    """The record's target before and after an update of its `records`."""

    def target(inputs: Mapping[str, Any]) -> Optional[str]:
        records = inputs.get("records")
        return ", ".join(str(record) for record in records) if isinstance(records, list) else None

    return target(step.old), target(step.new)


def describe_switch_step(step: Step, domain: str) -> str:
    """What a switch step changes, for the operator: the record's target, or the store's mode."""
    if step.type == STORE_KEY:
        return f"the store's {step.new.get('key')} key: {step.old.get('value')} -> {step.new.get('value')}"
    before, after = record_targets(step)
    return f"the record {domain}: {before} -> {after}"
