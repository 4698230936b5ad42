"""`python -m maintenance on|off STACK`: switch the API's name to the maintenance page, or back.

One guarded step: checks the target answers as it should (preflight), sets `maintenance` in the
stack file, previews with an update plan and refuses every change but the record's target,
applies exactly that plan, then waits until DNS agrees (status --wait). Whatever stops it before
the update puts the stack file back.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from ..settings import Settings
from . import PROGRAM, preflight, status
from .answers import EXIT_INTERRUPTED, LIVE, MAINTENANCE
from .change import (
    EXIT_DONE,
    EXIT_FAILED,
    GuardedChange,
    Timings,
    add_confirm_arguments,
    plan_file,
    run_guarded,
)
from .guard import SWITCH, record_targets
from .options import add_cwd_argument, add_stack_argument, positive_seconds
from .pulumi_stack import PulumiFailed, PulumiStack, UpFailed

EXIT_CODES = """\
exit codes:
  0    done, or nothing to do (already in that mode); a dry run the guard allows
  1    a check failed (preflight, or status --wait gave up), the guard refused the preview,
       the update failed, or the question was answered no
  2    usage or config error: bad option or stack file, no Pulumi CLI, not logged in,
       unknown stack, no terminal without --yes
  3    could not connect (preflight's target, or a DNS server status asked)
  130  interrupted (Ctrl-C): before the update the stack file is put back
  141  the output's reader went away (| head): before the update the stack file is put back
"""

MODES = {"on": MAINTENANCE, "off": LIVE}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack_argument(parser)
    add_confirm_arguments(parser)
    parser.add_argument("--no-wait", action="store_true", help="do not wait for DNS to agree after the update")
    parser.add_argument("--wait-timeout", type=positive_seconds, default=status.WAIT_TIMEOUT, metavar="S",
                        help=f"give up waiting for DNS after S seconds (default {status.WAIT_TIMEOUT:g})")
    add_cwd_argument(parser)
    preflight.add_target_arguments(parser.add_argument_group("preflight, before anything changes"))
    status.add_server_arguments(parser.add_argument_group("status --wait, after the update"))


def _namespace(module, argv: list[str], **values) -> argparse.Namespace:
    """The arguments another command would parse from argv, with values given in place of its defaults."""
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    args = parser.parse_args(argv)
    vars(args).update(values)
    return args


def _run_preflight(args: argparse.Namespace, mode: str) -> int:
    return preflight.run(_namespace(
        preflight, [args.stack, "--to", mode], connect=args.connect, path=args.path, cacert=args.cacert,
        timeout=args.timeout, cwd=args.cwd))


def _run_status(args: argparse.Namespace) -> int:
    return status.run(_namespace(
        status, [args.stack, "--wait"], nameserver=args.nameserver, resolver=args.resolver,
        timeout=args.wait_timeout, cwd=args.cwd))


def _last_line(outcome: str, stack: str, mode: str, timings: Timings, next_command: str) -> None:
    print(f"{outcome}: {stack} is in {mode} ({timings}); next: {next_command}")


def _switch(args: argparse.Namespace, mode: str, settings: Settings, change: GuardedChange) -> int:
    pulumi, timings, stack = change.pulumi, change.timings, args.stack
    deployed = pulumi.outputs().get("mode")
    print(f"{args.command} {stack}: {settings.domain} to {mode}; {change.stack_file} says {settings.mode}, "
          f"the last pulumi up left {deployed or 'no mode output'}")
    following = f"{PROGRAM} off {stack}" if mode == MAINTENANCE else f"{PROGRAM} status {stack} --http"
    if settings.mode == mode and deployed == mode:
        _last_line("already there, nothing to do", stack, mode, timings, following)
        return EXIT_DONE
    if settings.mode == mode:
        print(f"{change.stack_file} already says {mode}, not deployed yet: finishing the switch")

    with timings.step("preflight"):
        code = _run_preflight(args, mode)
    if code != 0:
        _last_line(f"stopped: preflight exit {code}, nothing changed", stack, deployed or settings.mode, timings,
                   f"{PROGRAM} preflight {stack} --to {mode}")
        return code

    change.set({"maintenance": "true" if mode == MAINTENANCE else "false"})
    with plan_file() as plan:
        changes = change.preview(plan)
        if changes is None:
            _last_line("refused", stack, deployed or settings.mode, timings, f"pulumi preview --diff -s {stack}")
            return EXIT_FAILED
        for step in changes:
            before, after = record_targets(step)
            print(f"  the record {settings.domain}: {before} -> {after}")
        if not changes:
            print(f"  the record {settings.domain} already points at the {mode} target: no update to apply")
        if not change.approved(args, f"Switch {settings.domain} to {mode} now?", changes):
            _last_line("dry run" if args.dry_run else "not switched", stack, deployed or settings.mode, timings,
                       f"{PROGRAM} {args.command} {stack}")
            return EXIT_DONE if args.dry_run else EXIT_FAILED
        if changes:
            code = _up(change, plan, mode, deployed)
            if code is not None:
                return code
        change.keep()
    if args.no_wait:
        _last_line("switched", stack, mode, timings, f"{PROGRAM} status {stack} --wait")
        return EXIT_DONE
    with timings.step("status"):
        code = _run_status(args)
    if code != 0:
        _last_line(f"switched, DNS not agreeing yet (status exit {code})", stack, mode, timings,
                   f"{PROGRAM} status {stack} --wait")
        return code
    _last_line("done", stack, mode, timings, following)
    return EXIT_DONE


def _up(change: GuardedChange, plan: Path, mode: str, deployed: Optional[str]) -> Optional[int]:
    """Apply the plan; None when it succeeded, else the exit code after saying where the record is."""
    pulumi, stack = change.pulumi, change.pulumi.name
    try:
        change.up(plan)
    except UpFailed as error:
        print(f"error: the update failed:\n{error}", file=sys.stderr)
        now = _deployed_mode(pulumi) or deployed
        if now != mode:
            change.put_back()
        _last_line("failed", stack, now or "an unknown mode", change.timings, f"pulumi preview --diff -s {stack}")
        return EXIT_INTERRUPTED if pulumi.interrupted else EXIT_FAILED
    change.keep()
    if pulumi.interrupted:
        _last_line("interrupted, the update finished", stack, mode, change.timings, f"{PROGRAM} status {stack} --wait")
        return EXIT_INTERRUPTED
    print(f"updated: the record points at the {mode} target")
    return None


def _deployed_mode(pulumi: PulumiStack) -> Optional[str]:
    try:
        return pulumi.outputs().get("mode")
    except PulumiFailed:
        return None


def run(args: argparse.Namespace) -> int:
    mode = MODES[args.command]
    return run_guarded(args, SWITCH, lambda settings, change: _switch(args, mode, settings, change))
