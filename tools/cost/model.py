"""Price the resources of synthesized CloudFormation templates for one month.

``fixed`` is what a resource costs whether or not anything runs (hourly or
monthly prices, and requests made with no workload at all, such as Lambda's
idle long polls of its SQS event sources); ``usage`` is what the workload
profile adds (requests, GB-s, GB). Free tiers that last (not the 12-month ones)
are separate credit lines, so the gross price of each resource stays visible;
they are per account, so they are credited only when the stage's
``workload.free_tiers`` is "account".

Every resource type is either priced here or named in ``FREE_TYPES`` with the
reason it costs nothing by itself; any other type stops the report
(``UnpricedResourceError``) instead of being silently counted as $0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from common import names
from stacks.config import StageConfig
from tools.cost.prices import PriceError, PriceTable
from tools.cost.workload import Use, function_use, runs_per_month

Template = Mapping[str, Any]
SQS_REQUESTS_PER_MESSAGE = 3  # send, receive, delete
S3_STEADY_STATE_MONTHS = 1.0  # raw uploads expire after about a month
FREE_TIER = "free tier"

# Types that cost nothing by themselves (their cost, if any, is counted where named).
FREE_TYPES: Mapping[str, str] = {
    "AWS::CDK::Metadata": "CDK bookkeeping",
    "AWS::SSM::Parameter": "standard-tier parameters (the published ids) are free",
    "AWS::IAM::Role": "IAM is free",
    "AWS::IAM::Policy": "IAM is free",
    "AWS::IAM::ManagedPolicy": "IAM is free",
    "AWS::IAM::InstanceProfile": "IAM is free",
    "AWS::IAM::OIDCProvider": "IAM is free",
    "AWS::EC2::VPC": "no charge for the VPC itself",
    "AWS::EC2::Subnet": "no charge",
    "AWS::EC2::RouteTable": "no charge",
    "AWS::EC2::Route": "no charge",
    "AWS::EC2::SubnetRouteTableAssociation": "no charge",
    "AWS::EC2::InternetGateway": "no charge (data out is billed as transfer)",
    "AWS::EC2::VPCGatewayAttachment": "no charge",
    "AWS::EC2::SecurityGroup": "no charge",
    "AWS::EC2::SecurityGroupIngress": "no charge",
    "AWS::EC2::SecurityGroupEgress": "no charge",
    "AWS::EC2::NetworkAcl": "no charge",
    "AWS::EC2::NetworkAclEntry": "no charge",
    "AWS::EC2::SubnetNetworkAclAssociation": "no charge",
    "AWS::EC2::LaunchTemplate": "no charge; the instances are priced",
    "AWS::EC2::FlowLog": "billed as its log group's ingestion (workload.log_gb_per_month)",
    "AWS::Logs::LogGroup": "a log group's existence is free; its GB are the CloudWatch Logs line",
    "AWS::Lambda::Permission": "no charge",
    "AWS::Lambda::EventInvokeConfig": "a function setting; what it sends is priced with SQS",
    "AWS::SSM::Association": "State Manager and Patch Manager on EC2 have no charge",
    "AWS::Lambda::Version": "no charge",
    "AWS::Lambda::Alias": "no charge",
    "AWS::Lambda::EventSourceMapping": "its SQS polls are priced on the queue",
    "AWS::ApiGatewayV2::Stage": "billed per request on the API",
    "AWS::ApiGatewayV2::Route": "billed per request on the API",
    "AWS::ApiGatewayV2::Integration": "billed per request on the API",
    "AWS::ApiGatewayV2::Authorizer": "JWT authorizers are free",
    "AWS::RDS::DBSubnetGroup": "no charge",
    "AWS::RDS::DBParameterGroup": "no charge",
    "AWS::ElastiCache::SubnetGroup": "no charge",
    "AWS::ElastiCache::ParameterGroup": "no charge",
    "AWS::ElastiCache::User": "no charge (RBAC users, IAM auth)",
    "AWS::ElastiCache::UserGroup": "no charge",
    "AWS::S3::BucketPolicy": "no charge",
    "AWS::SQS::QueuePolicy": "no charge",
    "AWS::SNS::Topic": "no charge; 1,000 emails and Lambda deliveries a month are free",
    "AWS::SNS::Subscription": "no charge",
    "AWS::SNS::TopicPolicy": "no charge",
    "AWS::Scheduler::ScheduleGroup": "no charge; the schedules are priced",
    "AWS::SecretsManager::SecretTargetAttachment": "no charge; the secret is priced",
    "AWS::Budgets::Budget": "budgets without actions are free",
    "AWS::CloudFormation::CustomResource": "runs once per deploy in a Lambda priced on its own",
}


class UnpricedResourceError(PriceError):
    """A template holds resource types the model neither prices nor knows to be free."""


@dataclass(frozen=True)
class LineItem:
    stack: str
    resource: str
    what: str
    fixed: float
    usage: float
    note: str
    # A lasting free tier's credit (negative amounts), not a resource's price.
    credit: bool = False


@dataclass
class CostReport:
    stage: str
    items: list[LineItem] = field(default_factory=list)
    free_tiers: str = "account"

    @property
    def fixed_before_credits(self) -> float:
        return sum(i.fixed for i in self.items if not i.credit)

    @property
    def fixed_credits(self) -> float:
        return sum(i.fixed for i in self.items if i.credit)

    @property
    def fixed(self) -> float:
        """Fixed monthly cost after the free-tier credits the stage may take."""
        return self.fixed_before_credits + self.fixed_credits

    @property
    def usage_before_credits(self) -> float:
        return sum(i.usage for i in self.items if not i.credit)

    @property
    def usage_credits(self) -> float:
        return sum(i.usage for i in self.items if i.credit)

    @property
    def usage(self) -> float:
        return self.usage_before_credits + self.usage_credits

    @property
    def total(self) -> float:
        return self.fixed + self.usage


@dataclass
class _Totals:
    """Account-wide quantities the lasting free tiers apply to."""

    alarms: int = 0
    dashboards: int = 0
    lambda_gb_s: float = 0.0
    lambda_requests: float = 0.0
    sqs_fixed_requests: float = 0.0
    sqs_usage_requests: float = 0.0
    traces: float = 0.0
    schedule_runs: float = 0.0
    log_groups: int = 0


def _props(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    return resource.get("Properties") or {}


def _short(stack: str) -> str:
    return stack.rsplit("-", 1)[-1]


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class _Pricer:
    def __init__(self, cfg: StageConfig, prices: PriceTable) -> None:
        self.cfg = cfg
        self.p = prices
        self.totals = _Totals()
        self.items: list[LineItem] = []
        self.unpriced: list[str] = []

    def add(
        self, stack: str, resource: str, what: str, *, fixed: float = 0.0, usage: float = 0.0, note: str = ""
    ) -> None:
        self.items.append(LineItem(_short(stack), resource, what, round(fixed, 4), round(usage, 4), note))

    def credit(self, what: str, *, fixed: float = 0.0, usage: float = 0.0, note: str = "per account") -> None:
        """A lasting free tier (amounts given positive), when this stage is the one that takes them."""
        if self.cfg.workload.free_tiers == "account" and (fixed or usage):
            self.items.append(LineItem("*", FREE_TIER, what, -round(fixed, 4), -round(usage, 4), note, credit=True))

    # -- per resource type ------------------------------------------------------------
    def rds(self, stack: str, rid: str, props: Mapping[str, Any]) -> None:
        cls = props.get("DBInstanceClass", "")
        engine = str(props.get("Engine", "postgres"))
        azs = 2 if props.get("MultiAZ") is True else 1
        storage = _int(props.get("AllocatedStorage"), 20)
        kind = str(props.get("StorageType", "gp2"))
        instance = self.p.monthly(f"rds.{cls}.{engine}.hour", azs)
        disk = storage * self.p[f"rds.storage.{kind}.gb_month"] * azs
        az_note = ", Multi-AZ" if azs == 2 else ""
        self.add(stack, rid, f"RDS {cls} {engine}{az_note}", fixed=instance)
        self.add(stack, rid, f"RDS storage {kind} {storage} GB", fixed=disk, note="backups free up to the DB size")

    def cache(self, stack: str, rid: str, props: Mapping[str, Any]) -> None:
        node = props.get("CacheNodeType", "")
        engine = str(props.get("Engine", "redis")).lower()
        if "NumNodeGroups" in props:
            nodes = _int(props["NumNodeGroups"], 1) * (_int(props.get("ReplicasPerNodeGroup"), 0) + 1)
        else:
            nodes = _int(props.get("NumCacheClusters"), 1)
        self.add(
            stack,
            rid,
            f"ElastiCache {node} {engine} x{nodes}",
            fixed=self.p.monthly(f"elasticache.{node}.{engine}.hour", nodes),
        )

    def ec2_instance(self, stack: str, rid: str, props: Mapping[str, Any]) -> None:
        itype = props.get("InstanceType", "")
        self.add(
            stack,
            rid,
            f"EC2 {itype} (NAT instance)" if props.get("SourceDestCheck") is False else f"EC2 {itype}",
            fixed=self.p.monthly(f"ec2.{itype}.hour"),
        )
        size = 0
        for mapping in props.get("BlockDeviceMappings") or []:
            size += _int((mapping.get("Ebs") or {}).get("VolumeSize"), 0)
        size = size or int(self.p["ec2.ami_root_volume_gb"])
        self.add(stack, rid, f"EBS gp3 root volume {size} GB", fixed=size * self.p["ebs.gp3.gb_month"])
        public = any(ni.get("AssociatePublicIpAddress") is True for ni in props.get("NetworkInterfaces") or [])
        if public:
            self.add(stack, rid, "public IPv4 address", fixed=self.p.monthly("vpc.public_ipv4.hour"))
        if props.get("SourceDestCheck") is False:
            self.add(
                stack, rid, "NAT instance data", note=f"{self.cfg.workload.nat_gb_per_month:g} GB: no processing charge"
            )

    def nat_gateway(self, stack: str, rid: str, gateways: int) -> None:
        """One of the stack's `gateways` NAT gateways (at least this one), which share the NAT traffic."""
        gb = self.cfg.workload.nat_gb_per_month / gateways
        self.add(
            stack,
            rid,
            "NAT gateway",
            fixed=self.p.monthly("vpc.nat_gateway.hour"),
            usage=gb * self.p["vpc.nat_gateway.gb"],
            note=f"{gb:g} GB processed",
        )

    def function(self, stack: str, rid: str, props: Mapping[str, Any]) -> None:
        env = ((props.get("Environment") or {}).get("Variables")) or {}
        use: Use = function_use(self.cfg, {k: v for k, v in env.items() if isinstance(v, str)})
        arch = (props.get("Architectures") or ["x86_64"])[0]
        memory = _int(props.get("MemorySize"), 128)
        gb_s = use.invocations * use.seconds * memory / 1024
        cost = gb_s * self.p[f"lambda.{arch}.gb_second"] + use.invocations * self.p["lambda.request"]
        self.totals.lambda_gb_s += gb_s
        self.totals.lambda_requests += use.invocations
        if (props.get("TracingConfig") or {}).get("Mode") == "Active":
            self.totals.traces += use.invocations
        self.add(
            stack,
            rid,
            f"Lambda {arch} {memory} MB",
            usage=cost,
            note=f"{use.why}: {use.invocations:,.0f} x {use.seconds:g} s = {gb_s:,.0f} GB-s",
        )

    def queue(self, stack: str, rid: str, props: Mapping[str, Any], polled: bool) -> None:
        name = str(props.get("QueueName", rid))
        dlq = names.task_of_dlq(self.cfg.prefix, name) is not None
        task = name.removeprefix(names.queue_prefix(self.cfg.prefix))
        messages = 0.0 if dlq else self._messages(task)
        # Lambda's pollers long-poll an event-source queue around the clock, work or not.
        idle = self.cfg.workload.sqs_idle_receives_per_queue_month if polled else 0
        requests = messages * SQS_REQUESTS_PER_MESSAGE
        self.totals.sqs_fixed_requests += idle
        self.totals.sqs_usage_requests += requests
        note = f"{messages:,.0f} messages" + (f"; fixed: {idle:,} idle long polls" if idle else "")
        self.add(
            stack,
            rid,
            "SQS queue" + (" (DLQ)" if dlq else ""),
            fixed=idle * self.p["sqs.request"],
            usage=requests * self.p["sqs.request"],
            note=note,
        )

    def _messages(self, task: str) -> float:
        env = {"TASK": task}
        return function_use(self.cfg, env).invocations

    def http_api(self, stack: str, rid: str) -> None:
        calls = self.cfg.workload.api_calls_per_month
        self.add(
            stack,
            rid,
            "HTTP API",
            usage=calls * self.p["apigw.http.request"],
            note=f"{calls:,} calls (no lasting free tier)",
        )

    def bucket(self, stack: str, rid: str, props: Mapping[str, Any]) -> None:
        rules = ((props.get("LifecycleConfiguration") or {}).get("Rules")) or []
        holds_uploads = any(str(r.get("Prefix", "")).startswith("uploads") for r in rules)
        if not holds_uploads:
            self.add(stack, rid, "S3 bucket", note="small: logs/config only")
            return
        w = self.cfg.workload
        gb = w.videos_per_month * w.video_mb_avg / 1024 * S3_STEADY_STATE_MONTHS
        cost = gb * self.p["s3.standard.gb_month"] + w.videos_per_month * (
            self.p["s3.put.request"] + self.p["s3.get.request"]
        )
        self.add(stack, rid, "S3 uploads bucket", usage=cost, note=f"{gb:,.0f} GB kept ~1 month (no lasting free tier)")

    def interface_endpoint(self, stack: str, rid: str, props: Mapping[str, Any]) -> None:
        azs = len(props.get("SubnetIds") or []) or 1
        self.add(
            stack, rid, f"interface VPC endpoint x{azs} AZ", fixed=self.p.monthly("vpc.interface_endpoint.az_hour", azs)
        )

    # -- aggregates -----------------------------------------------------------------
    def aggregates(self) -> None:
        t, p = self.totals, self.p
        if t.alarms:
            self.add("*", "CloudWatch", f"{t.alarms} alarm metrics", fixed=t.alarms * p["cloudwatch.alarm.month"])
            free = min(t.alarms, p["cloudwatch.free.alarms"])
            self.credit(f"{free:g} alarm metrics free", fixed=free * p["cloudwatch.alarm.month"])
        if t.dashboards:
            self.add(
                "*", "CloudWatch", f"{t.dashboards} dashboards", fixed=t.dashboards * p["cloudwatch.dashboard.month"]
            )
            free = min(t.dashboards, p["cloudwatch.free.dashboards"])
            self.credit(f"{free:g} dashboards free", fixed=free * p["cloudwatch.dashboard.month"])
        if t.log_groups:
            w = self.cfg.workload
            stored = w.log_gb_per_month * self.cfg.log_retention_days / 30
            self.add(
                "*",
                "CloudWatch Logs",
                f"{t.log_groups} log groups",
                usage=w.log_gb_per_month * p["logs.ingest.gb"] + stored * p["logs.store.gb_month"],
                note=f"{w.log_gb_per_month:g} GB ingested, {stored:.1f} GB kept",
            )
            free_in = min(w.log_gb_per_month, p["logs.free.gb"])
            free_store = min(stored, p["logs.free.gb"])
            self.credit(
                "5 GB logs ingested + 5 GB kept",
                usage=free_in * p["logs.ingest.gb"] + free_store * p["logs.store.gb_month"],
            )
        if t.lambda_requests:
            gb_s = min(t.lambda_gb_s, p["lambda.free.gb_seconds"])
            req = min(t.lambda_requests, p["lambda.free.requests"])
            # Valued at the arm64 rate: the cheaper rate makes the smaller credit.
            self.credit(
                "Lambda 400k GB-s + 1M requests", usage=gb_s * p["lambda.arm64.gb_second"] + req * p["lambda.request"]
            )
        if t.sqs_fixed_requests or t.sqs_usage_requests:
            # The idle polls come first in the month's count: the credit goes to them first.
            free = p["sqs.free.requests"]
            on_fixed = min(t.sqs_fixed_requests, free)
            on_usage = min(t.sqs_usage_requests, free - on_fixed)
            self.credit("SQS 1M requests", fixed=on_fixed * p["sqs.request"], usage=on_usage * p["sqs.request"])
        if t.traces:
            self.add("*", "X-Ray", "traces", usage=t.traces * p["xray.trace"], note=f"{t.traces:,.0f} traces")
            self.credit("X-Ray 100k traces", usage=min(t.traces, p["xray.free.traces"]) * p["xray.trace"])
        if t.schedule_runs:
            self.add(
                "*",
                "Scheduler",
                "EventBridge Scheduler",
                usage=t.schedule_runs * p["scheduler.invocation"],
                note=f"{t.schedule_runs:,.0f} runs",
            )
            self.credit(
                "Scheduler 14M invocations",
                usage=min(t.schedule_runs, p["scheduler.free.invocations"]) * p["scheduler.invocation"],
            )


def price_templates(templates: Mapping[str, Template], cfg: StageConfig, prices: PriceTable) -> CostReport:
    """A cost report of one stage's templates (stack name -> template JSON)."""
    pricer = _Pricer(cfg, prices)
    for stack, template in sorted(templates.items()):
        resources: Mapping[str, Any] = template.get("Resources") or {}
        polled = {
            _get_att_target(_props(r).get("EventSourceArn"))
            for r in resources.values()
            if r.get("Type") == "AWS::Lambda::EventSourceMapping"
        }
        gateways = sum(1 for r in resources.values() if r.get("Type") == "AWS::EC2::NatGateway")
        for rid, resource in resources.items():
            _price_one(pricer, stack, rid, resource, polled=rid in polled, gateways=gateways)
    if pricer.unpriced:
        raise UnpricedResourceError(
            "unpriced resource types (price them in tools/cost/model.py, or name them in FREE_TYPES "
            "with the reason they cost nothing): " + "; ".join(sorted(pricer.unpriced))
        )
    pricer.aggregates()
    return CostReport(stage=cfg.stage, items=pricer.items, free_tiers=cfg.workload.free_tiers)


def _price_one(
    pricer: _Pricer, stack: str, rid: str, resource: Mapping[str, Any], *, polled: bool, gateways: int
) -> None:
    kind, props, p = resource.get("Type"), _props(resource), pricer.p
    if kind == "AWS::RDS::DBInstance":
        pricer.rds(stack, rid, props)
    elif kind == "AWS::ElastiCache::ReplicationGroup":
        pricer.cache(stack, rid, props)
    elif kind == "AWS::EC2::Instance":
        pricer.ec2_instance(stack, rid, props)
    elif kind == "AWS::EC2::NatGateway":
        pricer.nat_gateway(stack, rid, gateways)
    elif kind == "AWS::EC2::EIP":
        pricer.add(stack, rid, "Elastic IP (public IPv4)", fixed=p.monthly("vpc.public_ipv4.hour"))
    elif kind == "AWS::EC2::Volume":
        pricer.add(
            stack, rid, f"EBS gp3 {props.get('Size')} GB", fixed=_int(props.get("Size"), 0) * p["ebs.gp3.gb_month"]
        )
    elif kind == "AWS::EC2::VPCEndpoint" and props.get("VpcEndpointType") == "Interface":
        pricer.interface_endpoint(stack, rid, props)
    elif kind == "AWS::SecretsManager::Secret":
        pricer.add(stack, rid, "Secrets Manager secret", fixed=p["secretsmanager.secret.month"])
    elif kind == "AWS::KMS::Key":
        pricer.add(stack, rid, "KMS customer-managed key", fixed=p["kms.key.month"])
    elif kind == "AWS::CloudWatch::Alarm":
        metrics = props.get("Metrics")
        pricer.totals.alarms += sum(1 for m in metrics if "MetricStat" in m) if metrics else 1
    elif kind == "AWS::CloudWatch::Dashboard":
        pricer.totals.dashboards += 1
    elif kind == "AWS::Logs::LogGroup":
        pricer.totals.log_groups += 1
    elif kind == "AWS::Lambda::Function":
        pricer.function(stack, rid, props)
    elif kind == "AWS::SQS::Queue":
        pricer.queue(stack, rid, props, polled)
    elif kind == "AWS::ApiGatewayV2::Api" and props.get("ProtocolType") == "HTTP":
        pricer.http_api(stack, rid)
    elif kind == "AWS::S3::Bucket":
        pricer.bucket(stack, rid, props)
    elif kind == "AWS::Scheduler::Schedule":
        expression = props.get("ScheduleExpression")
        if isinstance(expression, str):
            pricer.totals.schedule_runs += runs_per_month(expression)
    elif kind == "AWS::EC2::VPCEndpoint" and props.get("VpcEndpointType", "Gateway") == "Gateway":
        pricer.add(stack, rid, "gateway VPC endpoint", note="free")
    elif kind == "AWS::ApiGatewayV2::Api":
        pricer.unpriced.append(f"{kind} {props.get('ProtocolType')} ({_short(stack)}/{rid})")
    elif not (isinstance(kind, str) and (kind in FREE_TYPES or kind.startswith("Custom::"))):
        # Custom::* resources run once per deploy in a Lambda that is priced on its own.
        pricer.unpriced.append(f"{kind} ({_short(stack)}/{rid})")


def _get_att_target(value: Any) -> str | None:
    if isinstance(value, Mapping) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return target[0] if isinstance(target, list) else str(target).split(".")[0]
    return None
