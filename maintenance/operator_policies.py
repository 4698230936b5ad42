"""The IAM policies of the people on call: what `on`, `off` and `message` need, and nothing else.

Pure functions from the stack's zone, domain, bucket and function to policy documents; the stack
declares them in operators.py. Each grant names the calls behind it in terraform-provider-aws,
which pulumi-aws wraps and which calls AWS: during a preview, for the lookups; during an up, for
the lookups and the resources that change. The window commands run the Automation API's preview
and up without refresh (cli/pulumi_stack.py), so no unchanged resource is read. The provider checks
its credentials with sts:GetCallerIdentity, which needs no permission (STS API Reference,
GetCallerIdentity: "No permissions are required to perform this operation").
"""

from __future__ import annotations

from dataclasses import dataclass

from .settings import CERTIFICATE_REGION, Settings

VERSION = "2012-10-17"
# Route53 Developer Guide, "Using IAM policy conditions for fine-grained access control": the keys
# that limit ChangeResourceRecordSets to named records, types and actions. Each holds one value per
# change in the batch (multivalued), so ForAllValues checks every change; ForAllValues is also true
# when the key is absent (IAM User Guide, "Single-valued vs. multivalued context keys"), hence the
# Null: false on each.
RECORD_NAMES = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
RECORD_TYPES = "route53:ChangeResourceRecordSetsRecordTypes"
RECORD_ACTIONS = "route53:ChangeResourceRecordSetsActions"
# Same page, "Normalizing the Route 53 condition key values": besides lower-case letters, digits,
# hyphen, underscore and the dot between labels, a character is written as \ and its octal code.
_PLAIN = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def normalized_record_name(name: str) -> str:
    """A record name as Route53 puts it in the request's context and a policy must spell it."""
    return "".join(
        chr(byte) if chr(byte) in _PLAIN else f"\\{byte:03o}"
        for byte in name.lower().rstrip(".").encode("utf-8")
    )


def zone_arn(zone_id: str) -> str:
    return f"arn:aws:route53:::hostedzone/{zone_id}"


@dataclass(frozen=True)
class Lookups:
    """Which of the program's lookups a stack runs (lookups.py): a configured value skips one."""

    certificate: bool
    load_balancer: bool

    @classmethod
    def of(cls, settings: Settings) -> "Lookups":
        return cls(certificate=settings.certificate_arn is None, load_balancer=settings.live_target is None)


def _statement(sid: str, actions: list[str], resources: str | list[str], condition: dict | None = None) -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def lookup_statements(zone_id: str, lookups: Lookups) -> list[dict]:
    """What the program's lookups call in a preview and an up."""
    found = [
        # internal/service/route53/zone_data_source.go, dataSourceZoneRead: with a name and no
        # zone_id it pages through ListHostedZones (no resource-level permission: "*"), then
        # findHostedZoneNameServers calls GetHostedZone and listTags calls ListTagsForResource.
        _statement("FindTheZone", ["route53:ListHostedZones"], "*"),
        _statement("ReadTheZone", ["route53:GetHostedZone", "route53:ListTagsForResource"], zone_arn(zone_id)),
    ]
    if lookups.certificate:
        # internal/service/acm/certificate_data_source.go, dataSourceCertificateRead: ListCertificates
        # (resource "*" only), then DescribeCertificate (findCertificate) for each certificate of the
        # domain, GetCertificate for the ISSUED one it picks and listTags (ListTagsForCertificate).
        # Which certificates it reads is known only then: any in the region CloudFront takes them from.
        found += [
            _statement("FindTheCertificate", ["acm:ListCertificates"], "*"),
            _statement("ReadTheCertificate",
                       ["acm:DescribeCertificate", "acm:GetCertificate", "acm:ListTagsForCertificate"],
                       f"arn:aws:acm:{CERTIFICATE_REGION}:*:certificate/*"),
        ]
    if lookups.load_balancer:
        # internal/service/elbv2/load_balancer_data_source.go, dataSourceLoadBalancerRead:
        # DescribeLoadBalancers (findLoadBalancers), DescribeLoadBalancerAttributes
        # (findLoadBalancerAttributesByARN), and DescribeTags through its @Tags annotation. A classic
        # balancer (lookups.py tries it second) is read by internal/service/elb/load_balancer_data_source.go:
        # DescribeLoadBalancers, DescribeLoadBalancerAttributes, DescribeTags (listTags), and, for a
        # balancer in a VPC, ec2:DescribeSecurityGroups (FindSecurityGroupByNameAndVPCIDAndOwnerID).
        # None of these takes a resource-level permission (Service Authorization Reference): "*".
        found.append(_statement(
            "FindTheLoadBalancer",
            ["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
             "elasticloadbalancing:DescribeTags", "ec2:DescribeSecurityGroups"],
            "*",
        ))
    return found


def switch_operator_policy(zone_id: str, domain: str, lookups: Lookups, store_arn: str | None = None) -> dict:
    """`on`, `off` and `status`: the lookups, an UPSERT of the domain's CNAME in this zone only, and with
    a live origin, a write of this stack's store's keys."""
    store = [
        # internal/service/cloudfrontkeyvaluestore/key.go: keyResource.Update, when the value changed,
        # reads the store's ETag (findETagByARN: DescribeKeyValueStore) and sends PutKey with it as
        # IfMatch; no Read follows in an up without refresh. Both are actions of the service prefix
        # cloudfront-keyvaluestore on the store's ARN (Service Authorization Reference).
        _statement("SetTheStoreMode", ["cloudfront-keyvaluestore:DescribeKeyValueStore", "cloudfront-keyvaluestore:PutKey"],
                   store_arn),
    ] if store_arn else []
    return {"Version": VERSION, "Statement": lookup_statements(zone_id, lookups) + store + [
        # internal/service/route53/record.go: resourceRecordUpdate, with neither the type nor the
        # set identifier changed, falls through to resourceRecordCreate, which sends UPSERT when
        # allow_overwrite is set or the record is not new (else CREATE), after GetHostedZone
        # (findHostedZoneByID); then waitChangeInsync polls GetChange and resourceRecordRead calls
        # GetHostedZone and ListResourceRecordSets (findResourceRecordSetByFourPartKey).
        _statement("ChangeOnlyTheApiRecord", ["route53:ChangeResourceRecordSets"], zone_arn(zone_id), {
            "ForAllValues:StringEquals": {
                RECORD_NAMES: [normalized_record_name(domain)],
                RECORD_TYPES: ["CNAME"],
                RECORD_ACTIONS: ["UPSERT"],
            },
            "Null": {RECORD_NAMES: "false", RECORD_TYPES: "false", RECORD_ACTIONS: "false"},
        }),
        _statement("ReadTheRecord", ["route53:ListResourceRecordSets"], zone_arn(zone_id)),
        _statement("WaitForTheChange", ["route53:GetChange"], "arn:aws:route53:::change/*"),
    ]}


def message_operator_policy(zone_id: str, bucket: str, page_key: str, function_arn: str, lookups: Lookups) -> dict:
    """`message`: the lookups, the page object and this stack's function; no record change."""
    return {"Version": VERSION, "Statement": lookup_statements(zone_id, lookups) + [
        # internal/service/s3/object.go (aws_s3_object, which BucketObjectv2 is): resourceObjectUpdate
        # uploads changed content with PutObject (resourceObjectUpload, one part for a page this size),
        # then resourceObjectRead calls HeadObject (findObjectByBucketAndKey; "to use HEAD, you must
        # have the s3:GetObject permission", S3 API Reference, HeadObject) and, through its @Tags
        # annotation, GetObjectTagging.
        _statement("ReplaceThePage", ["s3:PutObject", "s3:GetObject", "s3:GetObjectTagging"],
                   f"arn:aws:s3:::{bucket}/{page_key}"),
        # internal/service/cloudfront/function.go: resourceFunctionUpdate calls UpdateFunction and,
        # with publish, PublishFunction; resourceFunctionRead calls DescribeFunction (DEVELOPMENT and
        # LIVE stages) and GetFunction. The ARN is the resource's own, so the other stack's is not reached.
        _statement("RepublishTheFunction",
                   ["cloudfront:UpdateFunction", "cloudfront:PublishFunction", "cloudfront:DescribeFunction",
                    "cloudfront:GetFunction"],
                   function_arn),
    ]}
