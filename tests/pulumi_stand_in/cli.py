"""The stand-in `pulumi` command: the verbs the Automation API runs for a maintenance window.

Each verb answers from the project directory (the working directory, as the SDK runs the CLI in the
workspace's work_dir) and the file backend, and every invocation is appended to the backend's call
log first. Error texts are the real CLI's, cited where each is raised (pkg/cmd/pulumi/...); a failed
command exits 255, as the real CLI does (it exits with -1; CI logs of failed runs show "exit code 255").

Not modelled (refused with a message saying so): `--path` keys with a path, backends other than
`file://`, and every verb not listed in `run` (refresh, destroy, import, remote operations...).
"""

from __future__ import annotations

import getpass
import json
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .backend import PROJECT, Backend, now_text

EXIT_FAILED = 255
LOGGED_ENV = ("PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "PULUMI_HOME", "PULUMI_AUTOMATION_API",
              "PULUMI_DEBUG_COMMANDS", "PULUMI_SKIP_UPDATE_CHECK", "PULUMI_EXPERIMENTAL")
# Flags that take a value (the rest are booleans); `--flag=value` works for any.
VALUE_FLAGS = {"--stack", "-s", "--event-log", "--save-plan", "--plan", "--exec-kind", "--page-size", "--page",
               "--message", "-m", "--client", "--config-file", "--color", "--parallel", "-p", "--secrets-provider",
               "--target", "--replace", "--exclude", "--policy-pack", "--policy-pack-config", "--tracing",
               "--verbose", "-v", "--cwd", "-C"}
COMMANDS = {"stack": {"select", "init", "output", "history", "ls", "export"},
            "config": {"get", "set", "rm", "set-all", "rm-all"}}
# ResourceV3's fields in their declared order; the omitempty ones are left out when empty (apitype/core.go).
RESOURCE_FIELDS = ("urn", "custom", "delete", "id", "type", "inputs", "outputs", "parent", "protect", "external",
                   "dependencies", "initErrors", "provider", "propertyDependencies", "pendingReplacement",
                   "additionalSecretOutputs", "aliases", "customTimeouts")


class Failure(Exception):
    """A failed command: `error: MESSAGE` on stderr, as the CLI prints it, and exit 255."""


@dataclass
class Arguments:
    argv: list[str]
    words: list[str] = field(default_factory=list)  # the command, then its positional arguments
    options: dict[str, object] = field(default_factory=dict)

    @classmethod
    def parse(cls, argv: list[str]) -> "Arguments":
        parsed = cls(argv)
        tokens = iter(argv)
        for token in tokens:
            if token == "--":
                parsed.words.extend(tokens)
            elif token.startswith("-") and token != "-":
                name, equals, value = token.partition("=")
                parsed.options[name] = value if equals else next(tokens, "") if name in VALUE_FLAGS else True
            else:
                parsed.words.append(token)
        return parsed

    @property
    def command(self) -> str:
        """`up`, `stack select`, `config set`, ...: the verb the call log records."""
        if len(self.words) > 1 and self.words[1] in COMMANDS.get(self.words[0], ()):
            return " ".join(self.words[:2])
        return self.words[0] if self.words else ""

    @property
    def positional(self) -> list[str]:
        return self.words[len(self.command.split()):]

    def value(self, *names: str) -> Optional[str]:
        return next((str(self.options[name]) for name in names if name in self.options), None)


def main(argv: list[str]) -> int:
    # Python ignores SIGPIPE and turns SIGINT into KeyboardInterrupt; a Go program that does not Notify
    # them dies of them: "If the program is not calling Notify for SIGPIPE ... a write to a broken pipe
    # on file descriptors 1 or 2 causes the program to exit with a SIGPIPE signal", and SIGHUP, SIGINT
    # and SIGTERM "cause the program to exit" (Go os/signal docs, "Default behavior of signals in Go
    # programs"). A preview or an up Notifies SIGINT and SIGTERM for its duration (operations.Interrupts).
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.reconfigure(line_buffering=True)
    arguments = Arguments.parse(argv)
    record = Backend(Path(os.environ["STAND_IN_RECORD"]))
    record.log_call({"argv": argv, "command": arguments.command, "cwd": os.getcwd(),
                     "env": {name: os.environ[name] for name in LOGGED_ENV if name in os.environ}})
    try:
        return Cli(arguments, os.environ.get("STAND_IN_VERSION", "3.210.0")).run()
    except Failure as failure:
        print(f"error: {failure}", file=sys.stderr)
        return EXIT_FAILED


class Cli:
    def __init__(self, arguments: Arguments, version: str):
        self.arguments = arguments
        self.version = version
        self.project_dir = Path(arguments.value("--cwd", "-C") or Path.cwd()).resolve()
        # The Python language host runs a program with its project directory first on sys.path, so the
        # project's own `maintenance` package is the one the program (and the stand-in) imports.
        sys.path.insert(0, str(self.project_dir))

    def run(self) -> int:
        command = self.arguments.command
        if command == "version":
            print(f"v{self.version}")
            return 0
        handler = getattr(self, "_" + command.replace(" ", "_").replace("-", "_"), None)
        if handler is None:
            raise Failure(f"the stand-in does not model `pulumi {' '.join(self.arguments.words)}`")
        return handler() or 0

    # --- login and stacks ---

    @property
    def backend(self) -> Backend:
        url = os.environ.get("PULUMI_BACKEND_URL") or self._stored_login()
        if not url:
            # No backend URL and no stored login: the CLI would log in to Pulumi Cloud, which needs a token
            # when it cannot prompt (pkg/backend/httpstate/login.go, "%s must be set for login during
            # non-interactive CLI sessions").
            if not os.environ.get("PULUMI_ACCESS_TOKEN"):
                raise Failure("PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions")
            raise Failure("the stand-in models only file:// backends, not Pulumi Cloud")
        if not url.startswith("file://"):
            raise Failure(f"the stand-in models only file:// backends, not {url}")
        return Backend.from_url(url)

    def _pulumi_home(self) -> Path:
        return Path(os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi")

    def _stored_login(self) -> Optional[str]:
        # `pulumi login` keeps the current backend in ~/.pulumi/credentials.json (sdk/go/common/workspace/creds.go).
        path = self._pulumi_home() / "credentials.json"
        return json.loads(path.read_text()).get("current") if path.exists() else None

    def _require_project(self) -> None:
        if not (self.project_dir / "Pulumi.yaml").exists():
            # sdk/go/common/workspace/paths.go, DetectProjectPathFrom's error wrapping ErrProjectNotFound.
            raise Failure(f"no Pulumi.yaml project file found (searching upwards from {self.project_dir}). "
                          "If you have not created a project yet, use `pulumi new` to do so: no project file found")

    def _workspace_file(self) -> Path:
        return self._pulumi_home() / "workspaces" / f"{PROJECT}-workspace.json"

    def _stack(self, named: Optional[str] = None) -> str:
        """The stack a command acts on, which must exist: `--stack` (or named), else the selected one."""
        backend = self.backend
        self._require_project()
        name = named or self.arguments.value("--stack", "-s")
        if name is None and self._workspace_file().exists():
            name = json.loads(self._workspace_file().read_text()).get("stack")
        if name is None:
            # chooseStack in non-interactive mode (pkg/cmd/pulumi/util.go).
            raise Failure("no stack selected; please use `pulumi stack select` or `pulumi stack init` to choose one")
        if not backend.has_stack(name):
            # pkg/cmd/pulumi/stack/stack_select.go and requireStack: "no stack named '%s' found".
            raise Failure(f"no stack named '{name}' found")
        return name

    def _select(self, name: str) -> None:
        self._workspace_file().parent.mkdir(parents=True, exist_ok=True)
        self._workspace_file().write_text(json.dumps({"stack": name}))

    def _whoami(self) -> None:
        backend = self.backend
        # The diy backend's user is the local account (pkg/backend/diy/backend.go, CurrentUser).
        user = getpass.getuser()
        if self.arguments.options.get("--json"):
            print(json.dumps({"user": user, "organizations": [], "url": f"file://{backend.root}"}, indent=2))
        else:
            print(user)

    def _stack_select(self) -> None:
        name = self.arguments.value("--stack", "-s") or next(iter(self.arguments.positional), None)
        backend = self.backend
        self._require_project()
        if name is None or not backend.has_stack(name):
            raise Failure(f"no stack named '{name}' found")
        self._select(name)

    def _stack_init(self) -> None:
        name = self.arguments.value("--stack", "-s") or next(iter(self.arguments.positional), None)
        backend = self.backend
        self._require_project()
        if not name:
            raise Failure("missing stack name")
        if backend.has_stack(name):
            raise Failure(f"stack '{name}' already exists")  # pkg/backend/backend.go, StackAlreadyExistsError
        backend.init_stack(name)
        if not self.arguments.options.get("--no-select"):
            self._select(name)

    def _stack_ls(self) -> None:
        backend = self.backend
        self._require_project()
        print(json.dumps([{"name": name, "current": False, "updateInProgress": False,
                           "resourceCount": len(backend.resources(name))} for name in backend.stacks()], indent=2))

    def _stack_output(self) -> None:
        stack = self._stack()
        outputs = self.backend.outputs(stack)
        if self.arguments.options.get("--json"):
            print(json.dumps(outputs, indent=2))
        else:
            print(f"Current stack outputs ({len(outputs)}):")
            for key, value in sorted(outputs.items()):
                print(f"    {key}  {value}")

    def _stack_history(self) -> None:
        stack = self._stack()
        entries = self.backend.history(stack)
        size = self.arguments.value("--page-size")
        if size:
            page = int(self.arguments.value("--page") or 1)
            entries = entries[(page - 1) * int(size):page * int(size)]
        # stack_history.go, buildUpdatesJSON: a secret's value only with --show-secrets, which needs the
        # stack's decrypter.
        reveal = self.arguments.options.get("--show-secrets") and any(
            "secure" in value for entry in entries for value in entry["config"].values())
        key = self._stack_key(stack) if reveal else None
        for entry in entries:
            for name, value in entry["config"].items():
                if "secure" in value:
                    ciphertext = value.pop("secure")
                    if key is not None:
                        value["value"] = self._decrypt(key, ciphertext)
        print(json.dumps(entries, indent=2))

    def _stack_key(self, stack: str) -> bytes:
        from . import secrets, stackfile
        top = stackfile.load_values(self._config_path(stack).read_text(encoding="utf-8"))
        try:
            return secrets.key_for(secrets.passphrase(os.environ), top.get("encryptionsalt", ""))
        except secrets.SecretsError as error:
            raise Failure(str(error)) from None

    @staticmethod
    def _decrypt(key: bytes, ciphertext: str) -> str:
        from . import secrets
        try:
            return secrets.decrypt(key, ciphertext)
        except secrets.SecretsError:
            return "ERROR_UNABLE_TO_DECRYPT"  # buildUpdatesJSON's errorDecryptingValue

    def _stack_export(self) -> None:
        """The checkpoint's latest deployment as an UntypedDeployment (diy backend.go, ExportDeployment),
        written by stack_export.go with a json.Encoder: 4-space indent, HTML not escaped."""
        deployment = self.backend.deployment(self._stack())
        exported = {"manifest": deployment["manifest"], "resources": [_resource_v3(r) for r in deployment["resources"]]}
        if deployment.get("pending_operations"):
            exported["pending_operations"] = [{"resource": _resource_v3(op["resource"]), "type": op["type"]}
                                              for op in deployment["pending_operations"]]
        print(json.dumps({"version": 3, "deployment": exported}, indent=4, ensure_ascii=False))

    def _cancel(self) -> None:
        """pkg/cmd/pulumi/cancel/cancel.go: no prompt when not interactive; the diy backend's
        CancelCurrentUpdate deletes the stack's lock files, whether or not an update runs."""
        from . import locks

        named = next(iter(self.arguments.positional), None)
        if named and self.arguments.value("--stack", "-s"):
            raise Failure("only one of --stack or argument stack name may be specified, not both")
        stack = self._stack(named)
        locks.cancel(self.backend, stack)
        print(f"The currently running update for '{stack}' has been canceled!")

    def _refresh(self) -> None:
        """`pulumi refresh --yes`: reads each resource from the provider and adopts what it finds, and
        clears the pending operations an interrupted update left ("you can repair your stack using
        `pulumi refresh` which will refresh the state from the provider ... and clear the pending
        operations": Pulumi docs, "Interrupted updates"). The diy backend locks the stack for it
        (backend.go, Refresh). The stand-in's provider reads back what the state holds (a console edit
        is planted in the state, StandIn.edit_deployed), so only the pending operations change.
        Not modelled: --preview-only, and pending creates (which need an interactive refresh)."""
        from . import locks

        stack = self._stack()
        if self.arguments.options.get("--preview-only"):
            raise Failure("the stand-in does not model `pulumi refresh --preview-only`")
        if not (self.arguments.options.get("--yes") or self.arguments.options.get("--skip-preview")):
            raise Failure("--yes or --skip-preview must be passed in to proceed when running in non-interactive mode")
        try:
            lock = locks.take(self.backend, stack)
        except locks.Locked as error:
            raise Failure(str(error)) from None
        try:
            pending = self.backend.pending_operations(stack)
            if any(operation["type"] == "creating" for operation in pending):
                raise Failure("the stand-in does not model pending creates")
            self.backend.save_resources(stack, self.backend.resources(stack))
            print(f"Refreshing ({stack}):\n\nResources:\n    {len(self.backend.resources(stack))} unchanged")
            self.backend.record_update(stack, {"kind": "refresh", "startTime": now_text(), "endTime": now_text(),
                                               "message": "", "environment": {}, "config": {}, "result": "succeeded",
                                               "resourceChanges": {"same": len(self.backend.resources(stack))}})
        finally:
            lock.unlink(missing_ok=True)

    # --- config: the stack file in the project directory ---

    def _config_path(self, stack: str) -> Path:
        return self.project_dir / f"Pulumi.{stack}.yaml"

    def _full_key(self, key: str) -> str:
        name = key.partition(":")[2] or key
        if self.arguments.options.get("--path") and any(mark in name for mark in ".["):
            raise Failure("the stand-in models config keys without a path only")
        # A key without a namespace is the project's (pkg/cmd/pulumi/config/config.go, parseConfigKey).
        return key if ":" in key else f"{PROJECT}:{key}"

    def _config_values(self, stack: str, reveal: bool = True) -> tuple[dict, set[str]]:
        from . import engine, secrets
        try:
            return engine.stack_config(self.project_dir, stack, os.environ if reveal else None)
        except (engine.SettingsError, secrets.SecretsError) as error:
            raise Failure(str(error)) from None

    def _config(self) -> None:
        stack = self._stack()
        # Without --show-secrets the CLI lists with a blinding decrypter: no passphrase needed.
        show = bool(self.arguments.options.get("--show-secrets"))
        values, secret = self._config_values(stack, reveal=show)
        if self.arguments.options.get("--json"):
            # pkg/cmd/pulumi/config/config.go, listConfig: configValueJSON, `value` omitted for a hidden secret.
            listed = {key: ({"value": value} if show or key not in secret else {}) | {"secret": key in secret}
                      for key, value in values.items()}
            print(json.dumps(listed, indent=2))
        else:
            for key, value in values.items():
                print(f"{key}  {'[secret]' if key in secret and not show else value}")

    def _config_get(self) -> None:
        stack = self._stack()
        key = self._full_key(self.arguments.positional[0])
        values, secret = self._config_values(stack, reveal=False)
        if key not in values:
            # pkg/cmd/pulumi/config/config.go, getConfig.
            raise Failure(f"configuration key '{key}' not found for stack '{stack}'")
        if key in secret:
            values, _ = self._config_values(stack)
        if self.arguments.options.get("--json"):
            print(json.dumps({"value": values[key], "secret": key in secret}, indent=2))
        else:
            print(values[key])

    def _config_set(self) -> None:
        stack = self._stack()
        if len(self.arguments.positional) < 2:
            # pkg/cmd/pulumi/config/config.go: no value and no terminal to read one from.
            raise Failure("config value must be specified in non-interactive mode")
        key, value = self.arguments.positional[:2]
        self._edit_config(stack, {self._full_key(key): (value, bool(self.arguments.options.get("--secret")))}, [])

    def _config_set_all(self) -> None:
        stack = self._stack()
        # set-all repeats `--plaintext KEY=VALUE` and `--secret KEY=VALUE`, so it reads its own argv
        # (_local_workspace.py, set_all_config).
        argv = self.arguments.argv
        pairs = [(argv[index + 1].partition("="), token == "--secret") for index, token in enumerate(argv)
                 if token in ("--plaintext", "--secret") and index + 1 < len(argv)]
        self._edit_config(stack, {self._full_key(key): (value, hidden) for (key, _, value), hidden in pairs}, [])

    def _config_rm(self) -> None:
        stack = self._stack()
        self._edit_config(stack, {}, [self._full_key(key) for key in self.arguments.positional[:1]])

    def _config_rm_all(self) -> None:
        stack = self._stack()
        self._edit_config(stack, {}, [self._full_key(key) for key in self.arguments.positional])

    def _edit_config(self, stack: str, values: dict[str, tuple[str, bool]], removed: list[str]) -> None:
        """Sets (value, secret) pairs and removes keys, saving the file as ProjectStack.Save does (stackfile.py).

        A secret needs the passphrase provider's key; a stack without an encryptionsalt gets one, made
        from the passphrase in the environment (passphrase.NewPromptingPassphraseSecretsManager).
        """
        from . import secrets, stackfile
        from maintenance.settings import SECRET, SettingsError, read_stack_config

        path = self._config_path(stack)
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        top = stackfile.load_values(text)
        try:
            held = read_stack_config(path) if path.exists() else {}
        except SettingsError as error:
            raise Failure(str(error)) from None
        raw = top.get("config") or {}
        # Each value as the CLI holds it (config.Value): a secret's ciphertext, an object, or the text.
        config = {key: {"secure": raw[key]["secure"]} if value is SECRET
                  else raw[key] if isinstance(raw.get(key), (dict, list)) else value for key, value in held.items()}
        key = None
        for name, (value, hidden) in values.items():
            if hidden:
                try:
                    if key is None and top.get("encryptionsalt"):
                        key = secrets.key_for(secrets.passphrase(os.environ), top["encryptionsalt"])
                    elif key is None:
                        top["encryptionsalt"], key = secrets.new_state(secrets.passphrase(os.environ))
                except secrets.SecretsError as error:
                    raise Failure(str(error)) from None
                config[name] = {"secure": secrets.encrypt(key, value)}
            else:
                config[name] = value
        for name in removed:
            config.pop(name, None)
        # os.WriteFile (sdk/go/common/workspace/project.go, save): truncate, then write; a failed write
        # leaves the file cut short, and the CLI says the *PathError's text (os: "write NAME: ERRNO").
        try:
            with open(path, "w", encoding="utf-8") as stack_file:
                stack_file.write(stackfile.rewrite(text, {**top, "config": config}))
        except OSError as error:
            raise Failure(f"write {path}: {error.strerror.lower()}") from None

    # --- preview and up ---

    def _preview(self) -> int:
        from . import operations
        stack = self._stack()
        self._config_values(stack)  # the secrets manager is made before the engine runs
        return operations.preview(self, stack)

    def _up(self) -> int:
        from . import operations
        stack = self._stack()
        if not (self.arguments.options.get("--yes") or self.arguments.options.get("--skip-preview")):
            # pkg/cmd/pulumi/up.go in non-interactive mode.
            raise Failure("--yes or --skip-preview must be passed in to proceed when running in non-interactive mode")
        # The secrets manager is made before the backend locks the stack (up.go, then diy backend.go, Update).
        self._config_values(stack)
        return operations.up(self, stack)


def _resource_v3(record: dict) -> dict:
    return {key: record[key] for key in RESOURCE_FIELDS
            if key in record and (key in ("urn", "custom", "type") or record[key] not in ("", None, {}, [], False))}
