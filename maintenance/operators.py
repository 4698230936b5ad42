"""The operator policies, declared: two managed policies per stack, attached to no one."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from .operator_policies import Lookups, message_operator_policy, switch_operator_policy
from .settings import Settings


class OperatorPolicies(pulumi.ComponentResource):
    """switch-operator (on, off, status) and message-operator (message), for the account to attach."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        zone_id: str,
        bucket: pulumi.Input[str],
        page_key: str,
        function_arn: pulumi.Input[str],
        store_arn: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("api-maintenance:index:OperatorPolicies", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        lookups = Lookups.of(settings)
        self.switch_document = pulumi.Output.from_input(store_arn).apply(
            lambda store: json.dumps(switch_operator_policy(zone_id, settings.domain, lookups, store)))
        self.message_document = pulumi.Output.all(bucket, function_arn).apply(
            lambda values: json.dumps(message_operator_policy(zone_id, values[0], page_key, values[1], lookups)))
        self.switch = aws.iam.Policy(
            "switch-operator",
            description=f"api-maintenance {settings.stack}: turn maintenance on or off for {settings.domain}",
            policy=self.switch_document,
            opts=child,
        )
        self.message = aws.iam.Policy(
            "message-operator",
            description=f"api-maintenance {settings.stack}: publish the maintenance message for {settings.domain}",
            policy=self.message_document,
            opts=child,
        )
        self.register_outputs({"switchOperatorPolicyArn": self.switch.arn, "messageOperatorPolicyArn": self.message.arn})
