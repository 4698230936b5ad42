"""The switch: the API's one CNAME, pointing at the live endpoint or at the maintenance site."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .settings import Settings


class DnsSwitch(pulumi.ComponentResource):
    """The only resource that reads the maintenance flag is the record built here."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        zone_id: str,
        maintenance_target: pulumi.Input[str],
        live_target: str,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("api-maintenance:index:DnsSwitch", name, None, opts)
        self.mode = settings.mode
        self.target = pulumi.Output.from_input(maintenance_target if settings.maintenance else live_target)
        self.record = aws.route53.Record(
            "record",
            zone_id=zone_id,
            name=settings.domain,
            type="CNAME",
            ttl=settings.ttl,
            records=[self.target],
            # Take over the record the console made; never delete the API's name on destroy.
            allow_overwrite=True,
            opts=pulumi.ResourceOptions(parent=self, protect=settings.protect, retain_on_delete=True),
        )
        self.register_outputs({"mode": self.mode, "target": self.target})
