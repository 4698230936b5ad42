"""The team's settings: notifyUrl (a secret, https only, never in a resource), the passphrase check, a
future --until, and the hint to commit a changed stack file."""

import argparse
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from commands import stack_file
from maintenance.cli.options import until_ahead
from maintenance.cli.shared_truth import stack_file_commit_hint
from maintenance.settings import (
    SettingsError, load_from_stack_file, parse_settings, passphrase_problem, stack_file_path,
)
from mock_aws import MockProgram, run_program

NOW = datetime(2026, 12, 4, 5, 0, tzinfo=timezone.utc)
HOOK = "https://hooks.example.com/services/T000/B000/abcdef"


# --- notifyUrl ---------------------------------------------------------------------------

def _settings(**raw):
    return parse_settings({"domain": "api.example.com", "liveTarget": "x.example.net", **raw}, "dev")


def test_a_notify_url_is_taken_over_https():
    assert _settings(notifyUrl=f" {HOOK} ").notify_url == HOOK
    assert _settings().notify_url is None


@pytest.mark.parametrize("raw", ["http://hooks.example.com/services/T000", "hooks.example.com/x", "https://",
                                 "https://hooks.example.com:99999/x", "ftp://hooks.example.com/"])
def test_a_notify_url_that_is_not_https_is_refused_without_showing_it(raw):
    with pytest.raises(SettingsError) as failure:
        _settings(notifyUrl=raw)
    message = str(failure.value)
    assert message.startswith("api-maintenance:notifyUrl must be an https:// URL")
    assert "pulumi config set notifyUrl --secret https://hooks.slack.com/services/... -s dev" in message
    assert ", got" not in message and "hooks.example.com" not in message


def test_a_notify_url_in_clear_text_in_the_stack_file_is_refused_with_the_secret_fix(tmp_path):
    stack_file(tmp_path, maintenance=False, extra=f"  api-maintenance:notifyUrl: {HOOK}\n")
    with pytest.raises(SettingsError) as failure:
        load_from_stack_file(tmp_path, "window")
    assert str(failure.value) == (
        "api-maintenance:notifyUrl in Pulumi.window.yaml is in clear text, but a webhook URL is a credential "
        "(whoever has it can post). Fix: pulumi config set --secret notifyUrl \"$(pulumi config get notifyUrl "
        "-s window)\" -s window")
    assert "T000" not in str(failure.value)


def test_a_secret_notify_url_is_left_to_pulumi_by_the_stack_file_reader(tmp_path):
    stack_file(tmp_path, maintenance=False, extra="  api-maintenance:notifyUrl:\n    secure: v1:abc\n")
    assert load_from_stack_file(tmp_path, "window").notify_url is None


def test_the_program_declares_nothing_from_the_notify_url():
    # The URL reaches the program decrypted, as a secret the Automation API passes (set_all_config).
    program = MockProgram("production", notifyUrl=HOOK)
    program.secret_keys.append("api-maintenance:notifyUrl")
    with_url, without = program.run(), run_program("production")
    assert with_url.resources == without.resources
    assert with_url.outputs == without.outputs
    assert "hooks.example.com" not in repr(with_url.resources) + repr(with_url.outputs) + repr(with_url.options)


# --- the passphrase ----------------------------------------------------------------------

PASSPHRASE_STACK = "encryptionsalt: v1:c2FsdA==:v1:aXY=:Y2lwaGVy\nconfig:\n  api-maintenance:maintenance: \"false\"\n"


def test_a_passphrase_stack_without_either_variable_is_one_line_naming_both(tmp_path):
    path = tmp_path / "Pulumi.window.yaml"
    path.write_text(PASSPHRASE_STACK)
    problem = passphrase_problem(path, {"PATH": "/usr/bin"})
    assert problem == (
        "Pulumi.window.yaml keeps its secrets with a passphrase (encryptionsalt), and neither "
        "PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set in this shell. Fix: export "
        "PULUMI_CONFIG_PASSPHRASE_FILE=FILE (a file holding the stack's passphrase) or PULUMI_CONFIG_PASSPHRASE, "
        "then run this again")
    assert "\n" not in problem


@pytest.mark.parametrize("environ", [{"PULUMI_CONFIG_PASSPHRASE": "s3cret"}, {"PULUMI_CONFIG_PASSPHRASE": ""},
                                     {"PULUMI_CONFIG_PASSPHRASE_FILE": "/run/secrets/pass"}])
def test_either_variable_set_even_empty_is_enough(tmp_path, environ):
    path = tmp_path / "Pulumi.window.yaml"
    path.write_text(PASSPHRASE_STACK)
    assert passphrase_problem(path, environ) is None


@pytest.mark.parametrize("text", [
    "config:\n  api-maintenance:maintenance: \"false\"\n",  # no secrets provider of its own
    "secretsprovider: awskms://alias/x\nencryptedkey: abc\nconfig: {}\n",  # a KMS key, no passphrase
    "encryptionsalt: ''\nconfig: {}\n",
    "- a list\n", "config: [\n", "\xff",
])
def test_no_passphrase_problem_without_a_salt_or_a_readable_file(tmp_path, text):
    path = tmp_path / "Pulumi.window.yaml"
    path.write_bytes(text.encode("latin-1"))
    assert passphrase_problem(path, {}) is None
    assert passphrase_problem(tmp_path / "Pulumi.missing.yaml", {}) is None


# --- --until ahead -----------------------------------------------------------------------

EXAMPLE = "--until \"$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)\""


def test_an_until_a_minute_or_more_ahead_is_taken_in_utc():
    assert until_ahead("2026-12-04T05:01:00Z", NOW) == NOW + timedelta(minutes=1)
    assert until_ahead(" 2026-12-04T08:00:00+02:00 ", NOW) == NOW + timedelta(hours=1)


def test_an_until_in_the_past_names_until_and_the_fix():
    with pytest.raises(argparse.ArgumentTypeError) as failure:
        until_ahead("2020-01-01T00:00:00Z", NOW)
    assert str(failure.value) == (
        "--until '2020-01-01T00:00:00Z' has passed (2020-01-01 00:00:00 UTC; now is 2026-12-04 05:00:00 UTC): "
        f"give a time ahead, e.g. {EXAMPLE}, or leave until out with --no-until")


@pytest.mark.parametrize("text", ["2026-12-04T05:00:00Z", "2026-12-04T05:00:59Z", "2026-12-04T06:00:59+01:00"])
def test_an_until_now_or_less_than_a_minute_ahead_is_refused(text):
    with pytest.raises(argparse.ArgumentTypeError) as failure:
        until_ahead(text, NOW)
    assert str(failure.value).startswith(f"--until {text!r} ")
    assert "passed" in str(failure.value) or "less than a minute ahead" in str(failure.value)
    assert EXAMPLE in str(failure.value)


def test_a_long_bad_until_is_cut_to_60_characters_and_its_length():
    with pytest.raises(argparse.ArgumentTypeError) as failure:
        until_ahead("x" * 2000, NOW)
    assert str(failure.value) == (f"--until {'x' * 60!r}... (2000 characters) must be an ISO-8601 date-time such as "
                                  "2026-12-01T06:00:00Z")


# --- the stack file and git HEAD -----------------------------------------------------------

def _git(folder: Path, *arguments: str) -> None:
    subprocess.run(["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.com", *arguments], cwd=folder,
                   check=True, capture_output=True, timeout=30)


@pytest.fixture
def repository(tmp_path):
    folder = tmp_path / "checkout"
    folder.mkdir()
    _git(folder, "init", "-q", ".")
    stack_file(folder, maintenance=False)
    _git(folder, "add", "Pulumi.window.yaml")
    _git(folder, "commit", "-q", "-m", "the window stack")
    return folder


def test_a_stack_file_as_committed_needs_no_hint(repository):
    assert stack_file_commit_hint(repository / "Pulumi.window.yaml") is None


def test_a_changed_stack_file_gets_the_commit_to_make(repository):
    stack_file(repository, maintenance=True)
    hint = stack_file_commit_hint(repository / "Pulumi.window.yaml", "maintenance on: db upgrade")
    assert hint == (
        "note: Pulumi.window.yaml differs from git HEAD: until it is committed and pushed, a plain `pulumi up` "
        "from another checkout would undo the switch (maintenance, message, until). Commit it: "
        f"git -C {repository} commit Pulumi.window.yaml -m 'maintenance on: db upgrade'")
    # The command it gives works as printed.
    subprocess.run(hint.split("Commit it: ")[1], shell=True, check=True, capture_output=True, timeout=30,
                   env={"PATH": "/usr/bin:/bin", "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com",
                        "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com", "HOME": "/nonexistent"})
    assert stack_file_commit_hint(repository / "Pulumi.window.yaml") is None


def test_a_staged_change_still_differs_from_head(repository):
    stack_file(repository, maintenance=True)
    _git(repository, "add", "Pulumi.window.yaml")
    assert "differs from git HEAD" in stack_file_commit_hint(repository / "Pulumi.window.yaml")


def test_an_untracked_stack_file_is_added_then_committed(repository):
    stack_file(repository, maintenance=True, name="other")
    hint = stack_file_commit_hint(repository / "Pulumi.other.yaml")
    assert hint.startswith("note: Pulumi.other.yaml is not in git yet: ")
    assert hint.endswith(f"Commit it: git -C {repository} add Pulumi.other.yaml && git -C {repository} commit "
                         "Pulumi.other.yaml -m 'maintenance: Pulumi.other.yaml'")


def test_a_relative_stack_file_in_the_current_folder_gets_plain_git(repository, monkeypatch):
    monkeypatch.chdir(repository)
    stack_file(repository, maintenance=True)
    assert stack_file_commit_hint(Path("Pulumi.window.yaml")).endswith(
        "Commit it: git commit Pulumi.window.yaml -m 'maintenance: Pulumi.window.yaml'")


def test_an_ignored_stack_file_gets_no_hint(repository):
    (repository / ".gitignore").write_text("Pulumi.other.yaml\n")
    stack_file(repository, maintenance=True, name="other")
    assert stack_file_commit_hint(repository / "Pulumi.other.yaml") is None


def test_no_hint_outside_git_without_git_or_when_git_hangs(tmp_path, monkeypatch):
    stack_file(tmp_path, maintenance=True)
    assert stack_file_commit_hint(tmp_path / "Pulumi.window.yaml") is None
    assert stack_file_commit_hint(tmp_path / "gone" / "Pulumi.window.yaml") is None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text("#!/bin/sh\nexec /bin/sleep 30\n")
    (bin_dir / "git").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    started = datetime.now()
    assert stack_file_commit_hint(tmp_path / "Pulumi.window.yaml", timeout=0.5) is None
    assert datetime.now() - started < timedelta(seconds=5)
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert stack_file_commit_hint(tmp_path / "Pulumi.window.yaml") is None


def test_the_passphrase_check_finds_a_qualified_stacks_file(tmp_path):
    (tmp_path / "Pulumi.window.yaml").write_text(PASSPHRASE_STACK)
    path = stack_file_path(tmp_path, "acme/api-maintenance/window")
    assert path == tmp_path / "Pulumi.window.yaml"
    assert passphrase_problem(path, {}).startswith("Pulumi.window.yaml keeps its secrets with a passphrase")
    with pytest.raises(SettingsError):
        stack_file_path(tmp_path, "../window")
