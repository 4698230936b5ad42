"""`python -m maintenance import-file STACK`: the `pulumi import --file` document for a stack.

The console-built bucket and distribution must be imported before the first `pulumi up`, under
the types, names and parent component that the program declares (tests/test_import_file.py checks
each entry against the resources the program registers). The file format is Pulumi's: a
`resources` list whose entries have `type`, `name`, `id` and `parent` (the `name` of another
entry), and `component: true` entries that Pulumi 3.94+ creates as empty parents
(Pulumi CLI docs, `pulumi import`; pulumi/pulumi v3.94.0 release notes, #14467 and #14524).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Optional, TextIO

from ..settings import PROJECT, SWITCH_KEYS, SettingsError, bucket_name, load_from_stack_file, read_stack_config
from .answers import EXIT_USAGE
from .options import add_cwd_argument, add_stack_argument

SITE_COMPONENT = {"type": f"{PROJECT}:index:MaintenanceSite", "name": "maintenance-site", "component": True}
BUCKET = {"type": "aws:s3/bucket:Bucket", "name": "bucket"}
DISTRIBUTION = {"type": "aws:cloudfront/distribution:Distribution", "name": "distribution"}
EXIT_CODES = """\
exit codes:
  0    the import file is printed on standard output
  2    usage or config error (bad distribution id, unknown stack, a bucket the stack does not name)
  141  the output's reader went away (| head)
"""
_DISTRIBUTION_ID = re.compile(r"^E[A-Z0-9]{5,20}$")


def import_document(distribution_id: str, bucket: Optional[str]) -> dict:
    """The import file for the distribution and, when it is adopted too, the bucket."""
    parent = SITE_COMPONENT["name"]
    resources = [dict(SITE_COMPONENT)]
    if bucket:
        resources.append({**BUCKET, "id": bucket, "parent": parent})
    resources.append({**DISTRIBUTION, "id": distribution_id, "parent": parent})
    return {"resources": resources}


def plan_import(stack: str, cwd: Path, distribution_id: str, bucket: Optional[str]) -> tuple[dict, list[str]]:
    """The document and notes for the operator; raises SettingsError on bad input."""
    if not _DISTRIBUTION_ID.match(distribution_id):
        raise SettingsError([
            f"--distribution-id {distribution_id!r} is not a CloudFront distribution id such as E2QWRUHAPOMQZL "
            "(CloudFront console: the ID column of the distribution that has the alias)"
        ])
    if bucket:
        _check_bucket(bucket)
    # A secret bucketName would otherwise be left out, and the bucket taken for auto-named.
    settings = load_from_stack_file(cwd, stack, needs=SWITCH_KEYS + ("bucketName",))
    notes = []
    if bucket and bucket != settings.bucket_name:
        owners = _stacks_naming_bucket(cwd, bucket)
        fix = (
            f"stack {owners[0]} already names it, and two stacks must not share one bucket (each would "
            f"overwrite the other's policy): give this stack its own, or none"
            if owners else f"pulumi config set bucketName {bucket} -s {stack}, then run this again"
        )
        raise SettingsError([
            f"the stack {stack} does not name the bucket {bucket!r} (bucketName is "
            f"{settings.bucket_name or 'unset, so Pulumi creates a new bucket'}): an import under another name would "
            f"be replaced. Fix: {fix}"
        ])
    bucket = bucket or settings.bucket_name
    if bucket is None:
        notes.append(f"stack {stack} sets no bucketName: Pulumi creates a new bucket, so only the distribution is imported")
    return import_document(distribution_id, bucket), notes


def _check_bucket(bucket: str) -> None:
    """Refuses a --bucket that bucketName would refuse, so that no fix suggests it."""
    try:
        bucket_name(bucket)
    except ValueError as error:
        try:
            hint = f"did you mean --bucket {bucket_name(bucket.lower())}? (bucket names are lower case)"
        except ValueError:
            hint = "give the bucket's name as the S3 console shows it"
        raise SettingsError([f"--bucket {bucket!r} is not a bucket name: it {error}. Fix: {hint}"]) from None


def _stacks_naming_bucket(cwd: Path, bucket: str) -> list[str]:
    """The stacks whose stack file in cwd sets bucketName to bucket.

    Only a hint to the fix: another stack's file that cannot be read is passed over, so that its
    problem never stands in for this stack's.
    """
    key = f"{PROJECT}:bucketName"
    return [path.name[len("Pulumi."):-len(".yaml")] for path in sorted(cwd.glob("Pulumi.*.yaml"))
            if _config_if_readable(path).get(key) == bucket]


def _config_if_readable(path: Path) -> dict[str, object]:
    try:
        return read_stack_config(path)
    except SettingsError:
        return {}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack_argument(parser)
    parser.add_argument("--distribution-id", required=True, metavar="ID",
                        help="id of the console-built distribution that has the stack's domain as alias")
    parser.add_argument("--bucket", metavar="NAME", help="bucket to adopt (default: the stack's bucketName)")
    add_cwd_argument(parser)


def run(args: argparse.Namespace, out: Optional[TextIO] = None, err: Optional[TextIO] = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        document, notes = plan_import(args.stack, Path(args.cwd), args.distribution_id, args.bucket)
    except SettingsError as error:
        print(f"error: {error}", file=err)
        return EXIT_USAGE
    for note in notes:
        print(f"note: {note}", file=err)
    print(json.dumps(document, indent=2), file=out)
    return 0
