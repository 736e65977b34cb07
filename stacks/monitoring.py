"""Monitoring stack: the alerts topic, alarms derived from the app, one dashboard, the budget.

It imports nothing from another stack (no ``Fn::ImportValue``): an export in
use would turn removing or replacing what it watches into a two-deploy
deadlock (tests/infra/test_monitoring_stack.py holds it to that).

Alarms are not listed by hand: the stack walks the construct tree of every
watched stack (``stacks.constructs.watched``) and alarms on what it finds, so a
new ``QueueWorker`` gets its queue, DLQ and function alarms without anyone
remembering them:

* a queue that is some queue's, a schedule target's or a subscription's
  dead-letter queue -> any visible message;
* every other queue -> age of its oldest message;
* every Python function -> errors, duration near its timeout (CDK's own
  Node.js custom-resource handlers run only during a deploy, where a failure
  already fails the deployment, so they are left out);
* the account's Lambda throttles -> one alarm (throttling is a shortage of the
  account's regional concurrency, which every function draws from; each
  SQS-fed worker already caps its own concurrency at its event source);
* every HTTP API -> 5xx and p95 latency;
* every RDS instance -> CPU, free storage, connections;
* every ElastiCache replication group -> memory and engine CPU per node.

The NAT instance's alarms live in the Network stack beside it: they carry its
EC2 recover and reboot actions, and its instance id never becomes an export.
Queues and functions are watched by their physical names (``common.names``);
the HTTP API, the database and the cache, whose ids no one can name in
advance, by the ids their stacks publish to SSM (``stacks.naming.publish_id``),
read as SSM-typed template parameters when this stack deploys.
Each alarm's description carries the link to its runbook under docs/runbooks/.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds
from constructs import Construct

from stacks.config import MonitoringConfig, StageConfig
from stacks.constructs.alarms import AlarmFactory, runbook_url
from stacks.constructs.alerts_topic import alerts_topic, slack_forwarder
from stacks.constructs.budget import monthly_budget
from stacks.constructs.dashboard import overview_dashboard
from stacks.constructs.watched import (
    PERIOD,
    api_id,
    cache_node_ids,
    database_metric,
    discover,
    function_metric,
    label,
    queue_metric,
    timeout_seconds,
    visibility_seconds,
)
from stacks.data import DataStack

__all__ = ["MonitoringStack", "max_db_connections", "runbook_url"]

# PostgreSQL's max_connections on RDS: LEAST(DBInstanceClassMemory / 9531392, 5000).
_PG_BYTES_PER_CONNECTION = 9_531_392
_PG_MAX_CONNECTIONS = 5000
# Nominal memory (GiB) of the burstable db.t3/t4g sizes this app may pick.
_DB_CLASS_GIB = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}


def max_db_connections(instance_class: str, settings: MonitoringConfig) -> int:
    """The default max_connections of a db.<family>.<size> PostgreSQL instance.

    A value measured on the class (``SHOW max_connections``) wins; otherwise RDS's
    own formula on the class memory less the OS/RDS reserve (see MonitoringConfig).
    """
    measured = settings.rds_max_connections.get(instance_class)
    if measured is not None:
        return measured
    gib = _DB_CLASS_GIB.get(instance_class.rsplit(".", 1)[-1])
    if gib is None:
        raise ValueError(
            f"no memory size known for {instance_class}: put its measured max_connections in monitoring.rds_max_connections"
        )
    class_memory = (gib * 1024 - settings.rds_memory_reserve_mib) * 2**20
    return min(class_memory // _PG_BYTES_PER_CONNECTION, _PG_MAX_CONNECTIONS)


class MonitoringStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cfg: StageConfig,
        data: DataStack,
        watched: Sequence[cdk.Stack],
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.cfg = cfg
        self.settings: MonitoringConfig = cfg.monitoring

        self.topic = alerts_topic(self, cfg)
        self.factory = AlarmFactory(self, cfg, self.topic)
        self.alarms = self.factory.alarms
        self._alarm = self.factory.alarm
        if self.settings.slack_forwarder:
            self.slack_forwarder = slack_forwarder(self, cfg, data, self.topic)
        # The forwarder and its DLQ are watched too: they get the same alarms as any other.
        self.watched = discover([*watched, self])
        self._queue_alarms()
        self._function_alarms()
        self._api_alarms()
        self._database_alarms()
        self._cache_alarms()
        self.dashboard = overview_dashboard(self, cfg, self.watched)
        self.budget = monthly_budget(self, cfg, self.topic)

    def _queue_alarms(self) -> None:
        for dlq in self.watched.dlqs:
            self._alarm(
                "dlq-messages",
                dlq,
                metric=queue_metric(dlq, "ApproximateNumberOfMessagesVisible", "Maximum"),
                threshold=1,
                what=f"{label(dlq)} holds messages that failed every retry; the work is waiting for a redrive.",
            )
        for queue in self.watched.queues:
            visibility = visibility_seconds(queue)
            threshold = max(self.settings.queue_age_alarm_seconds, visibility)
            self._alarm(
                "queue-age",
                queue,
                metric=queue_metric(queue, "ApproximateAgeOfOldestMessage", "Maximum"),
                threshold=threshold,
                what=f"The oldest message of {label(queue)} waited {threshold} s or more: its worker is behind or down.",
            )

    def _function_alarms(self) -> None:
        ratio = self.settings.function_duration_alarm_ratio
        for fn in self.watched.functions:
            timeout_s = timeout_seconds(fn)
            self._alarm(
                "function-errors",
                fn,
                metric=function_metric(self, self.cfg, fn, "Errors", "Sum"),
                threshold=1,
                what=f"{label(fn)} raised errors (invocations that failed as a whole).",
            )
            self._alarm(
                "function-duration",
                fn,
                metric=function_metric(self, self.cfg, fn, "Duration", "Maximum"),
                threshold=round(timeout_s * 1000 * ratio),
                what=f"{label(fn)} ran for {ratio:.0%} or more of its {timeout_s} s timeout.",
            )
        if self.watched.functions:
            self._account_throttles_alarm()

    def _account_throttles_alarm(self) -> None:
        """One alarm on the account's Lambda Throttles (the metric without dimensions).

        Throttling means the account's regional concurrency ran out, a capacity
        every function shares: the SQS-fed workers already cap their own
        concurrency at the event source (so they are not throttled by their own
        load), and a per-function alarm would only repeat the same event once per
        function at $0.10 each. The runbook shows how to find which function.
        """
        self._alarm(
            "account-throttles",
            self,
            metric=lambda_.Function.metric_all_throttles(period=PERIOD, statistic="Sum"),
            threshold=1,
            suffix="-Lambda",
            what="Lambda throttled invocations in this account and region: its concurrency is exhausted "
            "(account-wide: every function of every stage in the account counts).",
        )

    def _api_alarms(self) -> None:
        for api in self.watched.http_apis:
            dims = {"ApiId": api_id(self, self.cfg, api)}
            self._alarm(
                "api-5xx",
                api,
                metric=cloudwatch.Metric(
                    namespace="AWS/ApiGateway", metric_name="5xx", dimensions_map=dims, period=PERIOD, statistic="Sum"
                ),
                threshold=self.settings.api_5xx_per_5min,
                what=f"{label(api)} answered {self.settings.api_5xx_per_5min} or more 5xx in 5 minutes.",
            )
            self._alarm(
                "api-latency",
                api,
                metric=cloudwatch.Metric(
                    namespace="AWS/ApiGateway",
                    metric_name="Latency",
                    dimensions_map=dims,
                    period=PERIOD,
                    statistic="p95",
                ),
                threshold=self.settings.api_latency_p95_ms,
                periods=3,
                what=f"{label(api)} p95 latency stayed at {self.settings.api_latency_p95_ms} ms or more for 15 minutes.",
            )

    def _database_alarms(self) -> None:
        s = self.settings
        for db in self.watched.databases:
            cfn = db.node.default_child
            assert isinstance(cfn, rds.CfnDBInstance)
            # L2 props reach the L1 as lazy tokens; resolving gives the synthesized values.
            storage_gb = int(self.resolve(cfn.allocated_storage) or 20)
            db_class = str(self.resolve(cfn.db_instance_class))
            max_connections = max_db_connections(db_class, s)
            connections = max(1, int(max_connections * s.rds_connections_ratio))
            self._alarm(
                "rds-cpu",
                db,
                metric=database_metric(self, self.cfg, db, "CPUUtilization", "Average"),
                threshold=s.rds_cpu_percent,
                periods=3,
                what=f"{label(db)} CPU stayed at {s.rds_cpu_percent:.0f}% or more for 15 minutes.",
            )
            self._alarm(
                "rds-storage",
                db,
                metric=database_metric(self, self.cfg, db, "FreeStorageSpace", "Minimum"),
                threshold=int(storage_gb * s.rds_free_storage_ratio * 2**30),
                comparison=cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
                what=f"{label(db)} has {s.rds_free_storage_ratio:.0%} or less of its {storage_gb} GB free.",
            )
            self._alarm(
                "rds-connections",
                db,
                metric=database_metric(self, self.cfg, db, "DatabaseConnections", "Maximum"),
                threshold=connections,
                what=f"{label(db)} reached {connections} connections ({s.rds_connections_ratio:.0%} of its "
                f"max_connections, {max_connections} on {db_class}).",
            )

    def _cache_alarms(self) -> None:
        s = self.settings
        for cache in self.watched.caches:
            nodes = cache_node_ids(self, self.cfg, cache)
            for number, node_id in enumerate(nodes, start=1):
                dims = {"CacheClusterId": node_id}
                suffix = "" if len(nodes) == 1 else f"-{number:03d}"
                self._alarm(
                    "cache-memory",
                    cache,
                    metric=cloudwatch.Metric(
                        namespace="AWS/ElastiCache",
                        metric_name="DatabaseMemoryUsagePercentage",
                        dimensions_map=dims,
                        period=PERIOD,
                        statistic="Maximum",
                    ),
                    threshold=s.cache_memory_percent,
                    suffix=suffix,
                    what=f"{label(cache)} uses {s.cache_memory_percent:.0f}% or more of its memory; keys will be evicted.",
                )
                self._alarm(
                    "cache-cpu",
                    cache,
                    metric=cloudwatch.Metric(
                        namespace="AWS/ElastiCache",
                        metric_name="EngineCPUUtilization",
                        dimensions_map=dims,
                        period=PERIOD,
                        statistic="Average",
                    ),
                    threshold=s.cache_cpu_percent,
                    periods=3,
                    suffix=suffix,
                    what=f"{label(cache)} engine CPU stayed at {s.cache_cpu_percent:.0f}% or more for 15 minutes.",
                )
