"""Stack files and runs of `python -m maintenance` as an operator would start it, for the command tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "api.theboss.io"
LIVE_TARGET = "elb-live-1234567890.us-east-1.elb.amazonaws.com"
DISTRIBUTION = "d111111abcdef8.cloudfront.net"


def stack_file(folder: Path, maintenance: bool, live: str = f"liveTarget: {LIVE_TARGET}", name: str = "window",
               extra: str = "") -> Path:
    (folder / f"Pulumi.{name}.yaml").write_text(
        "config:\n"
        "  aws:region: us-east-1\n"
        f"  api-maintenance:maintenance: \"{str(maintenance).lower()}\"\n"
        f"  api-maintenance:domain: {DOMAIN}\n"
        "  api-maintenance:zone: theboss.io\n"
        f"  api-maintenance:{live}\n"
        f"{extra}"
    )
    return folder


def run_command(command: str, folder: Path, *arguments: str, path: str = "/usr/bin:/bin", timeout: float = 60):
    env = {"PATH": path, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}
    # Under scripts/mutation, the command runs the mutant its test runs (mutmut's trampolines read this).
    if "MUTANT_UNDER_TEST" in os.environ:
        env["MUTANT_UNDER_TEST"] = os.environ["MUTANT_UNDER_TEST"]
    return subprocess.run(
        [sys.executable, "-m", "maintenance", command, "window", "--cwd", str(folder), *arguments],
        capture_output=True, text=True, timeout=timeout, env=env,
    )


def fake_pulumi(folder: Path, script: str) -> str:
    """A `pulumi` executable running the given shell script; returns a PATH that finds it first."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "pulumi"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin"
