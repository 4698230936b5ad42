"""`python -m pulumi_stand_in ARGS...`: what the stand-in `pulumi` executable runs."""

import sys

from pulumi_stand_in.cli import main

sys.exit(main(sys.argv[1:]))
