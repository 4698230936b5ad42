"""The operator commands of `python -m maintenance`: one module a command, their shared option
types (options), what an answer means (answers) and the wrapper around the Pulumi CLI (pulumi_stack)."""

# How operators start the commands, as messages and --help name them.
PROGRAM = "python -m maintenance"
