"""Deploy-time lookups: the certificate, the live load balancer and the hosted zone.

Each runs before any resource is declared, so a lookup that finds nothing stops the
program with a message that says what was looked for and where, and changes nothing.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .settings import CERTIFICATE_REGION, PROJECT, Settings

# The key types CloudFront serves (RSA_1024 left out as too weak); the lookup's own default is RSA_2048 only.
CLOUDFRONT_KEY_TYPES = ["RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1"]


def _not_found(what: str, key: str, settings: Settings, cause: Exception) -> pulumi.RunError:
    return pulumi.RunError(
        f"{what}.\nCheck {PROJECT}:{key} (pulumi config get {key} -s {settings.stack}) "
        f"and the AWS account and credentials in use.\nAWS said: {cause}"
    )


def certificate_arn(settings: Settings) -> str:
    """The configured certificate, or the newest ISSUED one for the domain in us-east-1."""
    if settings.certificate_arn:
        return settings.certificate_arn
    try:
        found = aws.acm.get_certificate(
            domain=settings.domain,
            statuses=["ISSUED"],
            key_types=CLOUDFRONT_KEY_TYPES,
            most_recent=True,
            region=CERTIFICATE_REGION,
        )
    except Exception as error:  # the provider reports "not found" as a failed invoke
        raise _not_found(
            f"found no ISSUED ACM certificate for {settings.domain} in {CERTIFICATE_REGION} "
            "(CloudFront only takes certificates from there); for a wildcard or other certificate, "
            f"pulumi config set certificateArn ARN -s {settings.stack}",
            "certificateArn",
            settings,
            error,
        ) from None
    return found.arn


def live_target(settings: Settings) -> str:
    """The live endpoint's DNS name: configured, or read from the load balancer now."""
    if settings.live_target:
        return settings.live_target
    name = settings.live_load_balancer
    errors = []
    # Application and network balancers (elbv2) first, then classic ELB.
    for lookup in (aws.lb.get_load_balancer, aws.elb.get_load_balancer):
        try:
            return lookup(name=name, region=settings.region).dns_name.lower().rstrip(".")
        except Exception as error:
            errors.append(error)
    raise _not_found(
        f"found no load balancer named {name!r} (application, network or classic) "
        f"in region {settings.region or 'of the AWS provider'}",
        "liveLoadBalancer",
        settings,
        errors[-1],
    ) from None


def zone_id(settings: Settings) -> str:
    """The id of the public hosted zone that holds the domain."""
    try:
        return aws.route53.get_zone(name=settings.zone, private_zone=False).zone_id
    except Exception as error:
        raise _not_found(
            f"found no public Route53 hosted zone named {settings.zone}", "zone", settings, error
        ) from None
