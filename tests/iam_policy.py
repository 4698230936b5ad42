"""The tests' view of IAM: the program's evaluator (maintenance/iam_policy.py), and what Route53
puts in a ChangeResourceRecordSets request's context, which only the tests need to model."""

from __future__ import annotations

from maintenance.iam_policy import ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, Request, decide  # noqa: F401
from maintenance.operator_policies import normalized_record_name

# Route53 Developer Guide, "Using IAM policy conditions for fine-grained access control": the three
# multivalued keys of a ChangeResourceRecordSets request, one value per change in its batch.
NAMES = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
TYPES = "route53:ChangeResourceRecordSetsRecordTypes"
ACTIONS = "route53:ChangeResourceRecordSetsActions"


def change_batch_context(change_batch: dict) -> dict[str, list[str]]:
    """The context keys of a ChangeBatch as the API takes it ({"Changes": [{"Action", "ResourceRecordSet":
    {"Name", "Type", ...}}]}): names normalized as that page says Route53 does (lower case, no trailing
    dot, other characters as \\ooo), types and actions in upper case as the API spells them."""
    changes = change_batch["Changes"]
    return {
        NAMES: [normalized_record_name(change["ResourceRecordSet"]["Name"]) for change in changes],
        TYPES: [change["ResourceRecordSet"]["Type"] for change in changes],
        ACTIONS: [change["Action"] for change in changes],
    }
