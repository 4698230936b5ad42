"""With liveOrigin unset or false, both stacks deploy exactly what they deployed before the live origin existed.

tests/golden/deployed_before_live_origin.json holds, for each shipped stack with maintenance on and off,
every resource's type and inputs, every resource's options and dependencies, and the stack's outputs, as
the real __main__.py gave them on the mock runtime at the commit before the live origin was added.
UPDATE_GOLDEN=1 writes it anew, for a change meant to alter what every stack deploys.
"""

import json
import os
from pathlib import Path

import pytest

from mock_aws import STACKS, run_program

GOLDEN = Path(__file__).with_name("golden") / "deployed_before_live_origin.json"


def deployed(**overrides: str | None) -> dict:
    snapshot = {}
    for stack in STACKS:
        for maintenance in ("true", "false"):
            run = run_program(stack, maintenance=maintenance, **overrides)
            snapshot[f"{stack} maintenance={maintenance}"] = {
                "resources": {name: {"type": r["type"], "inputs": r["inputs"]} for name, r in sorted(run.resources.items())},
                "options": dict(sorted(run.options.items())),
                "outputs": run.outputs,
            }
    return json.loads(json.dumps(snapshot, sort_keys=True))


@pytest.mark.parametrize("live_origin", [None, "false", "False"])
def test_without_live_origin_every_input_is_what_it_was(live_origin):
    now = deployed(liveOrigin=live_origin)
    if os.environ.get("UPDATE_GOLDEN") and live_origin is None:
        GOLDEN.write_text(json.dumps(now, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert now.keys() == golden.keys()
    for case in golden:
        assert now[case] == golden[case], case
