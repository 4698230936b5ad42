"""docs/help.md is what each command's --help says: its options, their help texts and its exit codes.

The page is rendered from the commands' own parsers, so a changed option or help text fails here and
the page never drifts from the program. After a deliberate change, write the page anew with
`UPDATE_HELP=1 venv/bin/python -m pytest tests/test_help.py`, then read its diff.
"""

from __future__ import annotations

import argparse
import importlib
import os
from maintenance.cli import PROGRAM
from maintenance.cli.main import COMMANDS, add_command_arguments, build_parsers

from commands import ROOT

PAGE = ROOT / "docs" / "help.md"
INTRODUCTION = f"""\
# What each command's `--help` says
Every option of every `{PROGRAM}` command, and its exit codes. `tests/test_help.py` renders this page
from the commands themselves and fails when it differs; how the commands work is in
[commands.md](commands.md).
"""


def _invocation(action: argparse.Action) -> str:
    """How the option is written, as argparse's help shows it (`--to {maintenance,live}`, `STACK`)."""
    if not action.option_strings:
        return (action.metavar or action.dest).upper()
    names = ", ".join(action.option_strings)
    if action.nargs == 0:
        return names
    value = action.metavar or ("{" + ",".join(action.choices) + "}" if action.choices else action.dest.upper())
    return f"{names} {value}"


def _command_section(name: str) -> str:
    _, parsers = build_parsers()
    parser = parsers[name]
    add_command_arguments(parser, importlib.import_module(COMMANDS[name][0]))
    lines = [f"## {PROGRAM} {name}", COMMANDS[name][1] + ".", "", parser.description.strip(), ""]
    # Argparse's own grouping, as --help shows it: arguments, options, then the command's own groups.
    for group in parser._action_groups:
        actions = [action for action in group._group_actions if not isinstance(action, argparse._HelpAction)]
        if not actions:
            continue
        lines += [f"{group.title}:", "", "| argument | help |", "|---|---|"]
        lines += [f"| `{_invocation(action)}` | {action.help.replace('|', chr(92) + '|')} |" for action in actions]
        lines.append("")
    lines += ["```text", parser.epilog.rstrip(), "```", ""]
    return "\n".join(lines)


def render_page() -> str:
    return "\n".join([INTRODUCTION] + [_command_section(name) for name in COMMANDS]).rstrip() + "\n"


def test_the_help_page_is_what_the_commands_say():
    page = render_page()
    if os.environ.get("UPDATE_HELP") == "1":
        PAGE.write_text(page)
    assert PAGE.read_text() == page, (
        "docs/help.md differs from the commands' --help: if the change is meant, run "
        "UPDATE_HELP=1 venv/bin/python -m pytest tests/test_help.py and read the diff")


def test_the_page_gives_each_option_and_its_help():
    section = _command_section("status")
    assert "| `--timeout S` | with --wait: give up after S seconds (default 900) |" in section
    assert "| `--nameserver HOST[:PORT]` | authoritative server to ask (repeatable)" in section
    assert "| `STACK` | stack name:" in section and "| `--http` | also request" in section
    assert "\n  130  interrupted (Ctrl-C)\n  141  the output's reader went away (| head)\n```" in section
    assert "| `--to {maintenance,live}` | the mode about to be switched to" in _command_section("preflight")
