"""The deployed stack's outputs, read with the Pulumi CLI where it is installed and logged in.

Shared by `status` and `preflight`: the outputs name the exact distribution and live target,
and the mode the last `pulumi up` left, where a stack file only gives name patterns.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

PULUMI_TIMEOUT = 10.0


@dataclass(frozen=True)
class StackOutputs:
    values: dict = field(default_factory=dict)
    problem: Optional[str] = None  # why no outputs were read

    def get(self, key: str) -> Optional[str]:
        value = self.values.get(key)
        return value if isinstance(value, str) and value else None


def _end_group(process: subprocess.Popen) -> None:
    """End the CLI and every process it started (its own session), then collect it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()


def read_stack_outputs(stack: str, cwd: Path, timeout: float = PULUMI_TIMEOUT) -> StackOutputs:
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        return StackOutputs(problem="the Pulumi CLI is not installed")
    try:
        process = subprocess.Popen(
            [pulumi, "stack", "output", "--json", "--stack", stack], cwd=cwd,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
            start_new_session=True,
        )
    except OSError as error:
        return StackOutputs(problem=f"could not run the Pulumi CLI: {error}")
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _end_group(process)
        return StackOutputs(problem=f"`pulumi stack output` gave no answer within {timeout:g}s")
    except BaseException:  # Ctrl-C: leave no CLI behind
        _end_group(process)
        raise
    if process.returncode != 0:
        last_line = (stderr.strip().splitlines() or ["no message"])[-1]
        return StackOutputs(problem=f"`pulumi stack output` failed: {last_line}")
    try:
        values = json.loads(stdout)
    except ValueError:
        return StackOutputs(problem="`pulumi stack output` printed no JSON")
    if not isinstance(values, dict):
        return StackOutputs(problem="`pulumi stack output` printed no JSON object")
    return StackOutputs(values)
