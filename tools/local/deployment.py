"""What the synthesized templates deploy, resolved for one machine.

Queues (with their redrive policies), the uploads bucket and its queue
notification, the SNS topics, every Lambda function (handler, timeout,
environment), the SQS event source mappings, the schedules and the HTTP API
(routes, JWT authorizer, CORS, throttling) are read from the templates, and
CloudFormation's intrinsic functions are resolved against the local account,
so nothing here can drift from what `cdk deploy` creates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "123456789012"  # moto's default account
URL_SUFFIX = "amazonaws.com"


@dataclass(frozen=True)
class Queue:
    name: str
    attributes: dict[str, str]  # CreateQueue attributes, RedrivePolicy included
    dlq_name: str | None = None
    max_receive_count: int | None = None

    @property
    def visibility_timeout_s(self) -> int:
        return int(self.attributes.get("VisibilityTimeout", "30"))


@dataclass(frozen=True)
class EventSource:
    queue: str
    batch_size: int
    batching_window_s: float
    max_concurrency: int
    partial_batch_responses: bool


@dataclass(frozen=True)
class Function:
    logical_id: str
    stack: str
    handler: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]
    event_sources: list[EventSource] = field(default_factory=list)
    name: str | None = None

    @property
    def label(self) -> str:
        return self.environment.get("TASK") or self.environment.get("POWERTOOLS_SERVICE_NAME") or self.logical_id


@dataclass(frozen=True)
class Schedule:
    name: str
    expression: str
    queue: str
    input: str  # the target input, with Scheduler's <aws.scheduler.*> placeholders
    enabled: bool


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # "/v1/jobs/{jobId}"
    jwt: bool
    # AuthorizationScopes: the token's scope claim needs one of them, else 403.
    scopes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class HttpApi:
    routes: list[Route]
    issuer: str
    audience: list[str]
    cors: dict[str, Any]
    throttle_rate: float
    throttle_burst: int
    function: str  # logical id of the integration's function


@dataclass(frozen=True)
class Deployment:
    region: str
    queues: dict[str, Queue]
    bucket: str
    bucket_cors: list[dict[str, Any]]
    notifications: list[dict[str, Any]]  # S3 QueueConfigurations, queue ARNs resolved
    topics: list[str]
    functions: dict[str, Function]
    schedules: list[Schedule]
    api: HttpApi

    def queue_arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.region}:{ACCOUNT}:{name}"

    def function(self, handler: str, task: str | None = None) -> Function:
        for fn in self.functions.values():
            if fn.handler == handler and (task is None or fn.environment.get("TASK") == task):
                return fn
        raise KeyError(f"no function with handler {handler} (task {task})")


class _Resolver:
    """CloudFormation intrinsics over every stack: Ref, GetAtt, Join, ImportValue, Sub-free templates."""

    def __init__(self, templates: dict[str, dict[str, Any]], region: str) -> None:
        self.templates = templates
        self.region = region
        self.exports = {
            out["Export"]["Name"]: (stack, out["Value"])
            for stack, tpl in templates.items()
            for out in tpl.get("Outputs", {}).values()
            if "Export" in out
        }

    def resolve(self, stack: str, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(stack, v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self.resolve(stack, v) for k, v in value.items()}
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return self._ref(stack, arg)
        if fn == "Fn::GetAtt":
            return self._get_att(stack, *arg)
        if fn == "Fn::Join":
            sep, parts = arg
            return sep.join(str(self.resolve(stack, p)) for p in parts)
        if fn == "Fn::ImportValue":
            other, exported = self.exports[self.resolve(stack, arg)]
            return self.resolve(other, exported)
        if fn == "Fn::Select":
            index, items = arg
            return self.resolve(stack, items)[int(index)]
        if fn == "Fn::Split":
            sep, text = arg
            return str(self.resolve(stack, text)).split(sep)
        return {k: self.resolve(stack, v) for k, v in value.items()}

    def _resource(self, stack: str, logical_id: str) -> dict[str, Any]:
        return self.templates[stack]["Resources"][logical_id]

    def _ref(self, stack: str, name: str) -> str:
        pseudo = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": self.region,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::Partition": "aws",
            "AWS::StackName": stack,
        }
        if name in pseudo:
            return pseudo[name]
        resource = self._resource(stack, name)
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.{URL_SUFFIX}/{ACCOUNT}/{self.resolve(stack, props['QueueName'])}"
        if resource["Type"] == "AWS::S3::Bucket":
            return self.resolve(stack, props["BucketName"])
        if resource["Type"] == "AWS::Lambda::Function" and "FunctionName" in props:
            return self.resolve(stack, props["FunctionName"])
        # Secrets, security groups, ...: an opaque id; the local environment replaces what it needs.
        return f"local:{stack}:{name}"

    def _get_att(self, stack: str, logical_id: str, attribute: str) -> str:
        resource = self._resource(stack, logical_id)
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::SQS::Queue":
            name = self.resolve(stack, props["QueueName"])
            return {"Arn": f"arn:aws:sqs:{self.region}:{ACCOUNT}:{name}", "QueueName": name}.get(
                attribute, self._ref(stack, logical_id)
            )
        return f"local:{stack}:{logical_id}.{attribute}"


def _resources(templates: dict[str, dict[str, Any]], type_: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (stack, lid, r.get("Properties", {}))
        for stack, tpl in templates.items()
        for lid, r in tpl.get("Resources", {}).items()
        if r["Type"] == type_
    ]


def _arn_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def read(templates: dict[str, dict[str, Any]], region: str) -> Deployment:
    """The deployment the templates describe, resolved for the local account in ``region``."""
    r = _Resolver(templates, region)
    queues = {}
    for stack, _lid, p in _resources(templates, "AWS::SQS::Queue"):
        attrs = {
            key: str(p[prop])
            for prop, key in (
                ("VisibilityTimeout", "VisibilityTimeout"),
                ("MessageRetentionPeriod", "MessageRetentionPeriod"),
            )
            if prop in p
        }
        dlq, max_receive = None, None
        if "RedrivePolicy" in p:
            policy = r.resolve(stack, p["RedrivePolicy"])
            dlq, max_receive = _arn_name(policy["deadLetterTargetArn"]), int(policy["maxReceiveCount"])
            attrs["RedrivePolicy"] = json.dumps(policy)
        name = r.resolve(stack, p["QueueName"])
        queues[name] = Queue(name, attrs, dlq, max_receive)

    ((bucket_stack, _lid, bucket_props),) = [b for b in _resources(templates, "AWS::S3::Bucket") if "Uploads" in b[1]]
    notifications = [
        r.resolve(stack, p["NotificationConfiguration"]).get("QueueConfigurations", [])
        for stack, _lid, p in _resources(templates, "Custom::S3BucketNotifications")
    ]
    functions: dict[str, Function] = {}
    for stack, lid, p in _resources(templates, "AWS::Lambda::Function"):
        if p.get("Handler", "").startswith(("index.", "__entrypoint__")):
            continue  # CDK's own custom-resource providers
        env = r.resolve(stack, p.get("Environment", {}).get("Variables", {}))
        functions[lid] = Function(
            lid,
            stack,
            p["Handler"],
            int(p.get("Timeout", 3)),
            int(p.get("MemorySize", 128)),
            env,
            name=r.resolve(stack, p["FunctionName"]) if "FunctionName" in p else None,
        )
    for stack, _lid, p in _resources(templates, "AWS::Lambda::EventSourceMapping"):
        fn = functions[p["FunctionName"]["Ref"]]
        fn.event_sources.append(
            EventSource(
                queue=_arn_name(r.resolve(stack, p["EventSourceArn"])),
                batch_size=int(p.get("BatchSize", 10)),
                batching_window_s=float(p.get("MaximumBatchingWindowInSeconds", 0)),
                max_concurrency=int(p.get("ScalingConfig", {}).get("MaximumConcurrency", 2)),
                partial_batch_responses="ReportBatchItemFailures" in p.get("FunctionResponseTypes", []),
            )
        )
    schedules = [
        Schedule(
            name=p["Name"],
            expression=p["ScheduleExpression"],
            queue=_arn_name(r.resolve(stack, p["Target"]["Arn"])),
            input=p["Target"].get("Input", "{}"),
            enabled=p.get("State", "ENABLED") == "ENABLED",
        )
        for stack, _lid, p in _resources(templates, "AWS::Scheduler::Schedule")
    ]
    return Deployment(
        region=region,
        queues=queues,
        bucket=r.resolve(bucket_stack, bucket_props["BucketName"]),
        bucket_cors=bucket_props.get("CorsConfiguration", {}).get("CorsRules", []),
        notifications=[n for group in notifications for n in group],
        topics=[
            r.resolve(s, p["TopicName"]) for s, _l, p in _resources(templates, "AWS::SNS::Topic") if "TopicName" in p
        ],
        functions=functions,
        schedules=schedules,
        api=_http_api(templates),
    )


def _http_api(templates: dict[str, dict[str, Any]]) -> HttpApi:
    ((stack, _lid, api),) = _resources(templates, "AWS::ApiGatewayV2::Api")
    ((_s, _l, authorizer),) = _resources(templates, "AWS::ApiGatewayV2::Authorizer")
    ((_s, _l, stage),) = _resources(templates, "AWS::ApiGatewayV2::Stage")
    ((_s, _l, integration),) = _resources(templates, "AWS::ApiGatewayV2::Integration")
    routes = []
    for _s, _l, p in _resources(templates, "AWS::ApiGatewayV2::Route"):
        method, path = p["RouteKey"].split(" ", 1)
        routes.append(Route(method, path, p.get("AuthorizationType") == "JWT", tuple(p.get("AuthorizationScopes", ()))))
    throttle = stage.get("DefaultRouteSettings", {})
    target = integration["IntegrationUri"]
    fn = target["Fn::GetAtt"][0] if "Fn::GetAtt" in target else target["Ref"]
    return HttpApi(
        routes=routes,
        issuer=authorizer["JwtConfiguration"]["Issuer"],
        audience=list(authorizer["JwtConfiguration"]["Audience"]),
        cors=api.get("CorsConfiguration", {}),
        throttle_rate=float(throttle.get("ThrottlingRateLimit", 10_000)),
        throttle_burst=int(throttle.get("ThrottlingBurstLimit", 5_000)),
        function=fn,
    )


def for_stage(stage: str = "dev") -> Deployment:
    """``stage``'s deployment, from its synthesized templates (cached: tools/local/synth.py)."""
    from stacks.config import load_stage_config
    from stacks.synth import cdk_context
    from tools.local.synth import templates, use_project_node

    use_project_node()
    return read(templates(stage), load_stage_config(cdk_context()["config"], stage, environ={}).region)
