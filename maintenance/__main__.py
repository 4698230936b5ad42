"""python -m maintenance: the operator commands (maintenance/cli/)."""

from .cli.main import exit_with, main

if __name__ == "__main__":
    exit_with(main())
