"""`python -m maintenance import-file`: every entry matches what the program registers."""

import json
import subprocess
from pathlib import Path

import pytest

from commands import run_maintenance
from maintenance.cli.import_file import plan_import
from mock_aws import STACKS, MockProgram

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTION_ID = "E2QWRUHAPOMQZL"


def import_file(*arguments: str) -> subprocess.CompletedProcess:
    """The command on the project's own stack files, unless the arguments give another --cwd."""
    return run_maintenance("import-file", "--cwd", str(ROOT), *arguments)


def type_and_name(urn: str) -> tuple[str, str]:
    """urn:pulumi:STACK::PROJECT::PARENT-TYPE$...$TYPE::NAME -> (TYPE, NAME)."""
    types, name = urn.rsplit("::", 2)[1:]
    return types.split("$")[-1], name


@pytest.mark.parametrize("stack", STACKS)
def test_every_entry_is_a_resource_the_program_registers_with_its_type_name_and_parent(stack):
    result = import_file(stack, "--distribution-id", DISTRIBUTION_ID, "--bucket", "maintenance-prod-boss") \
        if stack == "production" else import_file(stack, "--distribution-id", DISTRIBUTION_ID)
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)["resources"]
    run = MockProgram(stack).run()
    by_name = {entry["name"]: entry for entry in entries}
    for entry in entries:
        options = run.options[entry["name"]]
        assert options["type"] == entry["type"]
        assert options["custom"] is not entry.get("component", False)
        if "parent" in entry:
            parent = by_name[entry["parent"]]
            assert type_and_name(options["parent"]) == (parent["type"], parent["name"])
        else:
            assert type_and_name(options["parent"])[0] == "pulumi:pulumi:Stack"
        if entry.get("component"):
            assert "id" not in entry
    expected = {"maintenance-site", "distribution"} | ({"bucket"} if stack == "production" else set())
    assert set(by_name) == expected
    assert by_name["distribution"]["id"] == DISTRIBUTION_ID


def test_the_bucket_defaults_to_the_stacks_bucket_name():
    document, notes = plan_import("production", ROOT, DISTRIBUTION_ID, None)
    [bucket] = [entry for entry in document["resources"] if entry["name"] == "bucket"]
    assert bucket["id"] == "maintenance-prod-boss" and notes == []


def test_an_auto_named_bucket_is_not_imported_and_the_operator_is_told():
    result = import_file("integration", "--distribution-id", DISTRIBUTION_ID)
    assert [entry["name"] for entry in json.loads(result.stdout)["resources"]] == ["maintenance-site", "distribution"]
    assert "note: stack integration sets no bucketName: Pulumi creates a new bucket" in result.stderr


@pytest.mark.parametrize("arguments, message", [
    (("integration", "--distribution-id", DISTRIBUTION_ID, "--bucket", "maintenance-int-boss"),
     "the stack integration does not name the bucket 'maintenance-int-boss' (bucketName is unset, so Pulumi creates "
     "a new bucket): an import under another name would be replaced. Fix: pulumi config set bucketName "
     "maintenance-int-boss -s integration"),
    (("integration", "--distribution-id", DISTRIBUTION_ID, "--bucket", "maintenance-prod-boss"),
     "Fix: stack production already names it, and two stacks must not share one bucket"),
    (("production", "--distribution-id", "d111111abcdef8.cloudfront.net"), "is not a CloudFront distribution id"),
    (("staging", "--distribution-id", DISTRIBUTION_ID), "no stack file Pulumi.staging.yaml"),
])
def test_bad_input_exits_2_with_the_fix(arguments, message):
    result = import_file(*arguments)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_a_secret_bucket_name_is_an_error_not_a_new_bucket(tmp_path):
    stack_file = (ROOT / "Pulumi.production.yaml").read_text()
    secret = "api-maintenance:bucketName:\n    secure: v1:AAAA"
    (tmp_path / "Pulumi.production.yaml").write_text(stack_file.replace("api-maintenance:bucketName: maintenance-prod-boss", secret))
    result = import_file("production", "--distribution-id", DISTRIBUTION_ID, "--cwd", str(tmp_path))
    assert result.returncode == 2
    assert "api-maintenance:bucketName in Pulumi.production.yaml is a secret" in result.stderr
    assert result.stdout == ""


def test_a_bucket_name_s3_refuses_is_never_suggested():
    result = import_file("integration", "--distribution-id", DISTRIBUTION_ID, "--bucket", "MAINTENANCE-PROD-BOSS")
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert ("--bucket 'MAINTENANCE-PROD-BOSS' is not a bucket name: it must be 3 to 63 lower-case letters"
            in result.stderr)
    assert "Fix: did you mean --bucket maintenance-prod-boss? (bucket names are lower case)" in result.stderr
    assert "config set bucketName" not in result.stderr


def test_a_bucket_name_with_no_valid_form_is_refused_without_a_guess():
    result = import_file("integration", "--distribution-id", DISTRIBUTION_ID, "--bucket", "my_bucket")
    assert result.returncode == 2
    assert "Fix: give the bucket's name as the S3 console shows it" in result.stderr
    assert "config set bucketName" not in result.stderr


def test_another_broken_stack_file_does_not_replace_the_real_error(tmp_path):
    (tmp_path / "Pulumi.production.yaml").write_text((ROOT / "Pulumi.production.yaml").read_text())
    (tmp_path / "Pulumi.other.yaml").write_text("config: [unclosed\n")
    result = import_file("production", "--distribution-id", DISTRIBUTION_ID, "--bucket", "another-bucket",
                         "--cwd", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "the stack production does not name the bucket 'another-bucket'" in result.stderr
    assert "Pulumi.other.yaml" not in result.stderr
