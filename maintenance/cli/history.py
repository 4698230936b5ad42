"""`python -m maintenance history STACK`: the stack's past maintenance windows, oldest first.

Reads the stack's update history from its Pulumi backend (`pulumi stack history --json`, through the
Automation API). A window runs from the update that switched the stack to maintenance to the one that
switched it back. For each: start, end and duration; every update's message (the window commands
record why, e.g. `maintenance on: db upgrade`); who ran it, as far as Pulumi records it (the
checkout's git author, CI system, how the CLI was run); whether it is still open, and whether an
`until` passed while it was open (overrun).
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path

from ..settings import SettingsError, stack_file_path
from .answers import EXIT_USAGE, report_error, shown
from .options import add_cwd_argument, add_stack_argument
from .pulumi_stack import PulumiStack, PulumiUnavailable, open_stack, pulumi_error
from .windows import Update, build_windows, document, report, update_from

EXIT_FAILED = 3
DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
# Pages of the history read at a time; the CLI's own page size is 10 (stack_history.go, --page-size).
PAGE_SIZE = 100
MAX_PAGES = 100

EXIT_CODES = """\
exit codes:
  0    the windows are listed (no window at all is no error)
  2    usage error: bad option, no Pulumi CLI, not logged in, unknown stack
  3    `pulumi stack history` failed, or printed what this command cannot read
  130  interrupted (Ctrl-C)
  141  the output's reader went away (| head)
"""


class HistoryFailed(Exception):
    """`pulumi stack history` failed or gave something unreadable."""


def _limit(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"{shown(text)}: must be a whole number of windows from 1 to {MAX_LIMIT}")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack_argument(parser)
    parser.add_argument("--limit", type=_limit, default=DEFAULT_LIMIT, metavar="N",
                        help=f"show the N newest windows (default {DEFAULT_LIMIT})")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    add_cwd_argument(parser)


def history_page(pulumi: PulumiStack, page: int, page_size: int = PAGE_SIZE) -> list[Update]:
    """One page of the stack's updates, newest first; HistoryFailed when Pulumi fails or answers oddly."""
    from pulumi.automation import CommandError  # see open_stack: gRPC loads with it

    try:
        # Secrets are not needed (only maintenance and until, never secrets, are read), and without
        # --show-secrets the CLI needs no passphrase to list the history (stack_history.go: the decrypter
        # is made only for showSecrets).
        summaries = pulumi.stack.history(page_size=page_size, page=page, show_secrets=False)
    except (CommandError, RuntimeError) as error:
        raise HistoryFailed(f"`pulumi stack history` failed: {pulumi_error(error)}") from None
    # KeyError, ValueError, TypeError: JSON that is not the history the SDK expects.
    except (KeyError, ValueError, TypeError) as error:
        raise HistoryFailed(f"`pulumi stack history` printed what this command cannot read ({error!r})") from None
    try:
        return [update_from(version=summary.version, kind=summary.kind, result=summary.result,
                            start=summary.start_time, end=summary.end_time, message=summary.message,
                            environment=summary.environment, config=summary.config) for summary in summaries]
    except (AttributeError, TypeError, ValueError) as error:
        raise HistoryFailed(f"`pulumi stack history` printed what this command cannot read ({error!r})") from None


def read_updates(pulumi: PulumiStack, limit: int, page_size: int = PAGE_SIZE) -> tuple[list[Update], bool]:
    """The newest updates, oldest first, enough to hold `limit` whole windows; and whether that is all of them."""
    newest_first: list[Update] = []
    for page in range(1, MAX_PAGES + 1):
        updates = history_page(pulumi, page, page_size)
        newest_first += updates
        if len(updates) < page_size:
            return newest_first[::-1], True
        if len(build_windows(newest_first[::-1], complete=False)) >= limit:
            break
    return newest_first[::-1], False


def run(args: argparse.Namespace) -> int:
    cwd = Path(args.cwd)
    try:
        stack_file_path(cwd, args.stack)  # a path, or a name that is no stack's, is refused as the other commands refuse it
    except SettingsError as error:
        return report_error(str(error), EXIT_USAGE, args.json)
    # The history needs no stack file, but Pulumi runs in the project's folder, which must exist.
    if not cwd.is_dir():
        return report_error(f"--cwd {shown(args.cwd)} is not a folder: give the folder that holds Pulumi.yaml",
                            EXIT_USAGE, args.json)
    try:
        pulumi = open_stack(args.stack, cwd)
    except PulumiUnavailable as error:
        return report_error(str(error), EXIT_USAGE, args.json)
    try:
        updates, complete = read_updates(pulumi, args.limit)
    except HistoryFailed as error:
        return report_error(str(error), EXIT_FAILED, args.json)
    now = datetime.now(timezone.utc)
    windows = build_windows(updates, complete)[-args.limit:]
    if args.json:
        print(json.dumps(document(args.stack, windows, len(updates), now), indent=2))
    else:
        print(report(args.stack, windows, len(updates), now))
    return 0
