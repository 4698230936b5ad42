"""The stand-in's engine: the real program on the mock runtime, diffed against the deployed state.

A preview runs the project's own `__main__.py` on Pulumi's mock runtime (tests/mock_aws.py) with the
stack file's config, and compares each registered resource's inputs with the inputs recorded for it
in the backend, as the engine's step generator does without a provider diff
(pulumi/pulumi pkg/resource/deploy/step_generator.go): no old state is a `create`; equal inputs a
`same`; a changed input an `update`, or a `replace` when the provider marks that input ForceNew;
a deployed resource the program no longer registers a `delete`.

The steps follow the program's declaration order. The real engine runs the steps of independent
resources concurrently ("as concurrently as possible relative to the dependencies in your program",
Pulumi blog, "Continue on Error in the Pulumi CLI"; `pulumi up --parallel` "defaults to unbounded"),
in no order a test can count on; the stand-in applies one step at a time, and needs one that every run
repeats. The mock runtime's registration order is not one: the SDK sends each RegisterResource from
the event loop's thread pool (pulumi runtime/resource.py, run_in_executor), so two resources ready
together reach the mock in whichever order their threads run. Declaration order is one the engine may
run them in: a resource can only depend on one declared before it.

Not modelled: provider resources (`pulumi:providers:aws`), dependencies and resource options in
plans, unknown values during a preview, and detailed diffs below the top-level key.
"""

from __future__ import annotations

import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pulumi

from maintenance.settings import SECRET, SettingsError, read_stack_config
from mock_aws import MockProgram

from . import secrets, stackfile
from .backend import PROJECT, STACK_TYPE, stack_urn

# Inputs whose change makes the provider replace the resource (ForceNew in its schema).
FORCE_NEW = {
    # hashicorp/terraform-provider-aws internal/service/route53/record.go: `name` and `zone_id` are
    # ForceNew; `type` is not (an update rewrites the record set in one change batch).
    "aws:route53/record:Record": ("name", "zoneId"),
}

CHANGE_OPS = ("create", "update", "create-replacement", "delete")


@dataclass
class Resource:
    """A resource as the program registers it (or the stack itself)."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    id: str
    inputs: dict
    outputs: dict

    def record(self) -> dict:
        """The resource as the state file keeps it."""
        return {"urn": self.urn, "type": self.type, "id": self.id, "custom": self.custom,
                "parent": self.parent, "inputs": self.inputs, "outputs": self.outputs}


@dataclass
class ProgramRun:
    config: dict  # a secret shown as "[secret]"
    resources: list[Resource]  # in declaration order, the stack first
    secure: dict = field(default_factory=dict)  # each secret's ciphertext, as the update's config keeps it

    @property
    def outputs(self) -> dict:
        return self.resources[0].outputs


@dataclass
class Step:
    op: str
    urn: str
    type: str
    old: Optional[dict]
    new: Optional[Resource]
    diffs: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # the inputs that force a replacement
    detailed_diff: Optional[dict] = None
    logical: bool = True

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[1]

    def metadata(self) -> dict:
        """StepEventMetadata (sdk/go/common/apitype/events.go)."""
        body = {
            "op": self.op, "urn": self.urn, "type": self.type,
            "old": _state_metadata(self.old) if self.old else None,
            "new": _state_metadata(self.new.record()) if self.new else None,
            "detailedDiff": self.detailed_diff, "logical": self.logical, "provider": "",
        }
        if self.keys:
            body["keys"] = self.keys
        if self.diffs:
            body["diffs"] = self.diffs
        return body


def _state_metadata(record: dict) -> dict:
    """StepEventStateMetadata (sdk/go/common/apitype/events.go)."""
    return {"type": record["type"], "urn": record["urn"], "custom": record["custom"], "id": record["id"],
            "parent": record["parent"], "inputs": record["inputs"], "outputs": record["outputs"], "provider": ""}


class ProgramError(Exception):
    """The program (or its stack file) failed; the message is what Pulumi would print."""


def stack_config(project_dir: Path, stack: str, env=None) -> tuple[dict, set[str]]:
    """The stack file's config as the engine hands it to the program, and which keys are secrets.

    With `env` (the CLI's environment) the passphrase provider's key is made, as the CLI makes the
    stack's secrets manager whenever the file has an encryptionsalt, and the secrets are decrypted;
    without it each secret stays SECRET (what `pulumi config` lists without --show-secrets).
    """
    path = project_dir / f"Pulumi.{stack}.yaml"
    config = read_stack_config(path) if path.exists() else {}
    secret = {key for key, value in config.items() if value is SECRET}
    if env is None:
        return config, secret
    raw = stackfile.load_values(path.read_text(encoding="utf-8")) if path.exists() else {}
    salt = raw.get("encryptionsalt")
    if salt:
        key = secrets.key_for(secrets.passphrase(env), salt)
        for name in secret:
            config[name] = secrets.decrypt(key, raw["config"][name]["secure"])
    elif secret:
        raise secrets.SecretsError("the stand-in models secure values of the passphrase provider only")
    return config, secret


def run_program(project_dir: Path, stack: str, env) -> ProgramRun:
    try:
        config, secret = stack_config(project_dir, stack, env)
    except SettingsError as error:
        raise ProgramError(str(error)) from None
    program = MockProgram.for_config(stack, config)
    # The language host tells the program which keys are secrets (PULUMI_CONFIG_SECRET_KEYS).
    program.secret_keys = sorted(secret)
    declared: list[str] = []

    def declaring_program():
        # A resource's constructor runs the stack's transformations before it registers (pulumi resource.py,
        # Resource.__init__); this one changes nothing (None) and sees each name in declaration order.
        pulumi.runtime.register_stack_transformation(lambda args: declared.append(args.name))
        runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")

    try:
        run = program.run(declaring_program)
    except Exception as error:  # the language host reports a failed program as an error diagnostic
        raise ProgramError(str(error) or type(error).__name__) from None
    root = Resource(stack_urn(stack), STACK_TYPE, f"{PROJECT}-{stack}", False, "", "",
                    {}, _plain(run.outputs))
    resources = [root]
    urns = {}
    for name in sorted(run.resources, key=declared.index):
        registered = run.resources[name]
        options = run.options[name]
        parent_name = options["parent"].rsplit("::", 1)[1]
        parent = urns.get(parent_name, root.urn)
        # A child's URN type is its parent's qualified type, then its own; not for children of the stack
        # (pulumi/pulumi sdk/go/common/resource/urn.go, NewURN; step_generator.go, generateURN).
        qualified = registered["type"] if parent == root.urn else f"{parent.split('::')[2]}${registered['type']}"
        urn = f"urn:pulumi:{stack}::{PROJECT}::{qualified}::{name}"
        urns[name] = urn
        resources.append(Resource(urn, registered["type"], name, bool(options["custom"]), parent,
                                  registered["id"] if options["custom"] else "",
                                  _plain(registered["inputs"]), _plain(registered["outputs"])))
    shown = {key: "[secret]" if key in secret else value for key, value in config.items()}
    path = project_dir / f"Pulumi.{stack}.yaml"
    raw = stackfile.load_values(path.read_text(encoding="utf-8")).get("config", {}) if secret else {}
    return ProgramRun(_plain(shown), resources, {key: raw[key]["secure"] for key in secret})


def _plain(value):
    return json.loads(json.dumps(value))


def compute_steps(run: ProgramRun, deployed: list[dict]) -> list[Step]:
    olds = {record["urn"]: record for record in deployed}
    steps: list[Step] = []
    later: list[Step] = []
    for new in run.resources:
        old = olds.get(new.urn)
        if old is None:
            steps.append(Step("create", new.urn, new.type, None, new))
            continue
        changed = changed_keys(old["inputs"], new.inputs) if new.custom else []
        if not changed:
            steps.append(Step("same", new.urn, new.type, old, new))
            continue
        replace_keys = [key for key in changed if key in FORCE_NEW.get(new.type, ())]
        detailed = {key: {"diffKind": _diff_kind(old["inputs"], new.inputs, key) + ("-replace" if key in replace_keys
                                                                                      else ""), "inputDiff": True}
                    for key in changed}
        if replace_keys:
            # Create-before-delete: the replacement, the logical replace, and the old one's delete at the end
            # (pkg/resource/deploy/step.go: CreateStep with replacing, ReplaceStep, DeleteStep with replacing).
            for op, logical, bucket in (("create-replacement", False, steps), ("replace", True, steps),
                                        ("delete-replaced", False, later)):
                bucket.append(Step(op, new.urn, new.type, old, new, changed, replace_keys, detailed, logical))
        else:
            steps.append(Step("update", new.urn, new.type, old, new, changed, [], detailed))
    registered = {resource.urn for resource in run.resources}
    deletes = [Step("delete", record["urn"], record["type"], record, None)
               for record in reversed(deployed) if record["urn"] not in registered]
    return steps + later + deletes


def changed_keys(olds: dict, news: dict) -> list[str]:
    return sorted(key for key in olds.keys() | news.keys() if olds.get(key) != news.get(key))


def _diff_kind(olds: dict, news: dict, key: str) -> str:
    if key not in olds:
        return "add"
    if key not in news:
        return "delete"
    return "update"


def change_counts(steps: list[Step]) -> dict[str, int]:
    """summaryEvent.resourceChanges: logical steps only, by op."""
    counts: dict[str, int] = {}
    for step in steps:
        if step.logical:
            counts[step.op] = counts.get(step.op, 0) + 1
    return counts


# --- update plans: pkg/resource/deploy/plan.go and sdk/go/common/apitype/plan.go ---

def input_diff(olds: dict, news: dict) -> dict:
    """PlanDiffV1: the inputs the step adds, deletes and updates."""
    diff = {
        "adds": {key: value for key, value in news.items() if key not in olds},
        "deletes": sorted(key for key in olds if key not in news),
        "updates": {key: value for key, value in news.items() if key in olds and olds[key] != value},
    }
    return {kind: value for kind, value in diff.items() if value}


def make_plan(run: ProgramRun, steps: list[Step], deployed: list[dict], version: str) -> dict:
    """A DeploymentPlanV1: per URN the goal and the ordered steps the preview saw."""
    olds = {record["urn"]: record for record in deployed}
    plans: dict[str, dict] = {}
    for resource in run.resources:
        old_inputs = olds[resource.urn]["inputs"] if resource.urn in olds else {}
        plans[resource.urn] = {
            "goal": {"type": resource.type, "name": resource.name, "custom": resource.custom,
                     "inputDiff": input_diff(old_inputs, resource.inputs), "outputDiff": {},
                     "parent": resource.parent, "protect": False},
            "steps": [], "state": resource.outputs,
        }
    for step in steps:
        plans.setdefault(step.urn, {"steps": [], "state": step.old["outputs"] if step.old else {}})
        plans[step.urn]["steps"].append(step.op)
    return {"manifest": {"version": f"v{version}"}, "config": run.config, "resourcePlans": plans}


def plan_violation(plan: dict, run: ProgramRun, steps: list[Step], deployed: list[dict]) -> Optional[str]:
    """The engine's refusal of the first step the plan does not hold, or None.

    As step_generator.go does per registered resource: first the goal's inputs against the plan
    (generateSteps: "resource %s violates plan: %w", with plan.go checkGoal/checkMissingPlan), then
    each step's op against the plan's next op (validateSteps: "%v is not allowed by the plan: ...").
    """
    olds = {record["urn"]: record for record in deployed}
    plans = plan.get("resourcePlans", {})
    remaining = {urn: list(resource_plan.get("steps", [])) for urn, resource_plan in plans.items()}
    steps_by_urn: dict[str, list[Step]] = {}
    for step in steps:
        steps_by_urn.setdefault(step.urn, []).append(step)
    for resource in run.resources:
        old = olds.get(resource.urn)
        resource_plan = plans.get(resource.urn)
        if resource_plan is None:
            problem = check_diff(old["inputs"], resource.inputs, {}) if old else None
        elif resource_plan.get("goal") is None:
            problem = "resource unexpectedly not deleted"
        else:
            problem = check_diff(old["inputs"] if old else {}, resource.inputs, resource_plan["goal"].get("inputDiff", {}))
        if problem:
            return f"resource {resource.urn} violates plan: {problem}"
    for step in steps:
        if step.urn not in remaining:
            if step.op != "same":
                return f"{step.op} is not allowed by the plan: no steps were expected for this resource"
            continue
        if not remaining[step.urn]:
            return f"{step.op} is not allowed by the plan: no more steps were expected for this resource"
        constraint = remaining[step.urn].pop(0)
        if not constrained_to(step.op, constraint):
            return f"{step.op} is not allowed by the plan: this resource is constrained to {constraint}"
    return None


def constrained_to(op: str, constraint: str) -> bool:
    # plan.go, Plan: "a same step is allowed in place of an update or a replace step, and an update is
    # allowed in place of a replace step".
    return op == constraint or (op == "same" and constraint in ("update", "replace")) or (
        op == "update" and constraint == "replace")


def check_diff(olds: dict, news: dict, plan_diff: dict) -> Optional[str]:
    """plan.go checkDiff: every actual add, delete and update must be the planned one, and back."""
    adds, deletes, updates = plan_diff.get("adds", {}), plan_diff.get("deletes", []), plan_diff.get("updates", {})
    actual_adds = {key: value for key, value in news.items() if key not in olds}
    actual_deletes = [key for key in olds if key not in news]
    actual_updates = {key: value for key, value in news.items() if key in olds and olds[key] != value}

    def error(key: str, actual_op: str, actual=_MISSING) -> str:
        # plan.go PlanDiff.MakeError: the planned op, the actual op, the key, then [expected!=actual].
        expected = adds.get(key, updates.get(key, _MISSING))
        planned = "+" if key in adds else "~" if key in updates else "-" if key in deletes else "="
        shown = [_go_property(value) for value in (expected, actual) if value is not _MISSING]
        return planned + actual_op + key + ("[" + "!=".join(shown) + "]" if shown else "")

    changes = []
    for key, value in actual_adds.items():
        if key not in adds or adds[key] != value:
            changes.append(error(key, "+", value))
    changes += [error(key, "-") for key in actual_deletes if key not in deletes]
    for key, value in actual_updates.items():
        planned = updates.get(key, adds.get(key, _MISSING))
        if planned != value:
            changes.append(error(key, "~", value))
    for key, expected in adds.items():
        if key not in actual_adds and key not in actual_updates:
            if key not in news:
                changes.append(error(key, "-"))
            elif news[key] != expected:
                changes.append(error(key, "=", news[key]))
    for key, expected in updates.items():
        if key not in actual_updates:
            if key in actual_adds:
                changes.append(error(key, "+", actual_adds[key]))
            elif key not in news:
                changes.append(error(key, "-"))
            elif news[key] != expected:
                changes.append(error(key, "=", news[key]))
    for key in deletes:
        if key not in actual_deletes and key in news:
            op = "+" if key in actual_adds else "~" if key in actual_updates else "="
            changes.append(error(key, op, news[key]))
    return "properties changed: " + ", ".join(sorted(changes)) if changes else None


_MISSING = object()


def _go_property(value) -> str:
    """sdk/go/common/resource/properties.go PropertyValue.String: fmt.Sprintf("{%v}", v.V)."""
    return "{" + _go_value(value) + "}"


def _go_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format(float(value), "g")
    if isinstance(value, list):
        return "[" + " ".join(_go_property(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{_go_property(value[key])}" for key in sorted(value)) + "]"
    if value is None:
        return "<nil>"
    return str(value)
