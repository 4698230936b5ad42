"""`python -m pulumi_stand_in ARGS...`: what the stand-in `pulumi` executable runs."""

import sys
from pathlib import Path

# The Python language host runs a program with its project directory first on sys.path, so the
# project's own `maintenance` package is the one imported (and the one the stack file configures).
sys.path.insert(0, str(Path.cwd()))

from pulumi_stand_in.cli import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
