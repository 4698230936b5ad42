"""on, off and status on a live-origin stack, against the stand-in `pulumi`: the record and the store's key."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from commands import DOMAIN, LIVE_TARGET, stack_file
from loopback_servers import closed_port
from pulumi_stand_in import StandIn, project_copy
# Fixtures: the test CA, the HTTPS servers on loopback, dnsmasq.
from test_preflight import ca, cacert, edge, live_api, serve  # noqa: F401
from test_status import dnsmasq  # noqa: F401
from test_window import RECORD, STACK, record_target, stack_file_mode, switch
from test_window_faults import Running

STORE_KEY = "aws:cloudfront/keyvaluestoreKey:KeyvaluestoreKey"
LIVE_ORIGIN = '  api-maintenance:liveOrigin: "true"\n  api-maintenance:bypassPaths: /webhooks/\n'


def deployed_live(tmp_path, maintenance: bool) -> StandIn:
    project = stack_file(project_copy(tmp_path), maintenance=maintenance, extra=LIVE_ORIGIN)
    stand_in = StandIn(project, tmp_path / "backend")
    stand_in.deploy(STACK)
    return stand_in


def store_mode(stand_in: StandIn) -> str:
    return stand_in.deployed(STACK, STORE_KEY)["inputs"]["value"]


def switched(result: subprocess.CompletedProcess, key: tuple[str, str], record: tuple[str, str]) -> list[str]:
    """The lines of a switch that succeeded, having shown both changes the guard admits."""
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert f"  the store's mode key: {key[0]} -> {key[1]}" in lines
    assert f"  the record {DOMAIN}: {record[0]} -> {record[1]}" in lines
    return lines


def off_arguments(serve, cacert) -> tuple[str, ...]:
    api = serve(live_api())
    return ("--connect", api.endpoint, "--cacert", cacert, "--path", "/health")


def test_off_moves_the_key_then_the_record_and_says_stale_clients_reach_the_live_api(tmp_path, serve, cacert, dnsmasq):
    stand_in = deployed_live(tmp_path, maintenance=True)
    distribution = stand_in.outputs(STACK)["distributionDomain"]
    assert (store_mode(stand_in), stand_in.outputs(STACK)["storeMode"]) == ("maintenance", "maintenance")
    dns = dnsmasq({DOMAIN: LIVE_TARGET})
    result = switch(stand_in, "off", "--yes", *off_arguments(serve, cacert), "--nameserver", dns.endpoint,
                    "--resolver", dns.endpoint)
    lines = switched(result, ("maintenance", "pass-through"), (distribution, LIVE_TARGET))
    assert ("note: the store's mode is pass-through: a client that still reaches the distribution (DNS cached past "
            "its TTL, or a connection kept open) now gets the live API through it, not the 503") in lines
    assert lines[-1].startswith(f"done: {STACK} is in live (")
    assert (stack_file_mode(stand_in), record_target(stand_in), store_mode(stand_in)) == ("false", LIVE_TARGET, "pass-through")
    assert stand_in.outputs(STACK)["storeMode"] == "pass-through"


def test_status_reports_the_store_mode_from_the_outputs(tmp_path, dnsmasq):
    stand_in = deployed_live(tmp_path, maintenance=False)
    dns = dnsmasq({DOMAIN: LIVE_TARGET})
    base = [sys.executable, "-m", "maintenance", "status", STACK, "--cwd", str(stand_in.project_dir),
            "--nameserver", dns.endpoint, "--resolver", dns.endpoint]
    text = subprocess.run(base, env=stand_in.env, capture_output=True, text=True, timeout=60)
    assert text.returncode == 0, text.stdout + text.stderr
    assert ("  store: mode pass-through: a client that still reaches the distribution gets the live API through it"
            in text.stdout.splitlines())
    document = subprocess.run([*base, "--json"], env=stand_in.env, capture_output=True, text=True, timeout=60)
    assert json.loads(document.stdout)["storeMode"] == "pass-through"


def test_an_off_stopped_after_the_key_moved_keeps_the_stack_file_and_the_next_off_moves_the_record(tmp_path, serve,
                                                                                                      cacert):
    stand_in = deployed_live(tmp_path, maintenance=True)
    distribution = stand_in.outputs(STACK)["distributionDomain"]
    point = f"up:after:{STORE_KEY}"
    stand_in.hold(STACK, point)
    command = Running(stand_in, *off_arguments(serve, cacert), "--no-wait", command="off")
    stand_in.wait_held(point)
    command.send(signal.SIGINT)
    command.wait_for("waiting for it to end")
    stand_in.release(point)
    assert command.end() == 130, command.output
    assert command.last_line.startswith(
        f"interrupted (Ctrl-C) after the store's mode key changed, before the record moved, Pulumi.{STACK}.yaml says "
        f"live: {STACK} is in maintenance ("), command.output
    # The distribution already passes everything through; the record still points at it.
    assert (stack_file_mode(stand_in), record_target(stand_in), store_mode(stand_in)) == ("false", distribution, "pass-through")
    again = switch(stand_in, "off", "--yes", "--no-wait", *off_arguments(serve, cacert))
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"  the record {DOMAIN}: {distribution} -> {LIVE_TARGET}" in again.stdout.splitlines()
    assert "the store's mode key" not in again.stdout
    assert (record_target(stand_in), store_mode(stand_in)) == (LIVE_TARGET, "pass-through")
    assert stand_in.outputs(STACK)["mode"] == "live"


def test_on_again_with_the_key_out_of_step_is_not_already_there(tmp_path, serve, cacert):
    """A key left at pass-through (a console edit) while everything else says maintenance: off's work half undone."""
    stand_in = deployed_live(tmp_path, maintenance=True)
    stand_in.edit_deployed(STACK, STORE_KEY, "store-mode", "value", "pass-through")
    result = switch(stand_in, "on", "--yes", "--no-wait", "--connect", closed_port())
    # It goes on to the preflight, which finds no distribution there, instead of saying there is nothing to do.
    assert result.returncode == 3, result.stdout + result.stderr
    assert "already there" not in result.stdout and "stopped: preflight exit 3, nothing changed" in result.stdout
    assert (f"Pulumi.{STACK}.yaml already says maintenance, not all deployed yet (the store's mode key says "
            "pass-through): finishing the switch") in result.stdout.splitlines()


def test_message_on_a_live_origin_stack_changes_the_page_and_the_function_and_keeps_the_store(tmp_path):
    stand_in = deployed_live(tmp_path, maintenance=True)
    text = "Database upgrade, back soon."
    result = switch(stand_in, "message", text, "--no-until", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    # The page's own key with a live origin (edge.LIVE_PAGE_URI), in the resource's name.
    assert "  the page object page-.api-maintenance/index.html: content" in lines
    assert "  the edge function maintenance-responses: code" in lines
    code = stand_in.deployed(STACK, "aws:cloudfront/function:Function")["inputs"]["code"]
    assert text in code and code.startswith("import cf from 'cloudfront';")
    page = stand_in.deployed(STACK, "aws:s3/bucketObjectv2:BucketObjectv2")["inputs"]
    assert page["metadata"] == {"maintenance-page": "true"}
    assert store_mode(stand_in) == "maintenance"


def test_on_moves_the_key_to_maintenance_before_the_record_and_says_what_passes(tmp_path, serve, cacert):
    stand_in = deployed_live(tmp_path, maintenance=False)
    distribution = stand_in.outputs(STACK)["distributionDomain"]
    assert store_mode(stand_in) == "pass-through"
    # The preflight asks the live-origin distribution (serve's model of it, its store as deployed: pass-through)
    # for the maintenance answers, which its preview header gets.
    local = serve(edge(stand_in.project_dir, store_mode=store_mode(stand_in)))
    result = switch(stand_in, "on", "--yes", "--no-wait", "--connect", local.endpoint, "--cacert", cacert)
    lines = switched(result, ("pass-through", "maintenance"), (LIVE_TARGET, distribution))
    assert ("note: the store's mode is maintenance: the distribution answers maintenance, and passes to the live "
            "API only a request with the bypass token, from bypassCidrs or to bypassPaths") in lines
    assert (stack_file_mode(stand_in), record_target(stand_in), store_mode(stand_in)) == ("true", distribution, "maintenance")


def test_message_that_would_take_the_live_function_over_10_kb_is_refused_before_anything_changes(tmp_path):
    paths = ", ".join(f'"/{n:02d}' + "x" * 61 + '"' for n in range(20))
    cidrs = ", ".join(f'"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff{n:02x}/127"' for n in range(0, 40, 2))
    extra = (f'  api-maintenance:liveOrigin: "true"\n  api-maintenance:bypassPaths: [{paths}]\n'
             f'  api-maintenance:bypassCidrs: [{cidrs}]\n')
    project = stack_file(project_copy(tmp_path), maintenance=True, extra=extra)
    stand_in = StandIn(project, tmp_path / "backend")
    stand_in.deploy(STACK)
    before = (project / f"Pulumi.{STACK}.yaml").read_bytes()
    result = switch(stand_in, "message", "a" + "\x01" * 498 + "z", "--no-until", "--yes")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error: api-maintenance: the edge function's code would be " in result.stderr
    assert ("shorten the message (500 characters), bypassPaths (1280 characters in all) or bypassCidrs (20). "
            f"Fix: a shorter text, python -m maintenance message {STACK} 'Back at 06:00 UTC.'\n") in result.stderr
    assert (project / f"Pulumi.{STACK}.yaml").read_bytes() == before and not stand_in.ran("preview")
