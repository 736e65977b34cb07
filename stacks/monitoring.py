"""Monitoring stack: alerts topic (email, Slack), derived alarms, one dashboard, the budget.

Alarms are not listed by hand: the stack walks the construct tree of every
watched stack and alarms on what it finds, so a new ``QueueWorker`` gets its
queue, DLQ and function alarms without anyone remembering them:

* a queue that is some queue's dead-letter queue, or a schedule target's
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
* every ElastiCache replication group -> memory and engine CPU per node;
* every EC2 instance (the NAT instance) -> failed status checks.

Each alarm's description carries the link to its runbook under docs/runbooks/.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

from stacks.config import MonitoringConfig, StageConfig
from stacks.constructs.nag import acknowledge
from stacks.constructs.nag_checkov import acknowledge_checkov
from stacks.constructs.python_function import PythonFunction
from stacks.cron import WATCHED_DLQ_TASKS as WORKER_TASKS
from stacks.data import DataStack

PERIOD = cdk.Duration.minutes(5)
# Lost alert deliveries are issue 13 item 6 (the Slack subscription's redrive DLQ and
# alarm), a change of its own to this stack; drop these acknowledgments with it.
PENDING_ALERT_DLQ = (
    "Open finding, fixed separately: issue 13 item 6 gives the alert deliveries a redrive DLQ and an alarm; "
    "until then a delivery that fails after SNS's and Lambda's retries is lost."
)
RUNBOOKS_DIR = "docs/runbooks"
# PostgreSQL's max_connections on RDS: LEAST(DBInstanceClassMemory / 9531392, 5000).
_PG_BYTES_PER_CONNECTION = 9_531_392
_PG_MAX_CONNECTIONS = 5000
# Nominal memory (GiB) of the burstable db.t3/t4g sizes this app may pick.
_DB_CLASS_GIB = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}


def runbook_url(cfg: StageConfig, kind: str) -> str:
    repo, branch = cfg.deploy.github_repository, cfg.deploy.github_branch
    return f"https://github.com/{repo}/blob/{branch}/{RUNBOOKS_DIR}/{kind}.md"


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


@dataclass
class Watched:
    """What the walk found in the watched stacks."""

    queues: list[sqs.Queue] = field(default_factory=list)
    dlqs: list[sqs.Queue] = field(default_factory=list)
    functions: list[lambda_.Function] = field(default_factory=list)
    http_apis: list[apigwv2.CfnApi] = field(default_factory=list)
    databases: list[rds.DatabaseInstance] = field(default_factory=list)
    caches: list[elasticache.CfnReplicationGroup] = field(default_factory=list)
    instances: list[ec2.Instance] = field(default_factory=list)


def discover(stacks: Iterable[cdk.Stack]) -> Watched:
    found = Watched()
    all_queues: list[sqs.Queue] = []
    schedules: list[scheduler.CfnSchedule] = []
    for stack in stacks:
        for node in stack.node.find_all():
            if isinstance(node, sqs.Queue):
                all_queues.append(node)
            elif isinstance(node, scheduler.CfnSchedule):
                schedules.append(node)
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
            elif isinstance(node, ec2.Instance):
                found.instances.append(node)
    dlq_paths = {q.dead_letter_queue.queue.node.path for q in all_queues if q.dead_letter_queue is not None}
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
        self.data = data
        self.settings: MonitoringConfig = cfg.monitoring
        self.alarms: dict[str, list[cloudwatch.Alarm]] = {}

        self.topic = self._alerts_topic()
        if self.settings.slack_forwarder:
            self.slack_forwarder = self._slack_forwarder()
        self.ops_function = self._ops_function()
        # The forwarder is a function too: it gets the same alarms as any other.
        self.watched = discover([*watched, self])
        self._queue_alarms()
        self._function_alarms()
        self._api_alarms()
        self._database_alarms()
        self._cache_alarms()
        self._instance_alarms()
        self.dashboard = self._dashboard()
        self.budget = self._budget()

    # -- alerts topic ------------------------------------------------------------
    def _alerts_topic(self) -> sns.Topic:
        topic = sns.Topic(
            self,
            "Alerts",
            topic_name=f"{self.cfg.prefix}-alerts",
            display_name=f"Huntaze {self.cfg.stage} alerts",
            enforce_ssl=True,
        )
        email = topic.add_subscription(subscriptions.EmailSubscription(self.settings.alert_email))
        acknowledge(email, {"Serverless-SNSRedrivePolicy": PENDING_ALERT_DLQ})
        # AWS Budgets publishes the 80%/100% notifications to the topic.
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="BudgetsPublish",
                principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            )
        )
        acknowledge_checkov(
            topic,
            {
                "CKV_AWS_26": "CloudWatch alarms and AWS Budgets cannot publish to a topic encrypted with the "
                "AWS-managed SNS key, and a customer-managed key costs $1/month; alerts carry alarm names only.",
            },
        )
        acknowledge(
            topic,
            {
                "AwsSolutions-SNS2": "CloudWatch alarms and AWS Budgets cannot publish to a topic encrypted with the "
                "AWS-managed SNS key, and a customer-managed key costs $1/month; alerts carry alarm names, "
                "no customer data.",
            },
        )
        return topic

    def _slack_forwarder(self) -> PythonFunction:
        """A 128 MB function, free at alert volume; AWS Chatbot would need the Slack
        workspace authorised by hand in the console, the webhook secret needs nothing."""
        forwarder = PythonFunction(
            self,
            "SlackForwarder",
            cfg=self.cfg,
            package="notify",
            handler="notify.handler.lambda_handler",
            description="Posts every alert of the alerts topic to Slack",
            memory_mb=128,
            timeout=cdk.Duration.seconds(15),
            environment=self.data.slack_environment(),
        )
        self.data.grant_slack(forwarder)
        acknowledge_checkov(
            forwarder,
            {
                "CKV_AWS_115": "SNS invokes it once per alert, a few times a day; reserved concurrency would take "
                "from the account's pool for nothing.",
                "CKV_AWS_116": "SNS delivers to it; a delivery that fails goes to the subscription's redrive DLQ "
                "(the Slack subscription DLQ of issue 13), which is where a lost alert is looked for.",
                "CKV_AWS_117": "It reads one secret and posts to Slack's webhook over the internet; no resource it "
                "reaches is in the VPC, and inside it would need the NAT for all of it.",
            },
        )
        slack = self.topic.add_subscription(subscriptions.LambdaSubscription(forwarder))
        acknowledge(slack, {"Serverless-SNSRedrivePolicy": PENDING_ALERT_DLQ})
        acknowledge(forwarder, {"Serverless-LambdaDLQ": PENDING_ALERT_DLQ})
        return forwarder

    def _ops_function(self) -> PythonFunction:
        """What the ops CLI's job commands invoke: RDS admits only the workers' security group, not laptops.

        A rerun sends to a task queue found by name (``<prefix>-<task>``), so the
        function may send to exactly those queues and needs no lookup call.
        """
        prefix = self.cfg.prefix
        ops = PythonFunction(
            self,
            "Ops",
            cfg=self.cfg,
            package="ops",
            handler="ops.handler.lambda_handler",
            function_name=f"{prefix}-ops",
            description="Operator actions on jobs (history, re-run) for the ops CLI",
            environment={
                "QUEUE_URL_PREFIX": f"https://sqs.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}/{cdk.Aws.ACCOUNT_ID}/{prefix}-",
            },
            vpc=self.data.vpc,
            security_groups=[self.data.workers_sg],
            unalarmed_because="an operator invokes it synchronously and sees every error in the CLI",
            reserved_concurrency=self.settings.ops_reserved_concurrency,
        )
        self.data.grant_database(ops, "ops")
        synchronous = "The ops CLI invokes it synchronously and shows its error to the operator; a DLQ only serves asynchronous invocations."
        acknowledge(ops, {"Serverless-LambdaDLQ": synchronous})
        acknowledge_checkov(ops, {"CKV_AWS_116": synchronous})
        ops.add_to_role_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage"],
                resources=[
                    f"arn:{cdk.Aws.PARTITION}:sqs:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:{prefix}-{task}"
                    for task in WORKER_TASKS
                ],
            )
        )
        return ops

    # -- alarm factory -------------------------------------------------------------
    def _alarm(
        self,
        kind: str,
        target: IConstruct,
        *,
        metric: cloudwatch.IMetric,
        threshold: float,
        what: str,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        periods: int = 1,
        suffix: str = "",
    ) -> cloudwatch.Alarm:
        name = f"{label(target)}{suffix}"
        alarm = cloudwatch.Alarm(
            self,
            f"{kind}-{name}",
            alarm_name=f"{self.cfg.prefix}-{kind}-{name}"[:255],
            alarm_description=f"{what} Runbook: {runbook_url(self.cfg, kind)}",
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            # No data means nothing ran or nothing failed: not an alert.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        self.alarms.setdefault(kind, []).append(alarm)
        return alarm

    def _queue_alarms(self) -> None:
        for dlq in self.watched.dlqs:
            self._alarm(
                "dlq-messages",
                dlq,
                metric=dlq.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                threshold=1,
                what=f"{label(dlq)} holds messages that failed every retry; the work is waiting for a redrive.",
            )
        for queue in self.watched.queues:
            visibility = _visibility_seconds(queue)
            threshold = max(self.settings.queue_age_alarm_seconds, visibility)
            self._alarm(
                "queue-age",
                queue,
                metric=queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum"),
                threshold=threshold,
                what=f"The oldest message of {label(queue)} waited {threshold} s or more: its worker is behind or down.",
            )

    def _function_alarms(self) -> None:
        ratio = self.settings.function_duration_alarm_ratio
        for fn in self.watched.functions:
            timeout_s = _timeout_seconds(fn)
            self._alarm(
                "function-errors",
                fn,
                metric=fn.metric_errors(period=PERIOD, statistic="Sum"),
                threshold=1,
                what=f"{label(fn)} raised errors (invocations that failed as a whole).",
            )
            self._alarm(
                "function-duration",
                fn,
                metric=fn.metric_duration(period=PERIOD, statistic="Maximum"),
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
            dims = {"ApiId": api.ref}
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
                metric=db.metric_cpu_utilization(period=PERIOD, statistic="Average"),
                threshold=s.rds_cpu_percent,
                periods=3,
                what=f"{label(db)} CPU stayed at {s.rds_cpu_percent:.0f}% or more for 15 minutes.",
            )
            self._alarm(
                "rds-storage",
                db,
                metric=db.metric_free_storage_space(period=PERIOD, statistic="Minimum"),
                threshold=int(storage_gb * s.rds_free_storage_ratio * 2**30),
                comparison=cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
                what=f"{label(db)} has {s.rds_free_storage_ratio:.0%} or less of its {storage_gb} GB free.",
            )
            self._alarm(
                "rds-connections",
                db,
                metric=db.metric_database_connections(period=PERIOD, statistic="Maximum"),
                threshold=connections,
                what=f"{label(db)} reached {connections} connections ({s.rds_connections_ratio:.0%} of its "
                f"max_connections, {max_connections} on {db_class}).",
            )

    def _cache_alarms(self) -> None:
        s = self.settings
        for cache in self.watched.caches:
            nodes = _cache_node_ids(cache)
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

    def _instance_alarms(self) -> None:
        for instance in self.watched.instances:
            self._alarm(
                "nat-status",
                instance,
                metric=cloudwatch.Metric(
                    namespace="AWS/EC2",
                    metric_name="StatusCheckFailed",
                    dimensions_map={"InstanceId": instance.instance_id},
                    period=PERIOD,
                    statistic="Maximum",
                ),
                threshold=1,
                periods=2,
                what=f"{label(instance)} failed its status checks for 10 minutes: private subnets may have lost the internet.",
            )

    # -- dashboard -------------------------------------------------------------------
    def _dashboard(self) -> cloudwatch.Dashboard:
        w = self.watched
        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{self.cfg.prefix}-overview", default_interval=cdk.Duration.hours(24)
        )

        def graph(title: str, metrics: list[cloudwatch.IMetric], width: int = 8) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=metrics, width=width, height=6)

        def labelled(metric: cloudwatch.Metric, node: IConstruct) -> cloudwatch.Metric:
            return metric.with_(label=label(node))

        rows: list[list[cloudwatch.IWidget]] = []
        if w.functions:
            rows.append(
                [
                    graph(
                        "Workers: invocations",
                        [labelled(f.metric_invocations(period=PERIOD), f) for f in w.functions],
                        width=6,
                    ),
                    graph(
                        "Workers: errors", [labelled(f.metric_errors(period=PERIOD), f) for f in w.functions], width=6
                    ),
                    graph(
                        "Workers: duration p95 (ms)",
                        [labelled(f.metric_duration(period=PERIOD, statistic="p95"), f) for f in w.functions],
                        width=6,
                    ),
                    graph(
                        "Lambda (account): concurrency / throttles",
                        [
                            lambda_.Function.metric_all_concurrent_executions(period=PERIOD, statistic="Maximum"),
                            lambda_.Function.metric_all_throttles(period=PERIOD, statistic="Sum"),
                        ],
                        width=6,
                    ),
                ]
            )
        if w.queues or w.dlqs:
            rows.append(
                [
                    graph(
                        "Queues: visible messages",
                        [labelled(q.metric_approximate_number_of_messages_visible(period=PERIOD), q) for q in w.queues],
                    ),
                    graph(
                        "Queues: age of oldest (s)",
                        [labelled(q.metric_approximate_age_of_oldest_message(period=PERIOD), q) for q in w.queues],
                    ),
                    graph(
                        "DLQs: visible messages",
                        [labelled(q.metric_approximate_number_of_messages_visible(period=PERIOD), q) for q in w.dlqs],
                    ),
                ]
            )
        for api in w.http_apis:
            dims = {"ApiId": api.ref}

            def api_metric(name: str, statistic: str, dims: dict = dims) -> cloudwatch.Metric:
                return cloudwatch.Metric(
                    namespace="AWS/ApiGateway",
                    metric_name=name,
                    dimensions_map=dims,
                    period=PERIOD,
                    statistic=statistic,
                )

            rows.append(
                [
                    graph(f"API {label(api)}: requests", [api_metric("Count", "Sum")]),
                    graph(f"API {label(api)}: 4xx / 5xx", [api_metric("4xx", "Sum"), api_metric("5xx", "Sum")]),
                    graph(
                        f"API {label(api)}: latency p95 (ms)",
                        [api_metric("Latency", "p95"), api_metric("IntegrationLatency", "p95")],
                    ),
                ]
            )
        data_row: list[cloudwatch.IWidget] = []
        for db in w.databases:
            data_row += [
                graph("RDS: CPU %", [db.metric_cpu_utilization(period=PERIOD)], width=6),
                graph("RDS: connections", [db.metric_database_connections(period=PERIOD)], width=6),
                graph("RDS: free storage (bytes)", [db.metric_free_storage_space(period=PERIOD)], width=6),
            ]
        for cache in w.caches:
            nodes = _cache_node_ids(cache)
            data_row.append(
                graph(
                    "Cache: memory % / engine CPU %",
                    [
                        cloudwatch.Metric(
                            namespace="AWS/ElastiCache",
                            metric_name=name,
                            dimensions_map={"CacheClusterId": n},
                            period=PERIOD,
                        )
                        for n in nodes
                        for name in ("DatabaseMemoryUsagePercentage", "EngineCPUUtilization")
                    ],
                    width=6,
                )
            )
        if data_row:
            rows.append(data_row)
        for row in rows:
            dashboard.add_widgets(*row)
        return dashboard

    # -- budget ------------------------------------------------------------------------
    def _budget(self) -> budgets.CfnBudget:
        s = self.settings

        def notify(kind: str, percent: float) -> budgets.CfnBudget.NotificationWithSubscribersProperty:
            return budgets.CfnBudget.NotificationWithSubscribersProperty(
                notification=budgets.CfnBudget.NotificationProperty(
                    notification_type=kind,
                    comparison_operator="GREATER_THAN",
                    threshold=percent,
                    threshold_type="PERCENTAGE",
                ),
                # Only the topic: its email subscription (and Slack) already reach
                # people, and an EMAIL subscriber too would send each notice twice.
                subscribers=[
                    budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=self.topic.topic_arn)
                ],
            )

        cost_filters = {"TagKeyValue": [f"user:stage${self.cfg.stage}"]} if s.budget_scope == "stage_tag" else None
        budget = budgets.CfnBudget(
            self,
            "MonthlyBudget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{self.cfg.prefix}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=s.monthly_budget_usd, unit="USD"),
                cost_filters=cost_filters,
            ),
            notifications_with_subscribers=[
                notify("FORECASTED", s.budget_forecast_percent),
                notify("ACTUAL", s.budget_actual_percent),
            ],
        )
        # The topic policy must exist before Budgets validates the SNS subscriber.
        for child in self.topic.node.children:
            if isinstance(child, sns.TopicPolicy):
                budget.node.add_dependency(child)
        return budget


def _visibility_seconds(queue: sqs.Queue) -> int:
    cfn = queue.node.default_child
    value = cdk.Stack.of(queue).resolve(getattr(cfn, "visibility_timeout", None))
    return int(value) if isinstance(value, int | float) else 30


def _timeout_seconds(fn: lambda_.Function) -> int:
    cfn = fn.node.default_child
    value = cdk.Stack.of(fn).resolve(getattr(cfn, "timeout", None))
    return int(value) if isinstance(value, int | float) else 3


def _cache_node_ids(cache: elasticache.CfnReplicationGroup) -> list[str]:
    """ElastiCache names a replication group's nodes <group id>-001, -002, ..."""
    count = cdk.Stack.of(cache).resolve(cache.num_cache_clusters) or 1
    return [cdk.Fn.join("", [cache.ref, f"-{i:03d}"]) for i in range(1, int(count) + 1)]
