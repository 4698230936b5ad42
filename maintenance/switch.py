"""The switch: the API's one CNAME, pointing at the live endpoint or at the maintenance site."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .edge import STORE_MODE_KEY, STORE_MODES
from .settings import Settings


class DnsSwitch(pulumi.ComponentResource):
    """The only resources that read the maintenance flag are built here: the record, and with a
    live origin the store's `mode` key, which the distribution's function reads."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        zone_id: str,
        maintenance_target: pulumi.Input[str],
        live_target: str,
        store_arn: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("api-maintenance:index:DnsSwitch", name, None, opts)
        self.mode = settings.mode
        self.target = pulumi.Output.from_input(maintenance_target if settings.maintenance else live_target)
        # The key is written before the record moves (depends_on): on `off` the distribution passes
        # everything to the live API before DNS points back, so a client that still resolves to the
        # distribution, or holds a connection to it, reaches the API; on `on` it answers maintenance
        # before DNS sends anyone to it.
        self.store_key = (
            aws.cloudfront.KeyvaluestoreKey(
                "store-mode",
                key_value_store_arn=store_arn,
                key=STORE_MODE_KEY,
                value=STORE_MODES[settings.mode],
                opts=pulumi.ResourceOptions(parent=self),
            )
            if store_arn is not None else None
        )
        after_key = {"depends_on": [self.store_key]} if self.store_key else {}
        self.record = aws.route53.Record(
            "record",
            zone_id=zone_id,
            name=settings.domain,
            type="CNAME",
            ttl=settings.ttl,
            records=[self.target],
            # Take over the record the console made; never delete the API's name on destroy.
            allow_overwrite=True,
            opts=pulumi.ResourceOptions(parent=self, protect=settings.protect, retain_on_delete=True, **after_key),
        )
        self.register_outputs({"mode": self.mode, "target": self.target})
