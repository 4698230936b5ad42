"""`python -m maintenance message STACK TEXT`: change what the page and the API's answer say.

Sets `message` (and `until`, or removes it with --no-until) in the stack file, previews with an
update plan and refuses every change but the page object's content and the edge function's
code, then applies exactly that plan. The record is never touched, in either mode. Readers see
the new page within 120 s of the update, and the API's JSON once CloudFront has deployed the
published function.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from datetime import datetime, timezone
from typing import Callable, Optional

from ..settings import Settings, function_size_problem, parse_value
from . import PROGRAM
from .answers import EXIT_USAGE, MAINTENANCE, shown
from .change import (
    EXIT_DONE,
    EXIT_FAILED,
    GuardedChange,
    add_confirm_arguments,
    plan_file,
    run_guarded,
)
from .deployment import cut_off_problem, disagreement
from .guard import MESSAGE, PAGE_OBJECT, Step
from .options import add_cwd_argument, add_stack_argument, carried, until_ahead
from .pulumi_stack import PulumiFailed
from .signals import exit_code, signal_name

EXIT_CODES = """\
exit codes:
  0    done, or nothing to do (the page already says it); a dry run the guard allows
  1    the guard refused the preview, the update failed (or the stack is locked), another
       window command holds this checkout, or the question was answered no
  2    usage or config error: bad text or --until, bad stack file, no Pulumi CLI,
       not logged in, unknown stack, no terminal without --yes
  129, 130, 143  stopped by SIGHUP, Ctrl-C (SIGINT) or SIGTERM: before the update the stack file
       is put back; during it Pulumi finishes the step in flight, and the stack file is made to
       agree with the deployed state
  141  the output's reader went away (| head): before the update the stack file is put back
"""

# A changed page reaches readers within two cache layers' max-age (docs/response-contract.md, "A changed page";
# tests/test_message.py checks it against tests/test_cache.py's model of the declared caching).
PAGE_BOUND_SECONDS = 120


def _checked(key: str) -> Callable[[str], str]:
    """An option type: the text as given, once the program's own parser accepts it."""

    def check(text: str) -> str:
        try:
            parse_value(key, text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{shown(text)}: {key} {error}") from None
        return text.strip()

    return check


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack_argument(parser)
    parser.add_argument("text", type=_checked("message"), help="what the page and the API's JSON answer say")
    until = parser.add_mutually_exclusive_group()
    until.add_argument("--until", type=_checked("until"), metavar="WHEN",
                       help="when the API is expected back: ISO-8601 with a time zone, e.g. 2026-12-01T06:00:00Z")
    until.add_argument("--no-until", action="store_true", help="remove until: the page gives no time")
    add_confirm_arguments(parser)
    add_cwd_argument(parser)


def _describe(step: Step) -> str:
    return f"{'the page object' if step.type == PAGE_OBJECT else 'the edge function'} {step.name}"


def _values(args: argparse.Namespace) -> dict[str, Optional[str]]:
    values: dict[str, Optional[str]] = {"message": args.text}
    if args.until or args.no_until:
        values["until"] = args.until
    return values


def _publish(args: argparse.Namespace, settings: Settings, change: GuardedChange) -> int:
    stack, timings, mode, until = args.stack, change.timings, settings.mode, settings.until
    new_until = parse_value("until", args.until) if args.until else None if args.no_until else until
    # With a live origin the function carries the bypass rules too: the new text must leave it within 10 KB.
    if problem := function_size_problem(dataclasses.replace(settings, message=args.text, until=new_until)):
        print(f"error: {problem}. Fix: a shorter text, {PROGRAM} message {stack} 'Back at 06:00 UTC.'", file=sys.stderr)
        return EXIT_USAGE
    state = change.pulumi.state()
    if problem := cut_off_problem(state, stack):
        print(f"refused: {problem}")
        return EXIT_FAILED
    if note := disagreement(mode, state, stack):
        print(f"note: {note}")
    following = f"{PROGRAM} {'off' if mode == MAINTENANCE else 'on'} {stack}{carried(args, 'cwd')}"
    print(f"message {stack}: {args.text!r}" + (f", until {args.until}" if args.until else
                                               ", no until" if args.no_until else ""))
    change.set(_values(args))
    with plan_file() as plan:
        changes = change.preview(plan)
        if changes is None:
            print(f"refused: the page is unchanged ({timings}); next: pulumi preview --diff -s {stack}")
            return EXIT_FAILED
        if not changes:
            change.keep()
            print(f"nothing to do: the page and the function already say this ({timings})")
            return EXIT_DONE
        for step in changes:
            print(f"  {_describe(step)}: {', '.join(step.diffs)}")
        if not change.approved(args, "Publish this message now?", changes):
            if args.dry_run:
                print(f"dry run: nothing applied ({timings}); next: {PROGRAM} message {stack} ... without --dry-run")
                return EXIT_DONE
            print(f"not published ({timings})")
            return EXIT_FAILED
        if moved := change.unchanged_since_preview(changes):
            change.put_back()
            print(f"refused: {moved}; nothing applied ({timings}); next: {PROGRAM} status {stack}")
            return EXIT_FAILED
        try:
            change.up(plan)
        except PulumiFailed as error:
            stopped = change.after_unfinished_up(error, changes)
            if stopped.applied and len(stopped.applied) < len(changes):
                print("applied before the update stopped: " + ", ".join(_describe(step) for step in stopped.applied)
                      + f"; {change.stack_file} keeps the new values: run this command again to finish")
            print(f"{stopped.outcome} ({timings}); next: {stopped.next_command(f'{PROGRAM} message {stack} ...')}")
            return stopped.exit_code
    change.keep()
    change.announce(args, mode, new_until)
    signum = change.pulumi.interrupted
    interrupted = f"interrupted ({signal_name(signum)}), the update finished: " if signum else ""
    print(f"{interrupted}published ({timings}): the page reaches readers within {PAGE_BOUND_SECONDS} s; the API's JSON "
          "answer once CloudFront has deployed the published function (a time this project cannot bound); "
          f"next: {following}")
    return exit_code(signum) if signum else EXIT_DONE


def run(args: argparse.Namespace) -> int:
    if args.until:
        try:
            until_ahead(args.until, datetime.now(timezone.utc))
        except argparse.ArgumentTypeError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_USAGE
    return run_guarded(args, MESSAGE, lambda settings, change: _publish(args, settings, change))
