"""What the stand-in keeps on disk: a file backend's stacks, their history, the mock AWS's faults, the call log.

Laid out like Pulumi's self-managed file backend (`PULUMI_BACKEND_URL=file://DIR`): one state file a
stack under `DIR/.pulumi/stacks/<project>/<stack>.json` (pulumi/pulumi pkg/backend/diy/backend.go,
project-scoped stack paths), shaped after a checkpoint (`checkpoint.latest.resources`, each with urn,
type, id, custom, parent, inputs, outputs; sdk/go/common/apitype/core.go, ResourceV3). The stack's
outputs are the outputs of its `pulumi:pulumi:Stack` resource, as in a real checkpoint.

A stack being updated is locked as the diy backend locks it (pkg/backend/diy/lock.go, Lock and
lockPath): one JSON file a running `up` under `DIR/.pulumi/locks/organization/<project>/<stack>/`
(stackLockDir of the project-scoped FullyQualifiedName, backend.go diyBackendReference), named by the
backend instance's lock id (a fresh UUID, newDIYBackend), holding lockContent (pid, username,
hostname, timestamp).

What AWS would do differently from what the state says is not Pulumi's business, so it lives apart:
`DIR/aws/faults.json` (a change AWS will reject). So do the tests' holds: `DIR/holds/` (see holds.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

PROJECT = "api-maintenance"
STACK_TYPE = "pulumi:pulumi:Stack"
CALL_LOG = "calls.jsonl"


def stack_urn(stack: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{STACK_TYPE}::{PROJECT}-{stack}"


@dataclass
class Backend:
    """The folder a `file://` backend URL names."""

    root: Path

    @classmethod
    def from_url(cls, url: str) -> "Backend":
        return cls(Path(url.removeprefix("file://")))

    def _state_path(self, stack: str) -> Path:
        return self.root / ".pulumi" / "stacks" / PROJECT / f"{stack}.json"

    def _history_path(self, stack: str) -> Path:
        return self.root / ".pulumi" / "history" / PROJECT / f"{stack}.json"

    def lock_dir(self, stack: str) -> Path:
        return self.root / ".pulumi" / "locks" / "organization" / PROJECT / stack

    def locks(self, stack: str) -> list[Path]:
        folder = self.lock_dir(stack)
        return sorted(folder.glob("*.json")) if folder.exists() else []

    def holds_dir(self) -> Path:
        return self.root / "holds"

    def _faults_path(self) -> Path:
        return self.root / "aws" / "faults.json"

    def has_stack(self, stack: str) -> bool:
        return self._state_path(stack).exists()

    def stacks(self) -> list[str]:
        folder = self._state_path("x").parent
        return sorted(path.stem for path in folder.glob("*.json")) if folder.exists() else []

    def init_stack(self, stack: str) -> None:
        self.save_resources(stack, [])
        _write_json(self._history_path(stack), [])

    def deployment(self, stack: str) -> dict:
        """The checkpoint's latest deployment (apitype.DeploymentV3): manifest, resources, pending_operations."""
        return _read_json(self._state_path(stack))["checkpoint"]["latest"]

    # The deployed resources, in the order they were registered.
    def resources(self, stack: str) -> list[dict]:
        return self.deployment(stack)["resources"]

    def pending_operations(self, stack: str) -> list[dict]:
        return self.deployment(stack).get("pending_operations", [])

    def save_resources(self, stack: str, resources: list[dict], pending: Optional[list[dict]] = None) -> None:
        """Writes the snapshot; the engine's snapshot manager does so after every step (backend/snapshot.go)."""
        latest = {"manifest": {"time": now_text()}, "resources": resources}
        if pending:
            latest["pending_operations"] = pending
        _write_json(self._state_path(stack), {"version": 3, "checkpoint": {"stack": stack, "latest": latest}})

    def outputs(self, stack: str) -> dict:
        root = next((r for r in self.resources(stack) if r["type"] == STACK_TYPE), None)
        return dict(root["outputs"]) if root else {}

    def history(self, stack: str) -> list[dict]:
        """Updates, newest first, as `pulumi stack history --json` lists them."""
        return list(reversed(_read_json(self._history_path(stack))))

    def record_update(self, stack: str, entry: dict) -> None:
        entries = _read_json(self._history_path(stack))
        entries.append({**entry, "version": len(entries) + 1})
        _write_json(self._history_path(stack), entries)

    def faults(self) -> dict:
        path = self._faults_path()
        return _read_json(path) if path.exists() else {}

    def save_faults(self, faults: dict) -> None:
        _write_json(self._faults_path(), faults)

    def log_call(self, entry: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / CALL_LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")

    def calls(self) -> list[dict]:
        path = self.root / CALL_LOG
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def now_text() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _write_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(value, indent=2), encoding="utf-8")
    temporary.replace(path)
