"""Runs the real __main__.py on Pulumi's mock runtime with an AWS that answers like AWS.

Every resource registration and every invoke is recorded, with the resource options the
engine would receive (protect, retainOnDelete, parent, dependencies), and the stack's
exported outputs.

Like AWS, the mock account is regional: the stack's `aws:region` is where its buckets and
load balancers are, and ACM certificates that CloudFront can use exist only in us-east-1
("To use an ACM certificate with Amazon CloudFront, you must request or import the
certificate in the US East (N. Virginia) region": ACM User Guide, "Supported Regions",
https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html).
"""

from __future__ import annotations

import hashlib
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from maintenance.settings import read_stack_config

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROGRAM = PROJECT_DIR / "__main__.py"
STACKS = ("production", "integration")
# AWS's documentation account id: never a real one.
ACCOUNT = "111122223333"
REGION = "us-east-1"
CERTIFICATE_REGION = "us-east-1"


def _token(*parts: str, length: int = 10) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


@dataclass
class FakeAccount:
    """What exists in the mock AWS account: certificates, balancers, zones."""

    certificates: dict[str, str] = field(default_factory=dict)  # domain -> arn (us-east-1, ISSUED)
    application_balancers: set[str] = field(default_factory=set)
    classic_balancers: set[str] = field(default_factory=set)
    zones: set[str] = field(default_factory=set)
    balancer_region: str = REGION

    @classmethod
    def with_everything(cls) -> "FakeAccount":
        domains = ("api.theboss.io", "api.integration.theboss.io")
        return cls(
            certificates={d: f"arn:aws:acm:{CERTIFICATE_REGION}:{ACCOUNT}:certificate/{_uuid(d)}" for d in domains},
            application_balancers={"elb-production-boss", "elb-integration-boss"},
            zones={"theboss.io"},
        )


def _uuid(seed: str) -> str:
    h = _token(seed, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def hosted_zone_id(zone: str) -> str:
    return "Z" + _token(zone, length=20).upper()


def balancer_dns_name(name: str, region: str = REGION) -> str:
    return f"{name}-{int(_token(name), 16) % 10**10}.{region}.elb.amazonaws.com"


def not_found(reason: str):
    # The engine hands the SDK a provider's "not found" as an invoke failure, not an exception.
    return {}, [("", reason)]


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, account: FakeAccount, region: str = REGION):
        self.account = account
        self.region = region  # the AWS provider's region: the stack's aws:region
        self.resources: dict[str, dict] = {}  # resource name -> {"type", "inputs", "outputs"}
        self.invokes: list[tuple[str, dict]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        inputs = dict(args.inputs)
        resource_id, computed = self._computed(args.typ, args.name, inputs)
        outputs = {**inputs, **computed}
        assert args.name not in self.resources, f"two resources named {args.name}"
        self.resources[args.name] = {"type": args.typ, "id": resource_id, "inputs": inputs, "outputs": outputs}
        return resource_id, outputs

    @staticmethod
    def _auto_name(name: str) -> str:
        # The engine's suffix is random, so two stacks never share an auto-name; the mock's depends
        # on the stack, so that a test can tell this stack's function or bucket from the other's.
        return f"{name}-{_token(pulumi.get_stack(), name, length=7)}"

    def _computed(self, typ: str, name: str, inputs: dict) -> tuple[str, dict]:
        if typ == "aws:s3/bucket:Bucket":
            bucket = inputs.get("bucket") or self._auto_name(name)
            return bucket, {
                "bucket": bucket,
                "arn": f"arn:aws:s3:::{bucket}",
                "bucketRegionalDomainName": f"{bucket}.s3.{self.region}.amazonaws.com",
                "region": self.region,
            }
        if typ == "aws:cloudfront/distribution:Distribution":
            distribution_id = "E" + _token(name, *inputs.get("aliases", []), length=13).upper()
            return distribution_id, {
                "arn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/{distribution_id}",
                "domainName": f"d{_token(distribution_id, length=13)}.cloudfront.net",
                "hostedZoneId": "Z2FDTNDATAQYW2",
                "status": "Deployed",
                "etag": _token("etag", distribution_id).upper(),
            }
        if typ == "aws:cloudfront/function:Function":
            function_name = inputs.get("name") or self._auto_name(name)
            return function_name, {
                "name": function_name,
                "arn": f"arn:aws:cloudfront::{ACCOUNT}:function/{function_name}",
                "etag": _token("etag", inputs.get("code", "")).upper(),
                "liveStageEtag": _token("etag", inputs.get("code", "")).upper(),
                "status": "UNASSOCIATED",
            }
        if typ == "aws:cloudfront/originAccessControl:OriginAccessControl":
            # Auto-named like the function: the logical name, a hyphen and 7 random hex characters.
            return "E" + _token(name, length=13).upper(), {
                "name": inputs.get("name") or self._auto_name(name), "etag": "ETAG1"}
        if typ == "aws:iam/policy:Policy":
            # Auto-named like the function; IAM's ARN for a managed policy has no region (IAM User
            # Guide, "IAM identifiers", IAM ARNs: arn:aws:iam::account:policy/policy-name).
            policy_name = inputs.get("name") or self._auto_name(name)
            return f"arn:aws:iam::{ACCOUNT}:policy/{policy_name}", {
                "name": policy_name, "arn": f"arn:aws:iam::{ACCOUNT}:policy/{policy_name}",
                "policyId": "ANPA" + _token(policy_name, length=17).upper()}
        if typ == "aws:cloudfront/keyValueStore:KeyValueStore":
            # A store's ARN ends in an id CloudFront makes (API Reference, KeyValueStore, ARN).
            store_name = inputs.get("name") or self._auto_name(name)
            return store_name, {"name": store_name, "etag": "ETAG1", "status": "READY",
                                "arn": f"arn:aws:cloudfront::{ACCOUNT}:key-value-store/{_uuid(store_name)}"}
        if typ == "aws:cloudfront/cachePolicy:CachePolicy":
            return _uuid(self._auto_name(name)), {"name": inputs.get("name") or self._auto_name(name), "etag": "ETAG1"}
        if typ == "aws:cloudfront/keyvaluestoreKey:KeyvaluestoreKey":
            # The provider's id for a key: the store's ARN and the key, comma-separated (its import format).
            return f"{inputs['keyValueStoreArn']},{inputs['key']}", {
                "totalSizeInBytes": len(inputs["key"].encode()) + len(inputs["value"].encode())}
        if typ == "aws:route53/record:Record":
            return f"{inputs['zoneId']}_{inputs['name']}_{inputs['type']}", {"fqdn": inputs["name"]}
        return f"{name}-id", {}

    def call(self, args: pulumi.runtime.MockCallArgs):
        request = dict(args.args)
        self.invokes.append((args.token, request))
        account = self.account
        # A lookup without `region` runs in the provider's region.
        region = request.get("region") or self.region
        if args.token == "aws:acm/getCertificate:getCertificate":
            arn = account.certificates.get(request.get("domain"))
            if arn is None or region != CERTIFICATE_REGION:
                return not_found(f"no ACM Certificate matching domain ({request.get('domain')})")
            return {"arn": arn, "domain": request["domain"], "id": arn, "status": "ISSUED", "region": region}
        if args.token in ("aws:lb/getLoadBalancer:getLoadBalancer", "aws:elb/getLoadBalancer:getLoadBalancer"):
            name = request.get("name")
            known = (
                account.application_balancers
                if args.token.startswith("aws:lb/")
                else account.classic_balancers
            )
            if name not in known or region != account.balancer_region:
                return not_found(f"reading Load Balancer ({name}): couldn't find resource")
            return {"name": name, "dnsName": balancer_dns_name(name, region), "zoneId": "Z35SXDOTRQ7X7K",
                    "region": region}
        if args.token == "aws:route53/getZone:getZone":
            zone = request.get("name")
            if zone not in account.zones or request.get("privateZone"):
                return not_found(f"no matching Route 53 Hosted Zone found ({zone})")
            zone_id = hosted_zone_id(zone)
            return {"id": zone_id, "zoneId": zone_id, "name": zone, "privateZone": False,
                    "nameServers": ["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"]}
        raise AssertionError(f"unexpected invoke {args.token}")


def _name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[1]


class RecordingMonitor(MockMonitor):
    """Keeps the resource options, dependencies and stack outputs that MockMonitor passes over."""

    def __init__(self, mocks: RecordingMocks):
        super().__init__(mocks)
        self.options: dict[str, dict] = {}
        self.stack_outputs: dict = {}

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        self.options[request.name] = {
            "protect": request.protect,
            "retainOnDelete": request.retainOnDelete,
            "parent": request.parent,
            "type": request.type,
            "custom": request.custom,
            # What the engine waits for before creating this resource (explicit dependsOn and inputs' resources),
            # and per input property, the resources its value came from; as resource names.
            "dependencies": sorted({_name_of(urn) for urn in request.dependencies}),
            "propertyDependencies": {
                key: sorted({_name_of(urn) for urn in value.urns}) for key, value in request.propertyDependencies.items()
            },
        }
        return response

    def RegisterResourceOutputs(self, request):
        if "::pulumi:pulumi:Stack::" in request.urn:
            self.stack_outputs = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)


@dataclass
class Run:
    resources: dict[str, dict]
    invokes: list[tuple[str, dict]]
    options: dict[str, dict]
    outputs: dict

    def of_type(self, typ: str) -> list[dict]:
        return [r for r in self.resources.values() if r["type"] == typ]

    def one(self, typ: str) -> dict:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, found {len(found)}"
        return found[0]


def stack_config(stack: str) -> dict[str, str]:
    """The shipped stack's config as the engine hands it to the program (no secrets in shipped files)."""
    config = read_stack_config(PROJECT_DIR / f"Pulumi.{stack}.yaml")
    assert all(isinstance(value, str) for value in config.values()), "a secret needs the engine to decrypt it"
    return config


class MockProgram:
    """One run of __main__.py for a shipped stack, config keys overridden (None removes a key)."""

    def __init__(self, stack: str = "production", account: FakeAccount | None = None, region: str | None = None,
                 **overrides: str | None):
        self.stack = stack
        self.config = stack_config(stack)
        if region is not None:
            self.config["aws:region"] = region
        for key, value in overrides.items():
            full_key = f"api-maintenance:{key}"
            if value is None:
                self.config.pop(full_key, None)
            else:
                self.config[full_key] = value
        self._start(account)

    @classmethod
    def for_config(cls, stack: str, config: dict[str, str], account: FakeAccount | None = None) -> "MockProgram":
        """A run with a given config, e.g. a test's own stack file (the stand-in `pulumi` runs these)."""
        program = cls.__new__(cls)
        program.stack = stack
        program.config = dict(config)
        program._start(account)
        return program

    def _start(self, account: FakeAccount | None) -> None:
        # Keys to pass as secrets, as the Automation API passes an inline program's (set_all_config).
        self.secret_keys: list[str] = []
        self.mocks = RecordingMocks(account or FakeAccount.with_everything(), self.config.get("aws:region", REGION))
        self.monitor = RecordingMonitor(self.mocks)

    def run(self, program: Callable[[], object] | None = None) -> Run:
        """Runs __main__.py, or `program` (a part of it) with the same config and mocks."""
        pulumi.runtime.set_mocks(
            self.mocks, project="api-maintenance", stack=self.stack, preview=False, monitor=self.monitor
        )
        pulumi.runtime.set_all_config(self.config, self.secret_keys)
        # set_mocks made a root stack of its own; the program runs in a new one, as under `pulumi up`.
        pulumi.runtime.settings.ROOT.set(None)
        _sync_await(run_in_stack(program or (lambda: runpy.run_path(str(PROGRAM), run_name="__main__"))))
        return self.result

    @property
    def result(self) -> Run:
        return Run(self.mocks.resources, self.mocks.invokes, self.monitor.options, self.monitor.stack_outputs)


def run_program(stack: str = "production", account: FakeAccount | None = None, region: str | None = None,
                **overrides: str | None) -> Run:
    return MockProgram(stack, account, region, **overrides).run()
