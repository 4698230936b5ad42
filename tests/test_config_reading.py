"""The program (on the mock runtime) and `status` (from the stack file) read every value alike.

Each case is one stack file: `status` reads it with load_from_stack_file, and the program gets
what the Pulumi engine would hand it from that file (read_stack_config), so both paths must
agree on the value or on the error.
"""

import json
import sys
from pathlib import Path

import pulumi
import pytest
import yaml

from maintenance.cli.main import main
from maintenance.python_version import unsupported_python
from commands import run_maintenance
from maintenance.settings import (
    SECRET, SettingsError, _yaml_problem, load_from_pulumi, load_from_stack_file, parse_settings, read_stack_config,
)
from mock_aws import MockProgram

BASE = "config:\n  aws:region: us-east-1\n  api-maintenance:domain: api.theboss.io\n  api-maintenance:liveLoadBalancer: elb-production-boss\n"


def stack_file(tmp_path, extra: str = "", text: str | None = None, stack: str = "dev"):
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(text if text is not None else BASE + extra)
    return path


def program_reading(path) -> MockProgram:
    """The program, given the file's config the way the engine gives it (a secret arrives decrypted)."""
    program = MockProgram("production")
    program.config = {key: value for key, value in read_stack_config(path).items() if value is not SECRET}
    return program


def program_error(program: MockProgram) -> str:
    with pytest.raises(pulumi.RunError) as failure:
        program.run()
    assert program.mocks.resources == {} and program.mocks.invokes == [], "something was declared or looked up"
    assert "Traceback" not in str(failure.value)
    return str(failure.value)


def status_error(tmp_path) -> str:
    with pytest.raises(SettingsError) as failure:
        load_from_stack_file(tmp_path, "dev")
    return str(failure.value)


# --- unknown keys, in the namespace and of it ----------------------------------------------


def test_a_mistyped_key_stops_the_program_before_anything_and_names_both_commands():
    message = program_error(MockProgram("production", maintenence="true"))
    assert ("api-maintenance:maintenence is not a setting of this program: did you mean api-maintenance:maintenance? "
            "Fix: pulumi config rm maintenence -s production, then pulumi config set maintenance true -s production"
            ) in message
    assert "ignored" not in message


def test_a_key_unlike_any_lists_the_known_keys():
    message = program_error(MockProgram("production", colour="blue"))
    assert "api-maintenance:colour is not a setting of this program; known keys: maintenance, domain" in message
    assert "Fix: pulumi config rm colour -s production" in message and "config set" not in message


def test_keys_from_the_language_host_environment_are_checked_too(monkeypatch):
    # `pulumi up` passes config to a Python program as JSON in PULUMI_CONFIG, not through CONFIG.
    program = MockProgram("production")
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"api-maintenance:Maintenance": "true", "aws:region": "us-east-1"}))
    assert "api-maintenance:Maintenance is not a setting of this program: did you mean api-maintenance:maintenance?" \
        in program_error(program)


@pytest.mark.parametrize("key", ["api-maintenence:maintenance", "maintenance:maintenance", "other-project:maintenence"])
def test_a_typo_in_the_namespace_stops_the_program_naming_the_key_it_means(key):
    program = MockProgram("production")
    program.config[key] = "true"
    message = program_error(program)
    assert f"{key} is in the namespace {key.split(':')[0]}, which this program does not read" in message
    assert "did you mean api-maintenance:maintenance?" in message
    assert (f"Fix: pulumi config rm {key} -s production, then pulumi config set maintenance true -s production"
            in message)


def test_the_fix_sets_the_value_the_typo_held_quoted_for_the_shell():
    program = MockProgram("production")
    program.config["api-maintenence:message"] = "Back at 06:00 UTC, we're sorry."
    assert ("pulumi config set message 'Back at 06:00 UTC, we'\"'\"'re sorry.' -s production"
            in program_error(program))


def test_a_held_value_the_meant_key_refuses_is_not_suggested():
    program = MockProgram("production")
    program.config["api-maintenence:ttl"] = "soon"
    assert "then pulumi config set ttl 60 -s production" in program_error(program)


@pytest.mark.parametrize("marked_by", ["language host", "set_all_config"])
def test_a_secret_typo_value_is_not_shown(monkeypatch, marked_by):
    program = MockProgram("production")
    program.config["api-maintenence:contact"] = "hidden-ops@theboss.io"
    if marked_by == "language host":
        monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["api-maintenence:contact"]))
    else:
        program.secret_keys = ["api-maintenence:contact"]
    message = program_error(program)
    assert "hidden-ops" not in message
    assert "then pulumi config set contact ops@example.com -s production" in message


def test_the_aws_and_pulumi_namespaces_stay_allowed():
    program = MockProgram("production")
    program.config.update({"aws:profile": "ops", "aws:skipMetadataApiCheck": "false", "pulumi:tags": '{"team":"api"}'})
    assert program.run().outputs["mode"] == "live"


def test_status_refuses_the_same_mistyped_key(tmp_path):
    stack_file(tmp_path, "  api-maintenance:maintenence: 'true'\n")
    message = status_error(tmp_path)
    assert "api-maintenance:maintenence is not a setting of this program: did you mean api-maintenance:maintenance?" \
        in message
    assert "pulumi config rm maintenence -s dev, then pulumi config set maintenance true -s dev" in message


def test_status_refuses_a_typo_in_the_namespace(tmp_path):
    stack_file(tmp_path, "  api-maintenence:maintenance: 'true'\n")
    result = run_maintenance("status", "dev", "--cwd", str(tmp_path), "--resolver", "127.0.0.1:53")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert ("api-maintenence:maintenance is in the namespace api-maintenence, which this program does not read"
            in result.stderr)
    assert "Fix: pulumi config rm api-maintenence:maintenance -s dev, then pulumi config set maintenance true -s dev" \
        in result.stderr


def test_a_secret_typo_in_the_stack_file_is_refused_too(tmp_path):
    # A secret of an unknown key is no setting left at its default: it is a typo all the same.
    stack_file(tmp_path, "  api-maintenance:maintenence:\n    secure: v1:c2VjcmV0:AAAA\n")
    message = status_error(tmp_path)
    assert "api-maintenance:maintenence is not a setting of this program" in message
    assert "then pulumi config set maintenance true -s dev" in message


# --- one reading of every value -------------------------------------------------------------

BOOLEAN_CASES = [
    ("'true'", True), ("true", True), ("True", True), ("false", False), ("False", False),
    ("yes", None), ("on", None), ("TRUE", None), ("y", None), ("1", None), ("''", None), ("~", None),
]


@pytest.mark.parametrize("written, expected", BOOLEAN_CASES)
def test_booleans_read_as_pulumi_reads_them_in_both_paths(tmp_path, written, expected):
    path = stack_file(tmp_path, f"  api-maintenance:maintenance: {written}\n")
    if expected is None:
        problem = "api-maintenance:maintenance must be true or false"
        assert problem in status_error(tmp_path)
        assert problem in program_error(program_reading(path))
    else:
        assert load_from_stack_file(tmp_path, "dev").maintenance is expected
        run = program_reading(path).run()
        assert run.outputs["mode"] == ("maintenance" if expected else "live")


@pytest.mark.parametrize("written, expected", [("120", 120), ("'120'", 120), ("0x78", None), ("1.2e2", None)])
def test_numbers_read_alike_in_both_paths(tmp_path, written, expected):
    path = stack_file(tmp_path, f"  api-maintenance:ttl: {written}\n")
    if expected is None:
        assert "api-maintenance:ttl must be a whole number" in status_error(tmp_path)
        assert "api-maintenance:ttl must be a whole number" in program_error(program_reading(path))
    else:
        assert load_from_stack_file(tmp_path, "dev").ttl == expected
        assert program_reading(path).run().one("aws:route53/record:Record")["inputs"]["ttl"] == expected


def test_a_list_value_is_an_error_in_both_paths(tmp_path):
    path = stack_file(tmp_path, "  api-maintenance:maintenance: [true]\n")
    assert "api-maintenance:maintenance must be true or false, got '[true]'" in status_error(tmp_path)
    assert "api-maintenance:maintenance must be true or false, got '[true]'" in program_error(program_reading(path))


def test_a_secret_status_does_not_need_is_left_out(tmp_path):
    path = stack_file(tmp_path, "  api-maintenance:contact:\n    secure: v1:c2VjcmV0:AAAA\n")
    assert load_from_stack_file(tmp_path, "dev").contact is None
    program = program_reading(path)
    program.config["api-maintenance:contact"] = "ops@theboss.io"  # the engine hands it over decrypted
    assert "ops@theboss.io" in program.run().one("aws:s3/bucketObjectv2:BucketObjectv2")["inputs"]["content"]


@pytest.mark.parametrize("key", ["domain", "maintenance", "liveLoadBalancer"])
def test_a_secret_status_needs_is_a_clear_error(tmp_path, key):
    text = BASE.replace(f"  api-maintenance:{key}: elb-production-boss\n", "") if key == "liveLoadBalancer" else BASE
    stack_file(tmp_path, text=text.replace(f"  api-maintenance:{key}: api.theboss.io\n", "")
               + f"  api-maintenance:{key}:\n    secure: v1:c2VjcmV0:AAAA\n")
    message = status_error(tmp_path)
    assert f"api-maintenance:{key} in Pulumi.dev.yaml is a secret, which only Pulumi can decrypt" in message
    value = "false" if key == "maintenance" else "VALUE"
    assert f"Fix: pulumi config set {key} {value} -s dev (without --secret)" in message
    if key != "maintenance":
        assert "needed here in clear text (it names a resource; it is no secret)" in message


def test_a_secret_maintenance_is_refused_with_a_reason_that_fits_a_boolean(tmp_path):
    stack_file(tmp_path, "  api-maintenance:maintenance:\n    secure: v1:c2VjcmV0:AAAA\n")
    message = status_error(tmp_path)
    assert "(it only says whether maintenance is on, which the public DNS record shows anyway; it is no secret)" in message
    assert "names a resource" not in message


# --- malformed stack files, through `python -m maintenance status` ----------------------------------


@pytest.mark.parametrize("content, message", [
    (b"- config\n- api-maintenance:domain\n", "Pulumi.dev.yaml: must be a YAML mapping with a config: section, not a list. "
                                               "Fix: start the file with `config:`"),
    (b"config:\n  - api-maintenance:domain: api.theboss.io\n", "Pulumi.dev.yaml: config: (line 2) must be a mapping of "
                                                              "KEY: VALUE lines, not a list. Fix: write each setting as"),
    (b"config:\n  1: x\n", "Pulumi.dev.yaml: config key '1' (line 2) is not NAMESPACE:NAME text, which Pulumi requires. "
                           "Fix: write it as api-maintenance:KEY"),
    (b"config:\n  ? [a, b]\n  : x\n", "config key 'list' (line 2) is not NAMESPACE:NAME text"),
    (b"config:\n  api-maintenance:message: caf\xe9\n", "Pulumi.dev.yaml: line 2 is not UTF-8 text (byte 0xe9); Pulumi "
                                                      "reads stack files as UTF-8. Fix: save the file as UTF-8"),
    (b"config: [unclosed\n", "Pulumi.dev.yaml: line 2, column 1 is not valid YAML (while parsing a flow sequence, "
                            "expected ',' or ']', but got '<stream end>'). Fix: correct that line"),
    (b"config:\n  api-maintenance:message: Back at: 06:00\n", "Pulumi.dev.yaml: line 2, column 35 is not valid YAML "
     "(mapping values are not allowed here). Fix: correct that line: each setting sits under config: as "
     "`  api-maintenance:KEY: VALUE`, and a value that holds `: ` or ` #`, or starts with a bracket or a quote, goes "
     "in quotes"),
    (b"config:\n  aws:tags: \x01\n", "Pulumi.dev.yaml: line 2 holds the character U+0001, which YAML does not allow. "
                                  "Fix: delete it"),
    (b"config:\n  api-maintenance:maintenance:x: 'true'\n", "config key 'api-maintenance:maintenance:x' (line 2) is "
                                                          "not NAMESPACE:NAME text"),
    (b"config:\n  aws:defaultTags: {tags: {since: 2026-13-01}}\n", "Pulumi.dev.yaml: the value of aws:defaultTags "
                                                                  "(line 2) cannot be read: month must be in 1..12"),
    (b"config:\n  aws:tags: !custom {a: 1}\n", "Pulumi.dev.yaml: the value of aws:tags (line 2) cannot be read"),
    (b"config:\n  aws:tags: &loop [*loop]\n", "Pulumi.dev.yaml: the value of aws:tags (line 2) cannot be read"),
    (b"config:\n  api-maintenance:maintenance: 'true'\n  api-maintenance:domain: api.theboss.io\n"
     b"  api-maintenance:maintenance: 'false'\n",
     "Pulumi.dev.yaml: config key 'api-maintenance:maintenance' is set twice (the second time on line 4)"),
])
def test_a_malformed_stack_file_exits_2_naming_problem_and_fix(tmp_path, content, message):
    (tmp_path / "Pulumi.dev.yaml").write_bytes(content)
    result = run_maintenance("status", "dev", "--cwd", str(tmp_path), "--resolver", "127.0.0.1:53")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_byte_order_mark_is_skipped_as_pulumi_does(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert load_from_stack_file(tmp_path, "dev").domain == "api.theboss.io"


# --- bad stack files in every command that reads one ------------------------------------------

# Each command, as an operator runs it, up to the point where it reads the stack file.
COMMANDS = {
    "status": ["status", "dev", "--resolver", "127.0.0.1:53"],
    "preflight": ["preflight", "dev", "--to", "live"],
    "import-file": ["import-file", "dev", "--distribution-id", "E2QWRUHAPOMQZL"],
}


def command_error(tmp_path, command: str, stack: str = "dev") -> str:
    arguments = [stack if word == "dev" else word for word in COMMANDS[command]]
    result = run_maintenance(*arguments, "--cwd", str(tmp_path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    return result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_refuses_a_typo_in_the_namespace(tmp_path, command):
    stack_file(tmp_path, "  api-maintenence:maintenance: 'true'\n")
    assert ("api-maintenence:maintenance is in the namespace api-maintenence, which this program does not read"
            in command_error(tmp_path, command))


@pytest.mark.parametrize("until", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_an_until_beyond_pythons_dates_is_a_config_error_in_the_program(tmp_path, until):
    path = stack_file(tmp_path, f"  api-maintenance:until: '{until}'\n")
    assert f"api-maintenance:until must fall between the years 1 and 9999 in UTC, got '{until}'" \
        in program_error(program_reading(path))


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("until", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_an_until_beyond_pythons_dates_is_a_config_error_in_every_command(tmp_path, command, until):
    stack_file(tmp_path, f"  api-maintenance:until: '{until}'\n")
    message = command_error(tmp_path, command)
    assert f"api-maintenance:until must fall between the years 1 and 9999 in UTC, got '{until}'. Fix: pulumi " \
           "config set until 2026-12-01T06:00:00Z -s dev" in message


@pytest.mark.parametrize("until", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+01:00"])
def test_the_first_and_last_moments_python_holds_are_accepted(until):
    assert parse_settings({"domain": "api.theboss.io", "liveTarget": "x.example.net", "until": until}, "dev").until


DEEP = "[" * 3000 + "]" * 3000


@pytest.mark.parametrize("command", COMMANDS)
def test_deeply_nested_yaml_exits_2_in_every_command(tmp_path, command):
    stack_file(tmp_path, f"  aws:tags: {DEEP}\n")
    assert "Pulumi.dev.yaml: nests lists or mappings too deeply to read. Fix:" in command_error(tmp_path, command)


def test_deeply_nested_yaml_is_a_run_error_in_the_program():
    # The engine (go-yaml) reads the file and hands each value over as its JSON text.
    program = MockProgram("production")
    program.config["api-maintenance:maintenance"] = DEEP
    assert "api-maintenance:maintenance must be true or false, got '[[[[" in program_error(program)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_folder_in_place_of_the_stack_file_exits_2_in_every_command(tmp_path, command):
    (tmp_path / "Pulumi.dev.yaml").mkdir()
    assert "Pulumi.dev.yaml: cannot be read (Is a directory). Fix: make it a file that this user may read" \
        in command_error(tmp_path, command)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_stack_file_this_user_may_not_read_exits_2_in_every_command(tmp_path, monkeypatch, capsys, command):
    # The tests run as root, whom chmod 000 does not stop; so the read itself is made to fail as
    # the kernel fails it for another user (EACCES), in this process, where the command runs.
    stack_file(tmp_path)
    real_read_bytes = Path.read_bytes

    def read_bytes(path):
        if path.name == "Pulumi.dev.yaml":
            raise PermissionError(13, "Permission denied", str(path))
        return real_read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert main([*COMMANDS[command], "--cwd", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Pulumi.dev.yaml: cannot be read (Permission denied). Fix: make it a file that this user may read" in err


# --- stack names ------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["../dev", "./dev", "a/b/c/dev", "..\\dev"])
def test_a_path_for_a_stack_name_gets_a_message_that_says_so(tmp_path, stack):
    stack_file(tmp_path)
    with pytest.raises(SettingsError) as failure:
        load_from_stack_file(tmp_path, stack)
    assert f"the stack {stack!r} is a path, not a stack name. Fix: give the stack's name, and the folder" \
        in str(failure.value)


@pytest.mark.parametrize("stack", ["acme/dev", "acme/api-maintenance/dev"])
def test_a_qualified_stack_name_reads_the_file_of_its_own_name(tmp_path, stack):
    stack_file(tmp_path)
    assert load_from_stack_file(tmp_path, stack).domain == "api.theboss.io"


def test_a_stack_of_another_project_is_refused(tmp_path):
    stack_file(tmp_path)
    with pytest.raises(SettingsError) as failure:
        load_from_stack_file(tmp_path, "acme/website/dev")
    assert "the stack 'acme/website/dev' belongs to the project website, not api-maintenance" in str(failure.value)


@pytest.mark.parametrize("stack", ["dev!", "", "d" * 101, "acme/"])
def test_a_name_pulumi_would_refuse_is_not_taken_for_a_missing_file(tmp_path, stack):
    with pytest.raises(SettingsError) as failure:
        load_from_stack_file(tmp_path, stack)
    assert f"the stack {stack!r} is not a stack name: Pulumi's are 1 to 100 letters, digits" in str(failure.value)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_says_a_path_is_no_stack_name(tmp_path, command):
    assert "the stack '../dev' is a path, not a stack name" in command_error(tmp_path, command, stack="../dev")


# --- Python 3.11+ ----------------------------------------------------------------------------


OLD_PYTHON = (3, 10, 12, "final", 0)


def test_an_old_python_is_named_with_the_fix(monkeypatch):
    assert unsupported_python() is None
    monkeypatch.setattr(sys, "version_info", OLD_PYTHON)
    assert unsupported_python() == (
        "api-maintenance needs Python 3.11 or newer, but this is Python 3.10.12. "
        "Fix: install Python 3.11+ and recreate the virtualenv: rm -rf venv && python3.11 -m venv venv")


def test_the_command_refuses_an_old_python(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sys, "version_info", OLD_PYTHON)
    assert main(["status", "dev", "--cwd", str(tmp_path)]) == 2
    assert "needs Python 3.11 or newer" in capsys.readouterr().err


def test_the_program_refuses_an_old_python_before_any_resource(monkeypatch):
    program = MockProgram("production")
    monkeypatch.setattr(sys, "version_info", OLD_PYTHON)
    assert "needs Python 3.11 or newer, but this is Python 3.10.12" in program_error(program)


def test_the_encryption_salt_pulumi_adds_on_stack_creation_is_read_past(tmp_path):
    stack_file(tmp_path, text="encryptionsalt: v1:c2FsdA==:v1:AAAA:BBBB\n" + BASE)
    assert load_from_stack_file(tmp_path, "dev").domain == "api.theboss.io"


def test_the_program_takes_its_stack_and_region_from_pulumi():
    loaded = []
    MockProgram("production", region="eu-west-1").run(lambda: loaded.append(load_from_pulumi()))
    assert (loaded[0].stack, loaded[0].region, loaded[0].live_load_balancer) == ("production", "eu-west-1", "elb-production-boss")


@pytest.mark.parametrize("content, message", [
    ("just text\n", "must be a YAML mapping with a config: section, not a single value."),
    ("config:\n  ? {a: 1}\n  : x\n", "config key 'mapping' (line 2) is not NAMESPACE:NAME text"),
    ("config: just text\n", "config: (line 1) must be a mapping of KEY: VALUE lines, not a single value."),
])
def test_the_stack_file_reader_names_what_it_found_instead(tmp_path, content, message):
    with pytest.raises(SettingsError) as failure:
        read_stack_config(stack_file(tmp_path, text=content))
    assert message in str(failure.value)


@pytest.mark.parametrize("content, message", [
    (b"\nconfig:\n  api-maintenance:message: caf\xe9\n",
     "Pulumi.dev.yaml: line 3 is not UTF-8 text (byte 0xe9); Pulumi reads stack files as UTF-8. "
     "Fix: save the file as UTF-8"),
    (b"config:\n  a:b: 1\n  a:b: 2\n",
     "Pulumi.dev.yaml: config key 'a:b' is set twice (the second time on line 3), so which value applies is unclear. "
     "Fix: delete one of the two lines"),
    (b"config:\n  a:b:c: 1\n",
     "Pulumi.dev.yaml: config key 'a:b:c' (line 2) is not NAMESPACE:NAME text, which Pulumi requires. "
     "Fix: write it as api-maintenance:KEY, e.g. api-maintenance:maintenance"),
    (b"config:\n  - a:b: 1\n",
     "Pulumi.dev.yaml: config: (line 2) must be a mapping of KEY: VALUE lines, not a list. "
     "Fix: write each setting as `  api-maintenance:KEY: VALUE` without a leading dash"),
    (b"- a\n",
     "Pulumi.dev.yaml: must be a YAML mapping with a config: section, not a list. "
     "Fix: start the file with `config:` and indent each `api-maintenance:KEY: VALUE` under it"),
    # The line counts the newlines before the character, the first one too, and none after it.
    (b"\nconfig:\n  aws:tags: \x01\n  aws:region: us-east-1\n\n",
     "Pulumi.dev.yaml: line 3 holds the character U+0001, which YAML does not allow. "
     "Fix: delete it, or write it as an escape in double quotes (\"\\x01\")"),
])
def test_the_stack_file_reader_says_where_and_how_to_fix(tmp_path, content, message):
    (tmp_path / "Pulumi.dev.yaml").write_bytes(content)
    with pytest.raises(SettingsError) as failure:
        read_stack_config(tmp_path / "Pulumi.dev.yaml")
    assert failure.value.problems == [message]


def test_a_yaml_error_without_a_place_is_still_named_with_its_fix():
    # PyYAML's own errors carry a problem_mark; one raised without a place still gets a message and a fix.
    assert _yaml_problem(yaml.YAMLError("unreadable"), "") == (
        "is not valid YAML: unreadable. Fix: correct it, or restore it from version control")


def test_a_value_the_reader_cannot_construct_is_named_with_its_line(tmp_path):
    with pytest.raises(SettingsError) as failure:
        read_stack_config(stack_file(tmp_path, text="config:\n\n  aws:tags: !custom {a: 1}\n"))
    assert str(failure.value).startswith("Pulumi.dev.yaml: the value of aws:tags (line 3) cannot be read: ")
    assert str(failure.value).endswith(". Fix: write it as plain text, a list or a mapping")


@pytest.mark.parametrize("content, expected", [
    ("", {}), ("config:\n", {}), ("other: 1\n", {}),
    ("config:\n  a:empty:\n  a:tilde: ~\n  a:list: [2, 1]\n  a:secret:\n    secure: v1:AAAA\n"
     "  a:map: {secure: 1, b: 2}\n  a:one: {b: 2}\n  a:dates: [2026-12-01]\n",
     {"a:empty": "", "a:tilde": "", "a:list": "[2,1]", "a:secret": SECRET, "a:map": '{"b":2,"secure":1}',
      "a:one": '{"b":2}', "a:dates": '["2026-12-01"]'}),
])
def test_the_stack_file_reader_hands_over_values_as_the_engine_does(tmp_path, content, expected):
    assert read_stack_config(stack_file(tmp_path, text=content)) == expected
