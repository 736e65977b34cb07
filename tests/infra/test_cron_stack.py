"""Cron stack template: queue workers with DLQs, schedules targeting them with retries and a DLQ."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match, Template

TASKS = ("trends", "data", "alerts")


@pytest.fixture(scope="module")
def cron(templates) -> Template:
    return templates["Cron"]


def _logical_id(template: Template, type_: str, **props) -> str:
    found = template.find_resources(type_, {"Properties": props})
    assert len(found) == 1, f"expected one {type_} with {props}, found {list(found)}"
    return next(iter(found))


def test_router_and_monitoring_see_the_three_workers(stacks):
    assert sorted(stacks.cron.workers) == sorted(TASKS)


@pytest.mark.parametrize("task", TASKS)
def test_each_queue_redrives_to_its_own_dlq(cron, cfg, task):
    dlq = _logical_id(cron, "AWS::SQS::Queue", QueueName=f"{cfg.prefix}-{task}-dlq")
    cron.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": f"{cfg.prefix}-{task}",
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
                "maxReceiveCount": getattr(cfg.cron, task).max_receive_count,
            },
        },
    )


@pytest.mark.parametrize("task", TASKS)
def test_each_schedule_targets_its_queue_with_retry_and_dlq(cron, cfg, task):
    queue = _logical_id(cron, "AWS::SQS::Queue", QueueName=f"{cfg.prefix}-{task}")
    dlq = _logical_id(cron, "AWS::SQS::Queue", QueueName=f"{cfg.prefix}-schedules-dlq")
    sc = getattr(cfg.cron, f"{task}_schedule")
    window = (
        {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": sc.flexible_window_minutes}
        if sc.flexible_window_minutes
        else {"Mode": "OFF"}
    )
    cron.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "Name": f"{cfg.prefix}-{task}",
            "GroupName": cfg.prefix,
            "ScheduleExpression": sc.expression,
            "ScheduleExpressionTimezone": sc.timezone,
            "FlexibleTimeWindow": window,
            "Target": {
                "Arn": {"Fn::GetAtt": [queue, "Arn"]},
                "RetryPolicy": {
                    "MaximumRetryAttempts": sc.retry_attempts,
                    "MaximumEventAgeInSeconds": sc.max_event_age_minutes * 60,
                },
                "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [dlq, "Arn"]}},
            },
        },
    )


@pytest.mark.parametrize("task", TASKS)
def test_schedule_input_is_the_job_envelope_with_the_scheduled_time(cron, cfg, task):
    schedules = cron.find_resources("AWS::Scheduler::Schedule", {"Properties": {"Name": f"{cfg.prefix}-{task}"}})
    (schedule,) = schedules.values()
    assert json.loads(schedule["Properties"]["Target"]["Input"]) == {
        "task": task,
        "scheduledTime": "<aws.scheduler.scheduled-time>",
        "payload": {},
    }


def test_schedule_group_is_per_stage(cron, cfg):
    cron.has_resource_properties("AWS::Scheduler::ScheduleGroup", {"Name": cfg.prefix})


def test_scheduler_may_send_only_to_the_worker_queues_and_the_schedules_dlq(cron):
    for policy in cron.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "sqs:SendMessage" in statement["Action"]:
                assert statement["Resource"] and "*" not in json.dumps(statement["Resource"])


@pytest.mark.parametrize("task", TASKS)
def test_workers_run_the_cron_handler_with_their_task(cron, task):
    cron.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "cron.handler.lambda_handler",
            "Architectures": ["arm64"],
            "Environment": {"Variables": Match.object_like({"TASK": task, "DB_USER": f"huntaze_{task}"})},
            "VpcConfig": Match.any_value(),
        },
    )


@pytest.mark.parametrize("task", TASKS)
def test_each_worker_knows_its_queue_max_receive_count(cron, cfg, task):
    # Given the cron stack / Then each function can tell a message's last delivery from the others
    expected = str(getattr(cfg.cron, task).max_receive_count)
    cron.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "cron.handler.lambda_handler",
            "Environment": {"Variables": Match.object_like({"TASK": task, "MAX_RECEIVE_COUNT": expected})},
        },
    )


def test_alerts_worker_publishes_to_the_alerts_topic_by_name_and_reads_dlq_depths(cron, cfg):
    cron.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": Match.object_like(
                    {
                        "TASK": "alerts",
                        "SLACK_WEBHOOK_PARAMETER": f"/{cfg.prefix}/slack/webhook",
                        "ALERTS_TOPIC_ARN": {"Fn::Join": ["", Match.array_with([f":{cfg.prefix}-alerts"])]},
                        "DLQ_URLS": Match.any_value(),
                    }
                )
            }
        },
    )
    statements = [
        s
        for p in cron.find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    publish = [s for s in statements if s["Action"] == "sns:Publish"]
    assert len(publish) == 1 and f":{cfg.prefix}-alerts" in json.dumps(publish[0]["Resource"])
    depth = [s for s in statements if s["Action"] == "sqs:GetQueueAttributes"]
    assert len(depth) == 1
    for task in ("video", *TASKS):
        assert f":{cfg.prefix}-{task}-dlq" in json.dumps(depth[0]["Resource"])


def test_trends_worker_gets_sources_and_the_generation_model(cfg):
    from tests.infra.conftest import synth_app

    source = {
        "name": "tt",
        "url": "https://example.com/trends.json",
        "kind": "json",
        "count_scale": "views",
        "timeout_seconds": 5,
    }
    _, stacks = synth_app("dev", {"cron": {"trend_sources": [source]}})
    env = Template.from_stack(stacks.cron).find_resources(
        "AWS::Lambda::Function", {"Properties": {"Environment": {"Variables": {"TASK": "trends"}}}}
    )
    (fn,) = env.values()
    variables = fn["Properties"]["Environment"]["Variables"]
    assert variables["GENERATION_MODEL"] == "DeepSeek-V3"
    (sent,) = json.loads(variables["TREND_SOURCES"])
    assert sent["url"] == source["url"] and sent["timeout_seconds"] == 5 and sent["kind"] == "json"
    assert json.loads(variables["TRENDS_ALLOWED_NETWORKS"]) == []


def test_cron_stack_passes_cdk_nag(stacks):
    from cdk_nag import AwsSolutionsChecks

    report = AwsSolutionsChecks().validate_scope(stacks.cron)
    errors = [
        f"{v.rule_name}: {[r.resource_logical_id for r in v.violating_resources]}"
        for v in report.violations
        if v.severity == "error"
    ]
    assert errors == []


def test_bad_schedule_expression_is_a_config_error():
    from stacks.config import ConfigError, load_stage_config

    with pytest.raises(ConfigError, match="cron.data_schedule.expression"):
        load_stage_config(
            {
                "stages": {
                    "dev": {
                        "monitoring": {"alert_email": "a@b.co", "monthly_budget_usd": 1},
                        "cron": {"data_schedule": {"expression": "every 5 minutes"}},
                    }
                }
            },
            "dev",
            environ={},
        )


def test_the_schedule_group_is_not_retained_so_a_failed_first_create_can_be_retried(templates, cfg):
    group = next(iter(templates["Cron"].find_resources("AWS::Scheduler::ScheduleGroup").values()))
    assert group["Properties"]["Name"] == cfg.prefix
    assert group["DeletionPolicy"] == "Delete"
