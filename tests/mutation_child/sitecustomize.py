"""Loaded only by a command that scripts/mutation's stats run starts: tests/commands.py puts this
folder on the command's PYTHONPATH. On exit it writes which of the module's functions the command
called, so that mutmut runs the test that started it against their mutants, as it does for tests
that call the functions themselves (mutmut records each call in its state()._stats)."""

import atexit
import os
from pathlib import Path


def _write_calls() -> None:
    from mutmut.state import state

    Path(os.environ["MUTMUT_CHILD_CALLS"]).write_text("".join(f"{name}\n" for name in state()._stats))


atexit.register(_write_calls)
