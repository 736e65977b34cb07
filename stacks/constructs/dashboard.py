"""One CloudWatch dashboard of everything the Monitoring stack watches."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

from common import names
from stacks.config import StageConfig
from stacks.constructs.python_function import METRICS_NAMESPACE
from stacks.constructs.watched import (
    PERIOD,
    Watched,
    api_id,
    cache_node_ids,
    database_metric,
    function_metric,
    label,
    queue_metric,
)


def _graph(title: str, metrics: list[cloudwatch.IMetric], width: int = 8) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=metrics, width=width, height=6)


def _labelled(metric: cloudwatch.Metric, node: IConstruct) -> cloudwatch.Metric:
    return metric.with_(label=label(node))


def overview_dashboard(stack: cdk.Stack, cfg: StageConfig, w: Watched) -> cloudwatch.Dashboard:
    dashboard = cloudwatch.Dashboard(
        stack, "Dashboard", dashboard_name=names.dashboard(cfg.prefix), default_interval=cdk.Duration.hours(24)
    )
    rows: list[list[cloudwatch.IWidget]] = []
    if w.functions:
        rows.append(_function_row(stack, cfg, w))
    if w.queues or w.dlqs:
        rows.append(_queue_row(w))
    rows += [_api_row(stack, cfg, api) for api in w.http_apis]
    data_row = _data_row(stack, cfg, w)
    if data_row:
        rows.append(data_row)
    rows.append(_ai_row(cfg))
    for row in rows:
        dashboard.add_widgets(*row)
    return dashboard


def _function_row(stack: cdk.Stack, cfg: StageConfig, w: Watched) -> list[cloudwatch.IWidget]:
    def each(name: str, statistic: str) -> list[cloudwatch.IMetric]:
        return [_labelled(function_metric(stack, cfg, f, name, statistic), f) for f in w.functions]

    return [
        _graph("Workers: invocations", each("Invocations", "Sum"), width=6),
        _graph("Workers: errors", each("Errors", "Sum"), width=6),
        _graph("Workers: duration p95 (ms)", each("Duration", "p95"), width=6),
        _graph(
            "Lambda (account): concurrency / throttles",
            [
                lambda_.Function.metric_all_concurrent_executions(period=PERIOD, statistic="Maximum"),
                lambda_.Function.metric_all_throttles(period=PERIOD, statistic="Sum"),
            ],
            width=6,
        ),
    ]


def _queue_row(w: Watched) -> list[cloudwatch.IWidget]:
    def each(queues: list, name: str) -> list[cloudwatch.IMetric]:
        return [_labelled(queue_metric(q, name, "Maximum"), q) for q in queues]

    return [
        _graph("Queues: visible messages", each(w.queues, "ApproximateNumberOfMessagesVisible")),
        _graph("Queues: age of oldest (s)", each(w.queues, "ApproximateAgeOfOldestMessage")),
        _graph("DLQs: visible messages", each(w.dlqs, "ApproximateNumberOfMessagesVisible")),
    ]


def _api_row(stack: cdk.Stack, cfg: StageConfig, api) -> list[cloudwatch.IWidget]:
    dims = {"ApiId": api_id(stack, cfg, api)}

    def metric(name: str, statistic: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/ApiGateway", metric_name=name, dimensions_map=dims, period=PERIOD, statistic=statistic
        )

    return [
        _graph(f"API {label(api)}: requests", [metric("Count", "Sum")]),
        _graph(f"API {label(api)}: 4xx / 5xx", [metric("4xx", "Sum"), metric("5xx", "Sum")]),
        _graph(f"API {label(api)}: latency p95 (ms)", [metric("Latency", "p95"), metric("IntegrationLatency", "p95")]),
    ]


def _data_row(stack: cdk.Stack, cfg: StageConfig, w: Watched) -> list[cloudwatch.IWidget]:
    row: list[cloudwatch.IWidget] = []
    for db in w.databases:
        row += [
            _graph("RDS: CPU %", [database_metric(stack, cfg, db, "CPUUtilization", "Average")], width=6),
            _graph("RDS: connections", [database_metric(stack, cfg, db, "DatabaseConnections", "Average")], width=6),
            _graph(
                "RDS: free storage (bytes)", [database_metric(stack, cfg, db, "FreeStorageSpace", "Average")], width=6
            ),
        ]
    for cache in w.caches:
        row.append(
            _graph(
                "Cache: memory % / engine CPU %",
                [
                    cloudwatch.Metric(
                        namespace="AWS/ElastiCache",
                        metric_name=name,
                        dimensions_map={"CacheClusterId": n},
                        period=PERIOD,
                    )
                    for n in cache_node_ids(stack, cfg, cache)
                    for name in ("DatabaseMemoryUsagePercentage", "EngineCPUUtilization")
                ],
                width=6,
            )
        )
    return row


# The EMF metric each model call emits (lambdas/common/spend_guard.py): its cost in USD, by Model and Stage.
AI_COST_METRIC = "AiCostUsd"


def _ai_row(cfg: StageConfig) -> list[cloudwatch.IWidget]:
    """Azure AI dollars per UTC day per model, against the daily budget and the monthly budget's daily share.

    The alert at 80% of the monthly budget is the alert checker's ai_spend rule (lambdas/cron/rules).
    """
    day = cdk.Duration.days(1)
    az = cfg.azure
    per_model = [
        cloudwatch.MathExpression(
            # Summed over the functions (the `service` dimension) that called the model.
            expression=(
                f'SUM(SEARCH(\'{{{METRICS_NAMESPACE},Model,Stage,service}} MetricName="{AI_COST_METRIC}" '
                f'Model="{model}" Stage="{cfg.stage}"\', \'Sum\', 86400))'
            ),
            label=model,
            period=day,
        )
        for model in sorted(set(az.models.values()))
    ]
    return [
        cloudwatch.GraphWidget(
            title="Azure AI: USD per day per model",
            left=per_model,
            stacked=True,
            period=day,
            width=24,
            height=6,
            left_annotations=[
                cloudwatch.HorizontalAnnotation(value=az.daily_budget_usd, label="daily AI budget"),
                cloudwatch.HorizontalAnnotation(
                    value=round(az.monthly_budget_usd / 30, 2), label="monthly AI budget / 30"
                ),
            ],
        )
    ]
