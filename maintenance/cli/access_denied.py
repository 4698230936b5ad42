"""One line for an operator whom AWS refused: the action, the resource, and which policy grants it.

AWS words a refusal as "User: ARN is not authorized to perform: ACTION on resource: ARN because no
identity-based policy allows the ACTION action" (or "... with an explicit deny in ..."); S3 quotes
the resource, and an action that takes no resource-level permission comes without "on resource"
(as in ListHostedZones, ListCertificates, DescribeLoadBalancers). The provider passes the message
through (operation error ..., api error AccessDenied: ...). A refused HEAD (the page object's read)
is a bare 403 with no message at all (S3 API Reference, HeadObject), so it is not recognised here.
"""

from __future__ import annotations

import json
import re
from typing import Mapping, Optional

from ..iam_policy import ALLOW, CONDITIONAL, grant

# The stack outputs that hold each policy's document (__main__.py), by the policy's Pulumi name.
POLICY_OUTPUTS = {"switch-operator": "switchOperatorPolicy", "message-operator": "messageOperatorPolicy"}
_REFUSAL = re.compile(
    r"is not authorized to perform:\s*(?P<action>[A-Za-z0-9-]+:[A-Za-z0-9]+)"
    r"(?:\s+on resource:\s*\"?(?P<resource>arn:[^\s\"]+)\"?)?"
)


def policies_from_outputs(outputs: Mapping[str, object]) -> dict[str, dict]:
    """The operator policies a stack exports, by name; none when operatorPolicies is false."""
    return {name: json.loads(outputs[key]) for name, key in POLICY_OUTPUTS.items() if isinstance(outputs.get(key), str)}


def explain(pulumi_error_text: str, policies: Mapping[str, dict]) -> Optional[str]:
    """The first refusal in the text, said in one line; None when the text holds none."""
    match = _REFUSAL.search(pulumi_error_text)
    if match is None:
        return None
    action, resource = match["action"], (match["resource"] or "*").rstrip(".,;")
    refused = f"AWS refused {action} on {resource}"
    denied_explicitly = "explicit deny" in pulumi_error_text[match.start():]
    if not policies:
        return f"{refused}: this stack declares no operator policies (operatorPolicies is false)."
    verdicts = {name: grant(policy, action, resource) for name, policy in policies.items()}
    granting = [name for name, (verdict, _) in verdicts.items() if verdict == ALLOW]
    if granting:
        who = f"{granting[0]} grants" if len(granting) == 1 else f"both {' and '.join(granting)} grant"
        if denied_explicitly:
            return f"{refused}: {who} it, but an explicit Deny elsewhere (another policy, an SCP) overrides any Allow."
        return f"{refused}: {who} it; are the credentials in use the ones it is attached to?"
    conditional = [(name, sids) for name, (verdict, sids) in verdicts.items() if verdict == CONDITIONAL]
    if conditional:
        name, sids = conditional[0]
        return (f"{refused}: {name} grants it only within the conditions of its statement {', '.join(sids)}, "
                "and this request is outside them.")
    return f"{refused}: neither {' nor '.join(policies)} grants it."
