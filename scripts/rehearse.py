"""A whole maintenance window on this machine, without AWS: `scripts/rehearse` (issue 20, item 8).

In a temporary folder: a copy of the project with a stack file of its own, the tests' stand-in
`pulumi` with a file backend (the stack deployed once, live), and on loopback only:
- a DNS server, authoritative for the zone and a resolver too, that answers the record's current
  target as the stand-in's deployed state holds it at each query, with the record's TTL;
- `python -m maintenance serve --tls` as the distribution (a throwaway CA);
- a live API over HTTPS (a certificate for the domain from another throwaway CA), 200 JSON at /health.
Then it runs message, on, status, history, off and history again, each command line printed before
its output. Whatever happens (an error, Ctrl-C, SIGTERM), it stops what it started and removes the
temporary folders. Exit: 0 when every command exited 0; else the first failing command's exit code;
130 on Ctrl-C (SIGINT), 143 on SIGTERM.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.name  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.rrset  # noqa: E402

from commands import DOMAIN, stack_file  # noqa: E402  (the tests' stack file shape)
from loopback_servers import fresh_address  # noqa: E402
from maintenance.cli.local_edge import EdgeServer, Reply  # noqa: E402
from maintenance.cli.serve import throwaway_tls  # noqa: E402
from pulumi_stand_in import StandIn, project_copy  # noqa: E402

STACK = "rehearsal"
ZONE = "theboss.io"
RECORD = "aws:route53/record:Record"
HEALTH_PATH = "/health"
REASON = "rehearsal of a window"
# How long a command may take to end after it got Ctrl-C, before it is killed.
STOP_GRACE = 60


class Interrupted(Exception):
    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.code = 128 + signum


class CommandFailed(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def say(text: str = "") -> None:
    print(text, flush=True)


class RecordDns:
    """A DNS server on loopback (UDP) for the zone, answering the deployed record's current target.

    Each query reads the record from the stand-in's state, so it follows every switch. Queries
    without recursion get the authoritative answer (AA); with recursion desired, the same answer as a
    resolver would give it (RA). Other names in the zone: NXDOMAIN; names outside it: REFUSED.
    """

    def __init__(self, stand_in: StandIn, stack: str):
        self.stand_in, self.stack = stand_in, stack
        self.zone = dns.name.from_text(ZONE)
        self.domain = dns.name.from_text(DOMAIN)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind((fresh_address(), 0))
        address, port = self.socket.getsockname()
        self.endpoint = f"{address}:{port}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def record(self) -> tuple[str, int]:
        inputs = self.stand_in.deployed(self.stack, RECORD)["inputs"]
        [target] = inputs["records"]
        return target, int(inputs["ttl"])

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        if query.flags & dns.flags.RD:
            response.flags |= dns.flags.RA
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        name = query.question[0].name
        if not name.is_subdomain(self.zone):
            response.set_rcode(dns.rcode.REFUSED)
            return response
        response.flags |= dns.flags.AA
        soa = dns.rrset.from_text(self.zone, 60, "IN", "SOA",
                                  f"ns.{ZONE}. hostmaster.{ZONE}. 1 7200 900 1209600 60")
        if name == self.domain:
            target, ttl = self.record()
            response.answer.append(dns.rrset.from_text(name, ttl, "IN", "CNAME", f"{target}."))
        elif name == self.zone and query.question[0].rdtype == dns.rdatatype.SOA:
            response.answer.append(soa)
        else:
            if name != self.zone:
                response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(soa)
        return response

    def _serve(self) -> None:
        while True:
            try:
                wire, client = self.socket.recvfrom(65535)
            except OSError:
                return  # closed
            try:
                response = self.answer(dns.message.from_wire(wire))
            except Exception as error:  # noqa: BLE001 - a bad query or state read: SERVFAIL, and say why
                print(f"rehearse: DNS server: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
                try:
                    response = dns.message.make_response(dns.message.from_wire(wire))
                    response.set_rcode(dns.rcode.SERVFAIL)
                except Exception:  # noqa: BLE001
                    continue
            try:
                self.socket.sendto(response.to_wire(), client)
            except OSError:
                return

    def close(self) -> None:
        self.socket.close()


class LiveApi:
    """The live API: HTTPS on loopback as the domain, 200 JSON at its health path, 404 JSON elsewhere."""

    def __init__(self):
        self.tls = throwaway_tls(DOMAIN, datetime.now(timezone.utc), None)
        self.ca_file = self.tls.ca_file
        self.server = EdgeServer(self._answer, ("127.0.0.1", 0), self.tls.context).start()
        self.endpoint = self.server.endpoint

    @staticmethod
    def _answer(method, path, headers, client) -> Reply:
        if path.split("?")[0] == HEALTH_PATH:
            return Reply(200, {"Content-Type": "application/json"}, json.dumps({"status": "ok"}).encode(), "JSON")
        return Reply(404, {"Content-Type": "application/json"}, json.dumps({"error": "not found"}).encode(), "JSON")

    def close(self) -> None:
        self.server.close()
        shutil.rmtree(self.tls.folder, ignore_errors=True)


def stop_group(process: subprocess.Popen, signum: int = signal.SIGINT, grace: float = STOP_GRACE) -> None:
    """Stops a process started in a group of its own, as Ctrl-C in a terminal would, then kills what is left."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    # Whatever the group still holds (the leader too, if it did not stop in time) is killed.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


class Serve:
    """`python -m maintenance serve STACK --tls` as the distribution; its request log is kept."""

    def __init__(self, project: Path, env: dict):
        self.command = [sys.executable, "-m", "maintenance", "serve", STACK, "--tls", "--port", "0",
                        "--cwd", str(project)]
        self.process = subprocess.Popen(self.command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.banner: list[str] = []
        self.requests: list[str] = []

    def wait_until_serving(self) -> None:
        for line in self.process.stdout:
            self.banner.append(line.rstrip("\n"))
            if line.startswith("requests (Ctrl-C stops)"):
                break
        else:
            raise RuntimeError("serve ended before it served:\n" + "\n".join(self.banner))
        # "  https://api.theboss.io:PORT/ at HOST:PORT, certificate from a throwaway CA: FILE"
        [where] = [line for line in self.banner if " certificate from a throwaway CA: " in line]
        self.endpoint = where.split(" at ", 1)[1].split(",", 1)[0]
        self.ca_file = where.rsplit(": ", 1)[1]
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for line in self.process.stdout:
            self.requests.append(line.rstrip("\n"))

    def stop(self) -> None:
        stop_group(self.process, signal.SIGINT, grace=10)


class Rehearsal:
    def __init__(self):
        self.folder: Path | None = None
        self.started: list = []  # what to stop, in the order started
        self.running: subprocess.Popen | None = None

    def run(self) -> int:
        self.folder = Path(tempfile.mkdtemp(prefix="maintenance-rehearse-"))
        say(f"rehearse: a window on stack {STACK} ({DOMAIN}), on loopback only, in {self.folder}")
        project = stack_file(project_copy(self.folder), maintenance=False, name=STACK)
        stand_in = StandIn(project, self.folder / "backend")
        say(f"rehearse: the stand-in pulumi, file backend {stand_in.backend.root}: deploying {STACK} in live mode")
        stand_in.deploy(STACK)
        # What the commands, serve and their children write in a temporary folder goes inside this one.
        (self.folder / "tmp").mkdir()
        tempfile.tempdir = str(self.folder / "tmp")  # the live API's throwaway CA too
        env = {**stand_in.env, "PYTHONUNBUFFERED": "1", "TMPDIR": str(self.folder / "tmp")}

        self.started.append(dns_server := RecordDns(stand_in, STACK))
        target, ttl = dns_server.record()
        say(f"rehearse: DNS server at {dns_server.endpoint} (authoritative for {ZONE} and resolver): "
            f"{DOMAIN} CNAME {target}, TTL {ttl}s, read from the deployed record at each query")
        self.started.append(live := LiveApi())
        say(f"rehearse: live API at {live.endpoint} (https as {DOMAIN}, CA {live.ca_file}): "
            f"200 JSON at {HEALTH_PATH}")
        serve = Serve(project, env)
        self.started.append(serve)
        serve.wait_until_serving()
        say(f"rehearse: the distribution: serve --tls, pid {serve.process.pid}, at {serve.endpoint} (CA {serve.ca_file})")
        for line in serve.banner:
            say(f"  serve| {line}")

        cwd = ["--cwd", str(project)]
        dns_options = ["--nameserver", dns_server.endpoint, "--resolver", dns_server.endpoint]
        until = (datetime.now(timezone.utc) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        steps = [
            ["message", STACK, "Database upgrade, back in two hours.", "--until", until, "--yes",
             "--reason", REASON, *cwd],
            ["on", STACK, "--yes", "--reason", REASON, "--connect", serve.endpoint, "--cacert", serve.ca_file,
             *dns_options, "--wait-timeout", "60", *cwd],
            ["status", STACK, *dns_options, *cwd],
            ["history", STACK, *cwd],
            ["off", STACK, "--yes", "--reason", REASON, "--connect", live.endpoint, "--cacert", str(live.ca_file),
             "--path", HEALTH_PATH, *dns_options, "--wait-timeout", "60", *cwd],
            ["history", STACK, *cwd],
        ]
        for step in steps:
            self.command(step, env)
        say(f"rehearse: serve answered {len(serve.requests)} request(s):")
        for line in serve.requests:
            say(f"  serve| {line}")
        return 0

    def command(self, arguments: list[str], env: dict) -> None:
        say()
        say(f"$ python -m maintenance {shlex.join(arguments)}")
        process = subprocess.Popen([sys.executable, "-m", "maintenance", *arguments], env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, start_new_session=True)
        self.running = process
        try:
            self._copy_output(process)
        except Interrupted:
            # Ctrl-C reaches the command as a terminal would deliver it, to its whole process group;
            # it ends as it does on Ctrl-C (the stack file put back, or Pulumi's step finished).
            say(f"rehearse: interrupted: passing Ctrl-C to {arguments[0]} (pid {process.pid}) and waiting for it")
            try:
                os.killpg(process.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            self._finish(process)
            raise
        code = process.wait()
        self.running = None
        if code != 0:
            say(f"rehearse: {arguments[0]} exited {code}: stopping")
            raise CommandFailed(code)

    @staticmethod
    def _copy_output(process: subprocess.Popen) -> None:
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()

    def _finish(self, process: subprocess.Popen) -> None:
        """After Ctrl-C: the rest of the command's output while it ends (killed after STOP_GRACE)."""
        timer = threading.Timer(STOP_GRACE, lambda: _kill_group(process))
        timer.start()
        try:
            self._copy_output(process)
        finally:
            timer.cancel()
            stop_group(process, signal.SIGINT, grace=5)
            say(f"rehearse: {process.args[3]} exited {process.returncode}")
            self.running = None

    def cleanup(self) -> None:
        if self.running is not None:
            stop_group(self.running, signal.SIGINT, grace=STOP_GRACE)
        for thing in reversed(self.started):
            try:
                (thing.stop if isinstance(thing, Serve) else thing.close)()
            except Exception as error:  # noqa: BLE001 - stop the rest anyway, and say so
                print(f"rehearse: stopping {type(thing).__name__}: {error}", file=sys.stderr, flush=True)
        self.started.clear()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            say(f"rehearse: stopped everything it started; removed {self.folder}")


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main() -> int:
    def interrupted(signum, _frame):
        # Once: what comes while stopping is ignored, so that the cleanup always ends.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Interrupted(signum)

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    rehearsal = Rehearsal()
    try:
        try:
            code = rehearsal.run()
        except CommandFailed as failure:
            code = failure.code
        except Interrupted as interruption:
            say(f"rehearse: interrupted ({interruption}): stopping everything it started")
            code = interruption.code
    except Interrupted as interruption:  # a signal while handling the above
        code = interruption.code
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        rehearsal.cleanup()
    say(f"rehearse: exit {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
