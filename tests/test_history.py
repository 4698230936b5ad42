"""`history`: past windows from the stack's update history, against the stand-in `pulumi` and as pure functions."""

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from commands import fake_pulumi, stack_file
from maintenance.cli.history import read_updates
from maintenance.cli.windows import Update, build_windows, duration_text, report, who
from pulumi_stand_in import StandIn, project_copy

STACK = "window"
AUTHOR = ("Ada Lovelace", "ada@example.com")
FAR = "  api-maintenance:until: 2099-01-01T06:00:00Z\n"
PASSED = "  api-maintenance:until: 2020-01-01T06:00:00Z\n"


def _git(folder: Path, *arguments: str) -> None:
    subprocess.run(["git", "-c", f"user.name={AUTHOR[0]}", "-c", f"user.email={AUTHOR[1]}", *arguments], cwd=folder,
                   check=True, capture_output=True, timeout=30)


@pytest.fixture
def stand_in(tmp_path) -> StandIn:
    """The stack deployed live from a git checkout, as an operator's would be."""
    project = project_copy(tmp_path)
    stack_file(project, maintenance=False)
    _git(project, "init", "-q", ".")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "the api-maintenance project")
    stand_in = StandIn(project, tmp_path / "backend")
    stand_in.deploy(STACK)
    return stand_in


def up(stand_in: StandIn, maintenance: bool, message: str | None, extra: str = "") -> None:
    """A `pulumi up` of the stack file as a window command leaves it, with the message it gives."""
    stack_file(stand_in.project_dir, maintenance=maintenance, extra=extra)
    result = stand_in.run("up", "--yes", "--skip-preview", "--stack", STACK, *(["--message", message] if message else []))
    assert result.returncode == 0, result.stderr


def history(stand_in: StandIn, *arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "maintenance", "history", STACK, "--cwd", str(stand_in.project_dir), *arguments],
        env=env or stand_in.env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_a_closed_window_with_its_reasons_and_who_ran_it(stand_in):
    up(stand_in, True, "maintenance on: db upgrade", FAR)
    up(stand_in, True, "maintenance message: back at 06:00", FAR)
    up(stand_in, False, "maintenance off: done", FAR)
    result = history(stand_in, "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["stack"], document["exit"], document["updatesRead"]) == (STACK, 0, 4)
    [window] = document["windows"]
    assert (window["open"], window["overrun"]) == (False, False)
    assert [(u["command"], u["message"], u["maintenance"]) for u in window["updates"]] == [
        ("on", "maintenance on: db upgrade", True), ("message", "maintenance message: back at 06:00", True),
        ("off", "maintenance off: done", False)]
    assert (window["start"], window["end"]) == (window["updates"][0]["time"], window["updates"][-1]["time"])
    start, end = (datetime.fromisoformat(window[key]) for key in ("start", "end"))
    assert window["durationSeconds"] == (end - start).total_seconds() >= 0
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=stand_in.project_dir, capture_output=True, text=True).stdout
    for update in window["updates"]:
        assert update["by"] == f"Ada Lovelace <ada@example.com> (git.author, HEAD {head[:7]}), exec.kind cli"
        assert update["environment"]["git.author"] == "Ada Lovelace"
        assert update["environment"]["git.head"] == head.strip()
        assert update["until"] == "2099-01-01T06:00:00Z"


def test_the_text_names_each_update_and_an_open_overrun_window(stand_in):
    up(stand_in, True, "maintenance on: no reason given", PASSED)
    result = history(stand_in)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"history {STACK}: 1 window, oldest first (2 updates read)"
    assert lines[1].startswith("window 1: ") and " -> still open (" in lines[1] and lines[1].endswith(" so far)")
    assert lines[2].startswith("  on      2") and "  'maintenance on: no reason given'  by Ada Lovelace" in lines[2]
    assert lines[3].startswith("  overrun: until 2020-01-01 06:00 UTC passed ")
    assert lines[3].endswith(" ago, and it is still open")
    assert len(lines) == 4


def test_a_plain_pulumi_up_counts_with_the_commit_title_as_its_message(stand_in):
    up(stand_in, True, None)
    up(stand_in, False, None)
    [window] = json.loads(history(stand_in, "--json").stdout)["windows"]
    assert [(u["command"], u["message"]) for u in window["updates"]] == [
        ("on", "the api-maintenance project"), ("off", "the api-maintenance project")]


def test_limit_keeps_the_newest_windows_and_no_window_is_no_error(stand_in):
    empty = history(stand_in)
    assert (empty.returncode, empty.stdout) == (0, f"history {STACK}: no maintenance window in the 1 updates read\n")
    for reason in ("first", "second"):
        up(stand_in, True, f"maintenance on: {reason}")
        up(stand_in, False, f"maintenance off: {reason}")
    windows = json.loads(history(stand_in, "--json", "--limit", "1").stdout)["windows"]
    assert [w["updates"][0]["message"] for w in windows] == ["maintenance on: second"]
    windows = json.loads(history(stand_in, "--json").stdout)["windows"]
    assert [w["updates"][0]["message"] for w in windows] == ["maintenance on: first", "maintenance on: second"]


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1001"])
def test_a_bad_limit_is_a_usage_error(stand_in, limit):
    result = history(stand_in, "--limit", limit)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith(f"{limit!r}: must be a whole number of windows from 1 to 1000")
    assert not stand_in.ran("stack history")


def test_not_logged_in_is_one_line_with_the_fix_and_a_json_document(stand_in):
    logged_out = {key: value for key, value in stand_in.env.items() if key != "PULUMI_BACKEND_URL"}
    result = history(stand_in, "--json", env=logged_out)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: Pulumi is not logged in (") and "run pulumi login" in line
    assert json.loads(result.stdout) == {"exit": 2, "error": line.removeprefix("error: ")}


def test_an_unknown_stack_exits_2(tmp_path):
    project = project_copy(tmp_path)
    stand_in = StandIn(project, tmp_path / "backend")
    result = history(stand_in)
    assert result.returncode == 2
    assert result.stderr == ("error: the backend Pulumi is logged in to has no stack 'window': check the name "
                             "(pulumi stack ls) and the backend (pulumi whoami -v)\n")


@pytest.mark.parametrize("answer, error", [
    ("echo 'error: failed to load history' >&2; exit 255", "error: `pulumi stack history` failed: error: failed to load history"),
    ("echo '[{\"kind\": \"update\"}]'", "error: `pulumi stack history` printed what this command cannot read (KeyError('startTime'))"),
])
def test_a_failing_or_unreadable_history_exits_3(tmp_path, answer, error):
    project = project_copy(tmp_path)
    path = fake_pulumi(tmp_path, f"""case "$*" in
  version) echo v3.210.0 ;;
  *whoami*) echo '{{"user": "ada", "organizations": [], "url": "file:///nowhere"}}' ;;
  *"stack history"*) {answer} ;;
  *) exit 0 ;;
esac""")
    result = subprocess.run([sys.executable, "-m", "maintenance", "history", STACK, "--cwd", str(project)],
                            env={"PATH": path, "HOME": str(tmp_path), "PYTHONPATH": str(Path(__file__).parent.parent)},
                            capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stderr.strip()) == (3, error), result.stderr


# --- paging, with a stack whose history is pages of fakes -------------------------------

class _Summary:
    def __init__(self, version, maintenance, minute, message=""):
        self.version, self.kind, self.result, self.message = version, "update", "succeeded", message
        self.start_time = datetime(2026, 12, 4, 5, minute)
        self.end_time = self.start_time + timedelta(seconds=30)
        self.environment = {"exec.kind": "auto.local"}
        self.config = {"api-maintenance:maintenance": {"value": str(maintenance).lower(), "secret": False}}


class _PagedStack:
    def __init__(self, oldest_first):
        self.newest_first = oldest_first[::-1]
        self.pages = []

    def history(self, page_size, page, show_secrets):
        assert show_secrets is False
        self.pages.append(page)
        return self.newest_first[(page - 1) * page_size:page * page_size]


class _Pulumi:
    def __init__(self, stack):
        self.stack = stack


def _alternating(count):
    return [_Summary(version, version % 2 == 0, version) for version in range(1, count + 1)]


def test_pages_are_read_until_the_history_ends():
    stack = _PagedStack(_alternating(9))
    updates, complete = read_updates(_Pulumi(stack), limit=10, page_size=4)
    assert complete and stack.pages == [1, 2, 3]
    assert [u.version for u in updates] == list(range(1, 10))
    assert len(build_windows(updates, complete)) == 4


def test_paging_stops_once_the_newest_windows_are_whole():
    stack = _PagedStack(_alternating(40))
    updates, complete = read_updates(_Pulumi(stack), limit=2, page_size=4)
    assert not complete and stack.pages == [1]
    assert [w.updates[0].version for w in build_windows(updates, complete)] == [38, 40]


# --- windows, pure ---------------------------------------------------------------------

T0 = datetime(2026, 12, 4, 5, 0, tzinfo=timezone.utc)


def _update(minute, maintenance, until=None, kind="update", result="succeeded", message="", environment=None):
    return Update(minute, kind, result, T0 + timedelta(minutes=minute), T0 + timedelta(minutes=minute, seconds=30),
                  message, environment or {}, maintenance, until)


def test_failed_updates_and_other_kinds_switch_nothing():
    updates = [_update(0, False), _update(1, True, result="failed"), _update(2, True, kind="refresh"),
               _update(3, True), _update(4, False, result="failed"), _update(5, None), _update(6, False)]
    [window] = build_windows(updates)
    assert [u.version for u in window.updates] == [3, 6]
    assert window.duration(T0) == timedelta(minutes=3)


def test_a_stacks_first_update_in_maintenance_opens_a_window_unless_the_history_was_cut():
    updates = [_update(0, True), _update(1, False), _update(2, True)]
    assert [[u.version for u in w.updates] for w in build_windows(updates)] == [[0, 1], [2]]
    assert [[u.version for u in w.updates] for w in build_windows(updates, complete=False)] == [[2]]
    assert build_windows(updates[2:])[0].closed is False


def test_an_until_moved_before_it_passed_is_no_overrun():
    until = T0 + timedelta(minutes=10)
    moved = [_update(0, True, until), _update(5, True, until + timedelta(hours=1)), _update(20, False)]
    assert build_windows(moved)[0].overrun(T0 + timedelta(hours=5)) is None
    late = [_update(0, True, until), _update(12, True, until + timedelta(hours=1)), _update(20, False)]
    assert build_windows(late)[0].overrun(T0) == (until, timedelta(minutes=2, seconds=30))


def test_an_open_window_overruns_once_now_passes_its_until():
    until = T0 + timedelta(minutes=10)
    [window] = build_windows([_update(0, True, until)])
    assert window.overrun(until) is None
    assert window.overrun(until + timedelta(seconds=1)) == (until, timedelta(seconds=1))
    text = report("w", [window], 1, until + timedelta(minutes=3))
    assert text.splitlines()[-1] == "  overrun: until 2026-12-04 05:10 UTC passed 3m 00s ago, and it is still open"


def test_who_labels_each_fact_with_pulumis_key():
    assert who({}) is None
    assert who({"exec.kind": "auto.local"}) == "exec.kind auto.local"
    assert who({"git.author": "Ada", "git.author.email": "ada@example.com", "git.head": "0123456789abcdef",
                "ci.system": "GitHub Actions", "ci.build.url": "https://ci.example.com/1", "exec.kind": "cli"}) == (
        "Ada <ada@example.com> (git.author, HEAD 0123456), ci.system GitHub Actions https://ci.example.com/1, "
        "exec.kind cli")
    assert who({"git.author.email": "ada@example.com"}) == "<ada@example.com> (git.author)"


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59, "59s"), (61, "1m 01s"), (3600, "1h 00m"),
                                           (3 * 3600 + 5 * 60 + 9, "3h 05m"), (86400 * 2 + 3600 * 4, "2d 4h")])
def test_durations_read_at_a_glance(seconds, text):
    assert duration_text(timedelta(seconds=seconds)) == text


def test_outside_git_an_update_records_only_how_it_ran(tmp_path):
    project = project_copy(tmp_path)
    stack_file(project, maintenance=False)
    stand_in = StandIn(project, tmp_path / "backend")
    stand_in.deploy(STACK)
    up(stand_in, True, None)
    result = history(stand_in)
    assert result.stdout.splitlines()[2].endswith("  (no message)  by exec.kind cli")
    [window] = json.loads(history(stand_in, "--json").stdout)["windows"]
    assert window["updates"][0]["environment"] == {"exec.kind": "cli"}


@pytest.mark.parametrize("arguments, error", [
    (["../window"], "error: the stack '../window' is a path, not a stack name. Fix: give the stack's name, and the "
                    "folder that holds its Pulumi.STACK.yaml with --cwd (e.g. production --cwd ../api-maintenance)"),
    (["window", "--cwd", "/nonexistent/project"],
     "error: --cwd '/nonexistent/project' is not a folder: give the folder that holds Pulumi.yaml"),
])
def test_a_path_for_a_stack_or_a_missing_folder_exits_2_before_pulumi_runs(tmp_path, arguments, error):
    stand_in = StandIn(project_copy(tmp_path), tmp_path / "backend")
    result = subprocess.run([sys.executable, "-m", "maintenance", "history", *arguments], env=stand_in.env,
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (2, error)
    assert stand_in.calls() == []
