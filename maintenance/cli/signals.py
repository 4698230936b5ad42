"""The signals a window command stops on, and the exit codes they give.

SIGTERM (a cancelled CI job, `timeout`, a service manager) and SIGHUP (a closed terminal) are
handled as Ctrl-C is: the command stops where it is safe to, puts back what it must, and exits
128 + the signal's number, as a shell reports a command a signal ended ("When a command
terminates on a fatal signal whose number is N, Bash uses the value 128+N as the exit status":
Bash manual, Exit Status): 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
INTERRUPTED_EXITS = tuple(128 + signum for signum in STOP_SIGNALS)


def raise_interrupt(signum: int, frame=None) -> None:
    """Raise what Ctrl-C raises, for every stop signal: a KeyboardInterrupt, naming the signal.

    Not a subclass: subprocess.Popen.__exit__ stops waiting for its child only on `exc_type ==
    KeyboardInterrupt` (Lib/subprocess.py), and a second signal must leave the CLI running at once.
    """
    interruption = KeyboardInterrupt(signal.Signals(signum).name)
    interruption.signum = signum
    raise interruption


@contextmanager
def stop_signals_interrupt():
    """Within it, SIGTERM and SIGHUP raise what Ctrl-C raises; after it, they do what they did before."""
    previous = {each: signal.signal(each, raise_interrupt) for each in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)


def signal_number(interruption: KeyboardInterrupt) -> int:
    return getattr(interruption, "signum", signal.SIGINT)


def exit_code(signum: int) -> int:
    return 128 + signum


def signal_name(signum: int) -> str:
    """What an operator calls it: Ctrl-C for SIGINT, else the signal's name."""
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
