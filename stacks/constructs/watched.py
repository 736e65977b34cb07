"""What the Monitoring stack watches: found by walking the construct tree, named as AWS names it.

``discover`` walks every watched stack and sorts what it finds (queues, DLQs,
functions, HTTP APIs, databases, caches). The metric helpers name a queue or a
function by its literal physical name where it has one, so the Monitoring
stack's alarms need no export from the stack that owns it: removing a worker
is then one deploy, not an "export in use" deadlock between two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

from stacks.config import StageConfig
from stacks.naming import published_id, resolved_id

PERIOD = cdk.Duration.minutes(5)


@dataclass
class Watched:
    """What the walk found in the watched stacks."""

    queues: list[sqs.Queue] = field(default_factory=list)
    dlqs: list[sqs.Queue] = field(default_factory=list)
    functions: list[lambda_.Function] = field(default_factory=list)
    http_apis: list[apigwv2.CfnApi] = field(default_factory=list)
    databases: list[rds.DatabaseInstance] = field(default_factory=list)
    caches: list[elasticache.CfnReplicationGroup] = field(default_factory=list)


def discover(stacks: Iterable[cdk.Stack]) -> Watched:
    found = Watched()
    all_queues: list[sqs.Queue] = []
    schedules: list[scheduler.CfnSchedule] = []
    dlq_paths: set[str] = set()
    for stack in stacks:
        for node in stack.node.find_all():
            if isinstance(node, sqs.Queue):
                all_queues.append(node)
            elif isinstance(node, scheduler.CfnSchedule):
                schedules.append(node)
            elif isinstance(node, sns.Subscription) and node.dead_letter_queue is not None:
                # Where SNS parks what it could not deliver (the Slack forwarder's subscription).
                dlq_paths.add(node.dead_letter_queue.node.path)
            elif (
                isinstance(node, lambda_.Function)
                and node.runtime.family != lambda_.RuntimeFamily.NODEJS
                # The migrations, the ops function: their failures reach a person directly.
                and not getattr(node, "unalarmed_because", None)
            ):
                found.functions.append(node)
            elif isinstance(node, apigwv2.CfnApi) and node.protocol_type == "HTTP":
                found.http_apis.append(node)
            elif isinstance(node, rds.DatabaseInstance):
                found.databases.append(node)
            elif isinstance(node, elasticache.CfnReplicationGroup):
                found.caches.append(node)
    dlq_paths |= {q.dead_letter_queue.queue.node.path for q in all_queues if q.dead_letter_queue is not None}
    dlq_paths |= _schedule_dlq_paths(schedules, all_queues)
    for queue in all_queues:
        (found.dlqs if queue.node.path in dlq_paths else found.queues).append(queue)
    return found


def _schedule_dlq_paths(schedules: Iterable[scheduler.CfnSchedule], queues: Sequence[sqs.Queue]) -> set[str]:
    """Queues that are a schedule target's dead-letter queue (where Scheduler parks what it could not deliver).

    Compared as synthesized in the schedule's stack: the schedule's
    ``Target.DeadLetterConfig.Arn`` against each queue's ARN there.
    """
    found: set[str] = set()
    for schedule in schedules:
        stack = cdk.Stack.of(schedule)
        # Resolving the L1 property gives the struct's camelCase keys, not the template's PascalCase.
        target = stack.resolve(schedule.target) or {}
        arn = _key(_key(target, "deadLetterConfig"), "arn")
        if arn is None:
            continue
        found |= {q.node.path for q in queues if cdk.Stack.of(q) is stack and stack.resolve(q.queue_arn) == arn}
    return found


def _key(value: object, name: str) -> object:
    """``value[name]`` in either casing (struct or template), or None."""
    if not isinstance(value, dict):
        return None
    return value.get(name, value.get(name[0].upper() + name[1:]))


def label(node: IConstruct) -> str:
    """``Huntaze-Dev-Video/Worker/Queue`` -> ``Video-Worker-Queue`` (readable and unique)."""
    stack = cdk.Stack.of(node)
    inside = node.node.scopes[node.node.scopes.index(stack) + 1 :]
    parts = [stack.stack_name.rsplit("-", 1)[-1], *(c.node.id for c in inside)]
    parts = [p for p in parts if p != "Resource"]
    return re.sub(r"[^A-Za-z0-9-]", "", "-".join(parts))[:180]


def literal_name(node: IConstruct, prop: str) -> str | None:
    """The physical name an L2's resource is given in its template, when it is a plain string."""
    cfn = node.node.default_child
    value = cdk.Stack.of(node).resolve(getattr(cfn, prop, None))
    return value if isinstance(value, str) else None


def queue_metric(queue: sqs.Queue, metric_name: str, statistic: str) -> cloudwatch.Metric:
    """An AWS/SQS metric of ``queue``, by its literal name where it has one (no cross-stack import)."""
    name = literal_name(queue, "queue_name") or queue.queue_name
    return cloudwatch.Metric(
        namespace="AWS/SQS",
        metric_name=metric_name,
        dimensions_map={"QueueName": name},
        period=PERIOD,
        statistic=statistic,
    )


def function_metric(
    scope: Construct, cfg: StageConfig, fn: lambda_.Function, metric_name: str, statistic: str
) -> cloudwatch.Metric:
    """An AWS/Lambda metric of ``fn``, by its literal name, else by its published one (no cross-stack import)."""
    name = literal_name(fn, "function_name") or watched_id(scope, cfg, fn, fn.function_name)
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=metric_name,
        dimensions_map={"FunctionName": name},
        period=PERIOD,
        statistic=statistic,
    )


def visibility_seconds(queue: sqs.Queue) -> int:
    cfn = queue.node.default_child
    value = cdk.Stack.of(queue).resolve(getattr(cfn, "visibility_timeout", None))
    return int(value) if isinstance(value, int | float) else 30


def timeout_seconds(fn: lambda_.Function) -> int:
    cfn = fn.node.default_child
    value = cdk.Stack.of(fn).resolve(getattr(cfn, "timeout", None))
    return int(value) if isinstance(value, int | float) else 3


def watched_id(scope: Construct, cfg: StageConfig, resource: IConstruct, own_id: str) -> str:
    """``resource``'s id as ``scope`` may use it: the published one (`stacks.naming.publish_id`), read
    without an export, when ``resource`` lives in another stack; ``own_id`` within the same stack."""
    if cdk.Stack.of(resource) is cdk.Stack.of(scope):
        return own_id
    what = published_id(resource)
    if what is None:
        raise ValueError(
            f"{resource.node.path} is watched from another stack, but its id is not published (stacks.naming.publish_id)"
        )
    return resolved_id(scope, cfg, what)


def database_metric(
    scope: Construct, cfg: StageConfig, db: rds.DatabaseInstance, metric_name: str, statistic: str
) -> cloudwatch.Metric:
    """An AWS/RDS metric of ``db``, by its published identifier (no cross-stack import)."""
    return cloudwatch.Metric(
        namespace="AWS/RDS",
        metric_name=metric_name,
        dimensions_map={"DBInstanceIdentifier": watched_id(scope, cfg, db, db.instance_identifier)},
        period=PERIOD,
        statistic=statistic,
    )


def api_id(scope: Construct, cfg: StageConfig, api: apigwv2.CfnApi) -> str:
    return watched_id(scope, cfg, api, api.ref)


def cache_node_ids(scope: Construct, cfg: StageConfig, cache: elasticache.CfnReplicationGroup) -> list[str]:
    """ElastiCache names a replication group's nodes <group id>-001, -002, ..."""
    count = cdk.Stack.of(cache).resolve(cache.num_cache_clusters) or 1
    group = watched_id(scope, cfg, cache, cache.ref)
    return [cdk.Fn.join("", [group, f"-{i:03d}"]) for i in range(1, int(count) + 1)]
