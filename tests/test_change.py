"""GuardedChange's put-back on its own, with a recording stand-in for the Pulumi wrapper: no Pulumi runs."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from pulumi.automation import ConfigValue

from maintenance.cli.change import GuardedChange, Timings
from maintenance.cli.guard import SWITCH
from maintenance.cli.pulumi_stack import PulumiFailed
from maintenance.cli.signals import raise_interrupt


class Stack:
    """Keeps the config in a dict; `set_values` can be interrupted (after the value is set, as
    PulumiStack._run raises once the CLI's call has ended) or fail, for named keys."""

    name = "window"

    def __init__(self, config, interrupt_on=(), fail_on=()):
        self.config, self.interrupt_on, self.fail_on = dict(config), set(interrupt_on), set(fail_on)

    def values(self, keys):
        return {key: self.config.get(key) for key in keys}

    def set_values(self, values):
        for key, value in values.items():
            if key in self.fail_on:
                raise PulumiFailed("error: open Pulumi.window.yaml: permission denied")
            self.config[key] = value
            if key in self.interrupt_on:
                raise_interrupt(signal.SIGTERM)


def plain(config) -> dict:
    return {key: value.value if value else None for key, value in config.items()}


def changed(stack: Stack) -> GuardedChange:
    change = GuardedChange(stack, SWITCH, Timings(), Path("Pulumi.window.yaml"))
    change.previous = {"message": ConfigValue("old words"), "until": None}
    stack.config.update({"message": ConfigValue("new words"), "until": ConfigValue("2030-01-01T00:00:00Z")})
    return change


def test_a_signal_during_the_put_back_puts_every_key_back_then_is_raised(capsys):
    stack = Stack({}, interrupt_on={"message"})
    change = changed(stack)
    with pytest.raises(KeyboardInterrupt) as raised:
        change.put_back()
    assert raised.value.signum == signal.SIGTERM
    assert plain(stack.config) == {"message": "old words", "until": None}
    assert capsys.readouterr().out == "Pulumi.window.yaml put back: message 'old words', until removed\n"


def test_a_caller_handling_a_signal_already_gets_no_second_one():
    stack = Stack({}, interrupt_on={"until"})
    changed(stack).put_back(reraise=False)
    assert plain(stack.config) == {"message": "old words", "until": None}


def test_a_key_pulumi_could_not_put_back_is_given_as_the_command_to_type(capsys):
    stack = Stack({}, fail_on={"until"})
    change = changed(stack)
    change.put_back()
    assert plain(stack.config)["message"] == "old words"
    assert capsys.readouterr().err == (
        "error: could not put Pulumi.window.yaml back (error: open Pulumi.window.yaml: permission denied): "
        "pulumi config rm until -s window\n")
    change.put_back()  # once only
    assert capsys.readouterr() == ("", "")
