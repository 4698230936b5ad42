"""Where the deployment really is, read from the stack's state (`pulumi stack export`).

Pure: an exported deployment in, the record's mode and the changes it holds out.

Never from the `mode` output alone: a stack's outputs are registered when the program ends, so
they change only when an `up` succeeds, while the engine saves each resource's new state as soon
as its step ends (pkg/backend/snapshot.go: the SnapshotManager saves the snapshot when each step
begins and ends). An `up` cancelled, failed or killed after the record moved leaves
the record moved and `mode` as it was. A step cut off mid-call (the CLI killed) stays in the
state as a pending operation (sdk/go/common/apitype/core.go, DeploymentV3.PendingOperations,
OperationV2 with type "creating", "updating", "deleting"...): "These resources are in an unknown
state ... you can repair your stack using `pulumi refresh` which will refresh the state from the
provider ... and clear the pending operations" (Pulumi docs, "Interrupted updates").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from . import PROGRAM
from .answers import LIVE, MAINTENANCE, UNKNOWN, Expectation, classify_target
from .guard import RECORD, STORE_KEY

STACK_TYPE = "pulumi:pulumi:Stack"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class DeployedState:
    """The resources of a stack's last saved state, and the operations an update left unfinished."""

    resources: tuple[Mapping[str, Any], ...]
    pending: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_export(cls, deployment: Optional[Mapping[str, Any]]) -> DeployedState:
        deployment = deployment or {}
        return cls(tuple(deployment.get("resources") or ()), tuple(deployment.get("pending_operations") or ()))

    def _first(self, resource_type: str) -> Optional[Mapping[str, Any]]:
        return next((resource for resource in self.resources if resource.get("type") == resource_type), None)

    @property
    def outputs(self) -> Mapping[str, Any]:
        """The stack's outputs as the last successful `up` left them."""
        stack = self._first(STACK_TYPE)
        return (stack or {}).get("outputs") or {}

    @property
    def record_target(self) -> Optional[str]:
        record = self._first(RECORD)
        if record is None:
            return None
        records = (record.get("outputs") or {}).get("records") or (record.get("inputs") or {}).get("records")
        return ", ".join(str(target) for target in records) if isinstance(records, list) and records else None

    @property
    def record_mode(self) -> str:
        """MAINTENANCE or LIVE where the saved record points; UNKNOWN without a record, or mid-change."""
        target = self.record_target
        if target is None or any(self.cut_off(RECORD)):
            return UNKNOWN
        distribution = (self._first(DISTRIBUTION) or {}).get("outputs") or {}
        live = self.outputs.get("liveTarget")
        return classify_target(target, Expectation(
            desired=UNKNOWN, maintenance_target=distribution.get("domainName") or None,
            live_target=live if isinstance(live, str) and live else None))

    @property
    def store_mode(self) -> Optional[str]:
        """The saved value of the store's mode key (a live-origin stack), else None."""
        key = self._first(STORE_KEY)
        value = ((key or {}).get("outputs") or {}).get("value") or ((key or {}).get("inputs") or {}).get("value")
        return value if isinstance(value, str) else None

    def cut_off(self, resource_type: Optional[str] = None) -> list[str]:
        """'updating record'...: the operations an update began and never ended, of that type or all."""
        return [f"{operation.get('type', 'changing')} {_name(operation['resource'].get('urn', ''))}"
                for operation in self.pending
                if resource_type is None or operation.get("resource", {}).get("type") == resource_type]

    def has(self, urn: str, inputs: Mapping[str, Any], keys: tuple[str, ...]) -> bool:
        """Whether the saved resource has these inputs' values for these keys (a step's old or new side)."""
        resource = next((resource for resource in self.resources if resource.get("urn") == urn), None)
        saved = (resource or {}).get("inputs") or {}
        return resource is not None and all(saved.get(key) == inputs.get(key) for key in keys)


COMMANDS = {MAINTENANCE: "on", LIVE: "off"}


def cut_off_problem(state: DeployedState, stack: str) -> Optional[str]:
    """Why no switch may start: an update was cut off mid-call, so Pulumi does not know where a resource is."""
    operations = state.cut_off()
    if not operations:
        return None
    return (f"the last update was cut off while {', '.join(operations)} (a pending operation in the state): "
            f"Pulumi does not know where it is until it reads it again; run pulumi refresh -s {stack} (if it "
            f"says the stack is locked by a process that has ended: pulumi cancel -s {stack} first), "
            "then this command again")


def disagreement(stack_file_mode: str, state: DeployedState, stack: str) -> Optional[str]:
    """How the stack file, the deployed record and the `mode` output differ, and the command that
    reconciles them, in one line; None when they agree (or where the record is not known)."""
    record, output = state.record_mode, state.outputs.get("mode")
    if record == UNKNOWN or (stack_file_mode == record and output == record):
        return None
    said = f"the mode output says {output}" if output else "there is no mode output"
    if stack_file_mode == record:
        return (f"{said}, while the stack file and the deployed record say {record}: the last update did not "
                f"finish; {PROGRAM} {COMMANDS[record]} {stack} records it")
    return not_deployed(stack_file_mode, f"{record} ({state.record_target}), {said}", stack)


def not_deployed(stack_file_mode: str, deployed: str, stack: str) -> str:
    """The stack file says one mode, the deployment is in the other: the commands that finish or undo the switch."""
    undo = next(command for mode, command in COMMANDS.items() if mode != stack_file_mode)
    return (f"the stack file says {stack_file_mode} but the deployed record points at {deployed}: the last switch "
            f"did not finish; {PROGRAM} {COMMANDS[stack_file_mode]} {stack} finishes it, {PROGRAM} {undo} {stack} "
            "undoes it")
