"""python -m maintenance: commands for operators during a maintenance window."""

import argparse
import sys

from . import adoption, status
from .python_version import unsupported_python


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maintenance", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    status_parser = commands.add_parser(
        "status", help="tell whether the switch has reached the world", description=status.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    status.add_arguments(status_parser)
    import_parser = commands.add_parser(
        "import-file", help="print the pulumi import --file JSON that adopts the console-built resources",
        description=adoption.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    adoption.add_arguments(import_parser)
    args = parser.parse_args(argv)
    if problem := unsupported_python():
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.command == "import-file":
        return adoption.run(args)
    try:
        return status.run(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
