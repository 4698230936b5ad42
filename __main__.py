"""api-maintenance: point the API's name at a maintenance page, or back at the API."""

import pulumi

from maintenance import lookups
from maintenance.operators import OperatorPolicies
from maintenance.python_version import unsupported_python
from maintenance.settings import load_from_pulumi
from maintenance.site import PAGE_TEMPLATE, MaintenanceSite
from maintenance.switch import DnsSwitch

if problem := unsupported_python():
    raise pulumi.RunError(problem)
settings = load_from_pulumi()

# Every lookup runs before the first resource, so a failed one changes nothing.
certificate_arn = lookups.certificate_arn(settings)
live_target = lookups.live_target(settings)
zone_id = lookups.zone_id(settings)

site = MaintenanceSite(
    "maintenance-site",
    settings,
    page_template=PAGE_TEMPLATE,
    certificate_arn=certificate_arn,
    live_target=live_target,
)
switch = DnsSwitch(
    "api-record",
    settings,
    zone_id=zone_id,
    maintenance_target=site.domain_name,
    live_target=live_target,
    store_arn=site.store.arn if site.store else None,
)
if settings.operator_policies:
    operators = OperatorPolicies(
        "operator-policies",
        settings,
        zone_id=zone_id,
        bucket=site.bucket.bucket,
        page_key=site.page_key,
        function_arn=site.function.arn,
        store_arn=site.store.arn if site.store else None,
    )
    pulumi.export("switchOperatorPolicyArn", operators.switch.arn)
    pulumi.export("messageOperatorPolicyArn", operators.message.arn)
    # The documents themselves, for the window commands to say which policy grants what AWS refused.
    pulumi.export("switchOperatorPolicy", operators.switch_document)
    pulumi.export("messageOperatorPolicy", operators.message_document)

pulumi.export("mode", switch.mode)
if switch.store_key:
    # What the distribution does for a client that still reaches it: `status` reports it.
    pulumi.export("storeMode", switch.store_key.value)
pulumi.export("domain", settings.domain)
pulumi.export("target", switch.target)
pulumi.export("liveTarget", live_target)
pulumi.export("distributionId", site.distribution.id)
pulumi.export("distributionDomain", site.domain_name)
pulumi.export("bucket", site.bucket.bucket)
pulumi.export("checkCommand", f"dig +noall +answer {settings.domain} CNAME")
