"""python -m maintenance: commands for operators during a maintenance window."""

import argparse
import importlib
import os
import sys

from ..python_version import unsupported_python
from . import PROGRAM
from .answers import (
    EXIT_READER_GONE, EXIT_USAGE, SHOWN_CHARACTERS, error_json, shown, stop_writing_output,
)
from .signals import INTERRUPTED_EXITS, exit_code, signal_name, signal_number

# name -> (module, one-line help); a module is imported only when its command runs.
COMMANDS = {
    "status": ("maintenance.cli.status", "tell whether the switch has reached the world"),
    "preflight": ("maintenance.cli.preflight", "check the target answers as it should, before a switch"),
    "import-file": ("maintenance.cli.import_file", "print the pulumi import --file JSON that adopts the console-built resources"),
    "on": ("maintenance.cli.window", "switch to the maintenance page: preflight, guarded pulumi up, status --wait"),
    "off": ("maintenance.cli.window", "switch back to the live API: preflight, guarded pulumi up, status --wait"),
    "message": ("maintenance.cli.message", "change the page's message and until: guarded pulumi up"),
    "serve": ("maintenance.cli.serve", "answer locally as the stack's maintenance distribution would, to see it before a window"),
    "history": ("maintenance.cli.history", "list the stack's past maintenance windows: when, why, who ran them, overruns"),
}

VENV_HINT = """\
error: {error}: python -m maintenance needs the packages in requirements.txt.
Run it with the project's virtualenv: venv/bin/python -m maintenance {command} ...
(create it once with: python3 -m venv venv && venv/bin/pip install -r requirements.txt)"""


def _explain_missing_package(error: ModuleNotFoundError, command: str) -> None:
    """Say which python to use when a required package is missing; a missing module of ours is a bug."""
    if (error.name or "").partition(".")[0] == "maintenance":
        raise error
    print(VENV_HINT.format(error=error, command=command), file=sys.stderr)


class UsageError(Exception):
    """argparse refused the command line; raised instead of its exit, so that --json can answer too."""

    def __init__(self, parser: argparse.ArgumentParser, message: str):
        super().__init__(message)
        self.parser = parser


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(self, message)


def _wants_json(parser: argparse.ArgumentParser, argv: list[str]) -> bool:
    """Whether the command line asks for --json, read on its own, as the full parse may fail."""
    if parser.get_default("json") is None:  # the command has no --json
        return False
    flag = argparse.ArgumentParser(add_help=False)
    flag.add_argument("--json", action="store_true")
    return flag.parse_known_args(argv)[0].json


def _import(command: str, as_json: bool):
    try:
        return importlib.import_module(COMMANDS[command][0])
    except ModuleNotFoundError as error:
        _explain_missing_package(error, command)
        if as_json:
            print(error_json(EXIT_USAGE, f"{error}: python -m maintenance needs the packages in requirements.txt"))
        return None


def build_parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser, and each command's, still without the command's own arguments."""
    parser = _Parser(prog=PROGRAM, description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    return parser, {name: commands.add_parser(name, help=help_text) for name, (_, help_text) in COMMANDS.items()}


def add_command_arguments(command_parser: argparse.ArgumentParser, module) -> None:
    """What the command's module gives its parser: arguments, description and exit codes."""
    command_parser.description = module.__doc__
    command_parser.epilog = module.EXIT_CODES
    command_parser.formatter_class = argparse.RawDescriptionHelpFormatter
    module.add_arguments(command_parser)


def main(argv=None) -> int:
    try:
        try:
            return _run_command(sys.argv[1:] if argv is None else list(argv))
        finally:
            # A closed pipe is found here, after --help's exit too, and not in the flush at the
            # interpreter's exit (Python docs, signal, "Note on SIGPIPE").
            sys.stdout.flush()
    except BrokenPipeError:
        stop_writing_output()
        return EXIT_READER_GONE


def _run_command(argv: list[str]) -> int:
    if problem := unsupported_python():
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    parser, parsers = build_parsers()
    # The first word that is not an option names the command; only its module is imported.
    chosen = next((word for word in argv if not word.startswith("-")), None)
    module = None
    if chosen in COMMANDS:
        # The word itself: without its module, the command's parser cannot read the command line.
        module = _import(chosen, "--json" in argv)
        if module is None:
            return EXIT_USAGE
        add_command_arguments(parsers[chosen], module)
    as_json = module is not None and _wants_json(parsers[chosen], argv)
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # reported with the command's usage, not the top-level one
            listed = " ".join(unknown)
            parsers[args.command].error(
                f"unrecognized arguments: {listed if len(listed) <= SHOWN_CHARACTERS else shown(listed)}")
    except UsageError as error:
        # What argparse's own error() prints, before its exit 2.
        error.parser.print_usage(sys.stderr)
        print(f"{error.parser.prog}: error: {error}", file=sys.stderr)
        if as_json:
            print(error_json(EXIT_USAGE, str(error)))
        return EXIT_USAGE
    try:
        return module.run(args)
    except KeyboardInterrupt as interruption:
        signum = signal_number(interruption)
        if as_json:
            print(error_json(exit_code(signum), f"interrupted ({signal_name(signum)})"))
        return exit_code(signum)


def exit_with(code: int) -> None:
    if code not in INTERRUPTED_EXITS:
        sys.exit(code)
    # Interrupted: leave now. A normal exit would wait up to a query timeout for the lookups
    # in flight: "All threads enqueued to ThreadPoolExecutor will be joined before the
    # interpreter can exit" (Python docs, concurrent.futures, ThreadPoolExecutor). A Pulumi CLI the
    # command started is gone by then: `stack output` is ended (pulumi_stack.py), an update is
    # waited for and never ended (change.py).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


