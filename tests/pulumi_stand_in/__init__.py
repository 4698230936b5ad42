"""A stand-in `pulumi` CLI for the tests, computing its answers from the real program.

For the window commands' tests (issue 12); first usable version committed at 14:37. See the module
docstrings of cli.py (verbs and their error texts), engine.py (steps and update plans),
operations.py (preview, up, faults, signals), events.py (the event stream), locks.py (the diy
backend's stack lock), holds.py (stopping a command at a phase), secrets.py (the passphrase
provider) and stackfile.py (how `config set` rewrites a stack file).

    stand_in = StandIn(project_copy(tmp_path), tmp_path / "backend")
    stand_in.deploy("window")                      # a first `pulumi up`, through the stand-in itself
    stand_in.init_secrets("window", "passphrase")  # optional: a passphrase-provider stack
    subprocess.run([...], env=stand_in.env)        # the command under test finds it on PATH
    assert not stand_in.ran("up")

Every invocation is logged (argv, the verb, cwd, the PULUMI_* environment) in the backend folder.
A test can stop a preview or an up at an exact phase (hold, wait_held, release: holds.py) and then
signal or kill that `pulumi` process; what it leaves (lock, state saved per step, pending operation)
is on disk as the real CLI would leave it.
A console edit is a changed input in the deployed state, as a `pulumi refresh` would have recorded it
(a preview without refresh compares the program with the state only). A planted AWS fault makes the
next change of a resource of that type fail.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from . import holds, secrets, stackfile
from .backend import Backend

ROOT = Path(__file__).resolve().parent.parent.parent
PROGRAM_FILES = ("__main__.py", "Pulumi.yaml", "maintenance", "site")


def project_copy(tmp_path: Path) -> Path:
    """A copy of what the program needs, so that a test's stack file edits never touch the repository."""
    project = tmp_path / "project"
    project.mkdir()
    for name in PROGRAM_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    return project


class StandIn:
    """A `pulumi` on PATH for a project directory, with its own file backend."""

    def __init__(self, project_dir: Path, backend_dir: Path, *, logged_in: bool = True, version: str = "3.210.0"):
        self.project_dir = project_dir
        self.backend = Backend(backend_dir)
        backend_dir.mkdir(parents=True, exist_ok=True)
        bin_dir = backend_dir / "bin"
        bin_dir.mkdir(exist_ok=True)
        self.executable = bin_dir / "pulumi"
        python_path = f"{ROOT}:{ROOT / 'tests'}"
        self.executable.write_text(
            "#!/bin/sh\n"
            f"STAND_IN_RECORD={shlex.quote(str(backend_dir))} STAND_IN_VERSION={shlex.quote(version)} "
            f"PYTHONPATH={shlex.quote(python_path)} exec {shlex.quote(sys.executable)} -m pulumi_stand_in \"$@\"\n"
        )
        self.executable.chmod(0o755)
        home = backend_dir / "home"
        home.mkdir(exist_ok=True)
        # HOME is the test's own, so no real login (~/.pulumi/credentials.json) is ever read.
        self.env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
                    "PYTHONPATH": str(ROOT), "PULUMI_SKIP_UPDATE_CHECK": "true"}
        if logged_in:
            self.env["PULUMI_BACKEND_URL"] = f"file://{backend_dir}"

    def automation_options(self) -> "auto.LocalWorkspaceOptions":
        """Options for `pulumi.automation.select_stack(..., opts=...)` that drive this stand-in."""
        from pulumi import automation as auto  # not at the top: the stand-in's own start-up stays light

        return auto.LocalWorkspaceOptions(pulumi_command=auto.PulumiCommand(root=str(self.backend.root)),
                                          env_vars=self.env)

    def run(self, *arguments: str) -> subprocess.CompletedProcess:
        """Runs the stand-in as a command would (logged like any other call)."""
        return subprocess.run([str(self.executable), *arguments], cwd=self.project_dir, env=self.env,
                              capture_output=True, text=True, timeout=120)

    def deploy(self, stack: str) -> None:
        """The stack's first `pulumi up`, from the current stack file."""
        if not self.backend.has_stack(stack):
            self._check(self.run("stack", "init", stack))
        self._check(self.run("up", "--yes", "--skip-preview", "--stack", stack))

    @staticmethod
    def _check(result: subprocess.CompletedProcess) -> None:
        if result.returncode != 0:
            raise AssertionError(f"the stand-in failed: {result.args}\n{result.stdout}\n{result.stderr}")

    def _find(self, stack: str, resource_type: str, name: str | None = None) -> dict:
        found = [r for r in self.backend.resources(stack)
                 if r["type"] == resource_type and (name is None or r["urn"].rsplit("::", 1)[1] == name)]
        assert len(found) == 1, f"expected one deployed {resource_type} {name or ''}, found {len(found)}"
        return found[0]

    def edit_deployed(self, stack: str, resource_type: str, name: str, key: str, value) -> None:
        """A console edit of a deployed resource's input, as a refresh would have recorded it."""
        resources = self.backend.resources(stack)
        target = self._find(stack, resource_type, name)
        for record in resources:
            if record["urn"] == target["urn"]:
                record["inputs"][key] = value
                record["outputs"][key] = value
        self.backend.save_resources(stack, resources, self.backend.pending_operations(stack))

    def fail_next_change(self, stack: str, resource_type: str, message: str) -> None:
        """AWS rejects the next create, update or delete of a resource of that type with this error."""
        faults = self.backend.faults()
        faults.setdefault(stack, {})[resource_type] = message
        self.backend.save_faults(faults)

    def deployed(self, stack: str, resource_type: str, name: str | None = None) -> dict:
        """A deployed resource's state record (urn, type, id, inputs, outputs)."""
        return self._find(stack, resource_type, name)

    def calls(self) -> list[list[str]]:
        return [entry["argv"] for entry in self.backend.calls()]

    def outputs(self, stack: str) -> dict:
        return self.backend.outputs(stack)

    def init_secrets(self, stack: str, passphrase: str) -> None:
        """Makes the stack a passphrase-provider stack (an encryptionsalt in its file), its commands
        given the passphrase through PULUMI_CONFIG_PASSPHRASE."""
        path = self.project_dir / f"Pulumi.{stack}.yaml"
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        top = stackfile.load_values(text)
        top["encryptionsalt"], _ = secrets.new_state(passphrase)
        path.write_text(stackfile.rewrite(text, top), encoding="utf-8")
        self.env["PULUMI_CONFIG_PASSPHRASE"] = passphrase

    def hold(self, stack: str, point: str) -> None:
        """The stack's next preview or up stops at `point` (see holds.py) until released."""
        holds.hold(self.backend.holds_dir(), stack, point)

    def wait_held(self, point: str, timeout: float = 60) -> int:
        """Blocks until a stand-in waits at `point`; returns that `pulumi` process's pid."""
        return holds.wait_held(self.backend.holds_dir(), point, timeout)

    def release(self, point: str) -> None:
        holds.release(self.backend.holds_dir(), point)

    def locks(self, stack: str) -> list[Path]:
        return self.backend.locks(stack)

    def ran(self, verb: str) -> bool:
        """Whether a call ran that verb: "up", "preview", "stack select", "config set", ..."""
        return any(entry["command"] == verb for entry in self.backend.calls())
