"""`python -m maintenance on|off STACK`: switch the API's name to the maintenance page, or back.

One guarded step: checks the target answers as it should (preflight), sets `maintenance` in the
stack file, previews with an update plan and refuses every change but the record's target (and,
with liveOrigin, the store's mode key), applies exactly that plan, then waits until DNS agrees
(status --wait). Whatever stops it before the update puts the stack file back.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

from ..edge import STORE_MODES
from ..settings import Settings
from . import PROGRAM, preflight, status
from .answers import LIVE, MAINTENANCE
from .change import (
    EXIT_DONE,
    EXIT_FAILED,
    GuardedChange,
    Timings,
    add_confirm_arguments,
    plan_file,
    run_guarded,
)
from .deployment import cut_off_problem, disagreement
from .guard import RECORD, SWITCH, Step, describe_switch_step
from .options import add_cwd_argument, add_stack_argument, carried, positive_seconds
from .pulumi_stack import PulumiFailed
from .signals import exit_code, signal_name

EXIT_CODES = """\
exit codes:
  0    done, or nothing to do (already in that mode); a dry run the guard allows
  1    a check failed (preflight, or status --wait gave up), the guard refused the preview,
       the update failed (or the stack is locked), another window command holds this checkout,
       or the question was answered no
  2    usage or config error: bad option or stack file, no Pulumi CLI, not logged in,
       unknown stack, no terminal without --yes
  3    could not connect (preflight's target, or a DNS server status asked)
  129, 130, 143  stopped by SIGHUP, Ctrl-C (SIGINT) or SIGTERM: before the update the stack file
       is put back; during it Pulumi finishes the step in flight, and the stack file is made to
       agree with the deployed state
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
        timeout=args.wait_timeout, cwd=args.cwd, commit_hint=False))


DNS_OPTIONS = ("nameserver", "resolver", "cwd")
PREFLIGHT_OPTIONS = ("connect", "path", "cacert", "cwd")
ALL_OPTIONS = ("connect", "path", "cacert", "nameserver", "resolver", "cwd")


def _last_line(outcome: str, stack: str, mode: str, timings: Timings, next_command: str) -> None:
    print(f"{outcome}: {stack} is in {mode} ({timings}); next: {next_command}")


def _switch(args: argparse.Namespace, mode: str, settings: Settings, change: GuardedChange) -> int:
    pulumi, timings, stack = change.pulumi, change.timings, args.stack
    state = pulumi.state()
    deployed, recorded = state.record_mode, state.outputs.get("mode")
    print(f"{args.command} {stack}: {settings.domain} to {mode}; {change.stack_file} says {settings.mode}, "
          f"the deployed record points at {deployed}")
    if problem := cut_off_problem(state, stack):
        print(f"refused: {problem}")
        return EXIT_FAILED
    if note := disagreement(settings.mode, state, stack):
        print(f"note: {note}")
    dns = carried(args, *DNS_OPTIONS)
    # off checks the live API: on's --connect and --cacert name the distribution, not it.
    following = (f"{PROGRAM} off {stack}{carried(args, 'path', *DNS_OPTIONS)}" if mode == MAINTENANCE
                 else f"{PROGRAM} status {stack} --http{dns}")
    # A live-origin stack's store key follows the record (maintenance/switch.py); None where there is none.
    store_agrees = state.store_mode in (None, STORE_MODES[mode])
    if settings.mode == mode and deployed == mode and recorded == mode and store_agrees:
        _last_line("already there, nothing to do", stack, mode, timings, following)
        return EXIT_DONE
    if settings.mode == mode:
        behind = "" if store_agrees else f" (the store's mode key says {state.store_mode})"
        print(f"{change.stack_file} already says {mode}, not all deployed yet{behind}: finishing the switch")

    with timings.step("preflight"):
        code = _run_preflight(args, mode)
    if code != 0:
        _last_line(f"stopped: preflight exit {code}, nothing changed", stack, deployed, timings,
                   f"{PROGRAM} preflight {stack} --to {mode}{carried(args, *PREFLIGHT_OPTIONS)}")
        return code

    change.set({"maintenance": "true" if mode == MAINTENANCE else "false"})
    with plan_file() as plan:
        changes = change.preview(plan)
        if changes is None:
            _last_line("refused", stack, deployed, timings, f"pulumi preview --diff -s {stack}")
            return EXIT_FAILED
        for step in changes:
            print(f"  {describe_switch_step(step, settings.domain)}")
        if not changes:
            print(f"  the record {settings.domain} already points at the {mode} target: no resource to change")
        if not change.approved(args, f"Switch {settings.domain} to {mode} now?", changes):
            _last_line("dry run" if args.dry_run else "not switched", stack, deployed, timings,
                       f"{PROGRAM} {args.command} {stack}{carried(args, *ALL_OPTIONS)}")
            return EXIT_DONE if args.dry_run else EXIT_FAILED
        # With no resource to change, an up still records the mode output a stopped update left behind.
        if changes or recorded != mode:
            if moved := change.unchanged_since_preview(changes):
                change.put_back()
                _last_line(f"refused: {moved}; nothing applied", stack, deployed, timings,
                           f"{PROGRAM} status {stack}{dns}")
                return EXIT_FAILED
            code = _up(args, change, plan, mode, changes, settings)
            if code is not None:
                return code
        change.keep()
    if mode == LIVE:
        print(f"note: message and until stay in {change.stack_file} for the next window: change them with "
              f"{PROGRAM} message {stack} TEXT --until WHEN (or --no-until)")
    if args.no_wait:
        _last_line("switched", stack, mode, timings, f"{PROGRAM} status {stack} --wait{dns}")
        return EXIT_DONE
    with timings.step("status"):
        code = _run_status(args)
    if code != 0:
        _last_line(f"switched, DNS not agreeing yet (status exit {code})", stack, mode, timings,
                   f"{PROGRAM} status {stack} --wait{dns}")
        return code
    _last_line("done", stack, mode, timings, following)
    return EXIT_DONE


def _up(args: argparse.Namespace, change: GuardedChange, plan: Path, mode: str, changes: tuple[Step, ...],
        settings: Settings) -> Optional[int]:
    """Apply the plan; None when it succeeded, else the exit code after saying where the record really is."""
    pulumi, stack, timings = change.pulumi, change.pulumi.name, change.timings
    again = f"{PROGRAM} {args.command} {stack}{carried(args, *ALL_OPTIONS)}"
    try:
        change.up(plan)
    except PulumiFailed as error:
        stopped = change.after_unfinished_up(error, changes)
        if stopped.state is None or stopped.state.cut_off():
            _last_line(stopped.outcome, stack, "an unknown mode", timings, stopped.next_command(again))
        else:
            record_moved = any(step.type == RECORD for step in stopped.applied)
            moved = (f"after the record moved, {change.stack_file} says {mode}" if record_moved
                     else f"after the store's mode key changed, before the record moved, {change.stack_file} says "
                          f"{mode}" if stopped.applied
                     else f"before the record moved, {change.stack_file} put back" if stopped.put_back
                     else f"before the record moved, {change.stack_file} still says {mode}")
            _last_line(f"{stopped.outcome} {moved}", stack, stopped.state.record_mode, timings,
                       stopped.next_command(again))
        return stopped.exit_code
    change.keep()
    if pulumi.interrupted:
        change.announce(args, mode, settings.until)
        _last_line(f"interrupted ({signal_name(pulumi.interrupted)}), the update finished", stack, mode, timings,
                   f"{PROGRAM} status {stack} --wait{carried(args, *DNS_OPTIONS)}")
        return exit_code(pulumi.interrupted)
    print(f"updated: the record points at the {mode} target")
    if settings.live_origin:
        print(f"note: {live_origin_note(mode)}")
    change.announce(args, mode, settings.until)
    return None


def live_origin_note(mode: str) -> str:
    """What the distribution does now for the clients that still reach it (a live-origin stack)."""
    if mode == LIVE:
        return (f"the store's mode is {STORE_MODES[mode]}: a client that still reaches the distribution (DNS cached "
                f"past its TTL, or a connection kept open) now gets the live API through it, not the 503")
    return (f"the store's mode is {STORE_MODES[mode]}: the distribution answers maintenance, and passes to the live "
            f"API only a request with the bypass token, from bypassCidrs or to bypassPaths")


def run(args: argparse.Namespace) -> int:
    mode = MODES[args.command]
    return run_guarded(args, SWITCH, lambda settings, change: _switch(args, mode, settings, change))
