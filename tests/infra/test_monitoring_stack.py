"""Monitoring stack: alerts topic, Slack forwarder, derived alarms, dashboard, budget."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks

from common import names
from stacks.constructs.queue_worker import QueueWorker
from stacks.data import DataStack
from stacks.monitoring import MonitoringStack, max_db_connections, runbook_url
from stacks.network import NetworkStack

ROOT = Path(__file__).resolve().parents[2]


def _alarms(template: Template) -> dict[str, dict]:
    return {k: v["Properties"] for k, v in template.find_resources("AWS::CloudWatch::Alarm").items()}


def test_alerts_topic_has_the_name_the_alerts_worker_builds_its_arn_from(templates, cfg):
    # Given the dev stage / When synthesized / Then the topic is "<prefix>-alerts" with the email subscribed
    mon = templates["Monitoring"]
    mon.has_resource_properties("AWS::SNS::Topic", {"TopicName": f"{cfg.prefix}-alerts"})
    mon.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": cfg.monitoring.alert_email})


def test_slack_forwarder_reads_the_webhook_parameter(templates, cfg):
    mon = templates["Monitoring"]
    name = f"/{cfg.prefix}/slack/webhook"
    mon.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "notify.handler.lambda_handler",
            "Environment": {"Variables": Match.object_like({"SLACK_WEBHOOK_PARAMETER": name})},
        },
    )
    mon.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "lambda"})
    policies = mon.find_resources("AWS::IAM::Policy")
    assert f":parameter{name}" in str(policies), "the forwarder's role cannot read the webhook parameter"


def test_every_alarm_notifies_the_topic_and_links_an_existing_runbook(templates, cfg):
    alarms = _alarms(templates["Monitoring"])
    assert alarms
    topic_id = next(iter(templates["Monitoring"].find_resources("AWS::SNS::Topic")))
    prefix = runbook_url(cfg, "X").rsplit("/", 1)[0] + "/"
    for name, props in alarms.items():
        assert props["AlarmActions"] == [{"Ref": topic_id}], name
        # recovery reaches the same people as the firing
        assert props["OKActions"] == [{"Ref": topic_id}], name
        kind = re.search(re.escape(prefix) + r"([a-z0-9-]+)\.md", props["AlarmDescription"])
        assert kind, f"{name} has no runbook link"
        assert (ROOT / "docs" / "runbooks" / f"{kind.group(1)}.md").is_file(), (
            f"{name}: runbook {kind.group(1)} missing"
        )


def test_budget_notifies_the_topic_once_at_80_forecast_and_100_actual(templates, cfg):
    mon = templates["Monitoring"]
    topic_id = next(iter(mon.find_resources("AWS::SNS::Topic")))
    budget = next(iter(mon.find_resources("AWS::Budgets::Budget").values()))["Properties"]
    assert budget["Budget"]["BudgetLimit"] == {"Amount": cfg.monitoring.monthly_budget_usd, "Unit": "USD"}
    assert budget["Budget"]["TimeUnit"] == "MONTHLY" and budget["Budget"]["BudgetType"] == "COST"
    notes = {
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"]): n["Subscribers"]
        for n in budget["NotificationsWithSubscribers"]
    }
    assert set(notes) == {("FORECASTED", 80), ("ACTUAL", 100)}
    for subscribers in notes.values():
        # The topic's email subscription is the one email path; a second EMAIL subscriber would double every notice.
        assert subscribers == [{"SubscriptionType": "SNS", "Address": {"Ref": topic_id}}]
    mon.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": cfg.monitoring.alert_email})
    # Budgets can only publish when the topic policy lets budgets.amazonaws.com in.
    mon.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Principal": {"Service": "budgets.amazonaws.com"}, "Action": "sns:Publish"})]
                )
            }
        },
    )


def test_one_dashboard(templates, cfg):
    templates["Monitoring"].resource_count_is("AWS::CloudWatch::Dashboard", 1)
    templates["Monitoring"].has_resource_properties(
        "AWS::CloudWatch::Dashboard", {"DashboardName": f"{cfg.prefix}-overview"}
    )


def test_the_dashboard_shows_ai_dollars_per_day_for_each_configured_model(templates, cfg):
    import json as _json

    (dashboard,) = templates["Monitoring"].find_resources("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, dict):  # Fn::Join of text and tokens (region, ids): tokens sit inside strings
        body = "".join(p if isinstance(p, str) else "TOKEN" for p in body["Fn::Join"][1])
    widgets = _json.loads(body)["widgets"]
    (ai,) = [w["properties"] for w in widgets if w["properties"].get("title") == "Azure AI: USD per day per model"]
    # One daily sum per model of the AiCostUsd metric the spend guard emits, for this stage only
    expressions = sorted(m[0]["expression"] for m in ai["metrics"])
    assert expressions == [
        f'SUM(SEARCH(\'{{Huntaze,Model,Stage,service}} MetricName="AiCostUsd" Model="{model}" '
        f"Stage=\"{cfg.stage}\"', 'Sum', 86400))"
        for model in sorted(set(cfg.azure.models.values()))
    ]
    assert ai["period"] == 86400 and ai["stacked"] is True
    assert [a["value"] for a in ai["annotations"]["horizontal"]] == [cfg.azure.daily_budget_usd, 1.0]


def test_rds_alarm_thresholds_follow_the_instance(templates, cfg):
    alarms = _alarms(templates["Monitoring"])
    by_metric = {p["MetricName"]: p for p in alarms.values() if p.get("Namespace") == "AWS/RDS"}
    assert set(by_metric) == {"CPUUtilization", "FreeStorageSpace", "DatabaseConnections"}
    storage = by_metric["FreeStorageSpace"]
    assert storage["Threshold"] == cfg.data.db_allocated_storage_gb * cfg.monitoring.rds_free_storage_ratio * 2**30
    assert storage["ComparisonOperator"] == "LessThanOrEqualToThreshold"
    expected = int(
        max_db_connections(f"db.{cfg.data.db_instance_class}", cfg.monitoring) * cfg.monitoring.rds_connections_ratio
    )
    assert by_metric["DatabaseConnections"]["Threshold"] == expected


def test_max_connections_follows_rds_formula_on_memory_less_the_reserve(cfg):
    # Given the RDS formula LEAST(DBInstanceClassMemory / 9531392, 5000) and the configured OS/RDS reserve
    m = cfg.monitoring
    # Then db.t4g.micro gets fewer than its nominal 1 GiB would give (112), and the estimate is documented arithmetic
    micro = max_db_connections("db.t4g.micro", m)
    assert micro == (1024 - m.rds_memory_reserve_mib) * 2**20 // 9_531_392
    assert micro < 2**30 // 9_531_392
    assert max_db_connections("db.t4g.small", m) > micro
    assert (
        max_db_connections("db.r7g.16xlarge", m.model_copy(update={"rds_max_connections": {"db.r7g.16xlarge": 5000}}))
        == 5000
    )


def test_a_measured_max_connections_wins_and_an_unknown_class_is_a_clear_error(cfg):
    measured = cfg.monitoring.model_copy(update={"rds_max_connections": {"db.t4g.micro": 81}})
    assert max_db_connections("db.t4g.micro", measured) == 81
    # bad input tried: a class whose memory the table does not know and no measured value
    with pytest.raises(ValueError, match="rds_max_connections"):
        max_db_connections("db.x9.weird", cfg.monitoring)


def test_one_account_level_lambda_throttles_alarm_instead_of_one_per_function(templates):
    alarms = _alarms(templates["Monitoring"])
    throttles = [p for p in alarms.values() if p["MetricName"] == "Throttles"]
    # The account metric has no dimensions: it counts every function's throttles.
    assert len(throttles) == 1
    assert throttles[0]["Namespace"] == "AWS/Lambda" and "Dimensions" not in throttles[0]
    assert "account-throttles.md" in throttles[0]["AlarmDescription"]


def test_the_scheduler_dlq_is_alarmed_as_a_dlq_not_as_a_queue(templates, cfg):
    # Given the schedules' DLQ, which no queue's redrive policy names (only the schedules' DeadLetterConfig)
    alarms = _alarms(templates["Monitoring"])
    by_name = {p["AlarmName"]: p for p in alarms.values()}
    # Then it has the any-visible-message alarm and no age-of-oldest alarm
    assert f"{cfg.prefix}-dlq-messages-Cron-SchedulesDlq" in by_name
    assert not any(n.startswith(f"{cfg.prefix}-queue-age-Cron-SchedulesDlq") for n in by_name)


def test_monitoring_stack_has_no_nag_errors(stacks):
    report = AwsSolutionsChecks().validate_scope(stacks.monitoring)
    assert [v.rule_name for v in report.violations if v.severity == "error"] == []


def test_a_new_worker_gets_its_alarms_without_code_change(cfg):
    # Given a stack that only holds a QueueWorker nobody told the monitoring about
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    env = cdk.Environment(region=cfg.region)
    extra = cdk.Stack(app, "Huntaze-Dev-Extra", env=env)
    worker = QueueWorker(
        extra,
        "Reports",
        cfg=cfg,
        worker=cfg.cron.data,
        task="reports",
        package="migrate",
        handler="migrate.handler.lambda_handler",
        description="a new worker",
    )
    # When the monitoring stack watches that stack
    network = NetworkStack(app, "Huntaze-Dev-Network", cfg=cfg, env=env)
    data = DataStack(app, "Huntaze-Dev-Data", cfg=cfg, network=network, env=env)
    mon = MonitoringStack(app, "Huntaze-Dev-Monitoring", cfg=cfg, data=data, watched=[extra], env=env)
    alarms = _alarms(Template.from_stack(mon))
    # Then its queue, DLQ and function each have their alarms
    metrics = {(p["MetricName"], p["AlarmName"].split(f"{cfg.prefix}-", 1)[1]) for p in alarms.values()}
    assert ("ApproximateNumberOfMessagesVisible", "dlq-messages-Extra-Reports-Dlq") in metrics
    assert ("ApproximateAgeOfOldestMessage", "queue-age-Extra-Reports-Queue") in metrics
    for metric, kind in (("Errors", "errors"), ("Duration", "duration")):
        assert (metric, f"function-{kind}-Extra-Reports-Function") in metrics
    # Its throttles are the account alarm's (one for all functions)
    assert ("Throttles", "account-throttles-Monitoring-Lambda") in metrics
    age = next(p for p in alarms.values() if p["MetricName"] == "ApproximateAgeOfOldestMessage")
    # The age alarm never fires inside one visibility timeout (a normal retry).
    visibility = extra.resolve(worker.queue.node.default_child.visibility_timeout)
    assert age["Threshold"] == max(cfg.monitoring.queue_age_alarm_seconds, visibility)
    duration = next(p for p in alarms.values() if p["MetricName"] == "Duration")
    assert duration["Threshold"] == round(
        cfg.cron.data.timeout_seconds * 1000 * cfg.monitoring.function_duration_alarm_ratio
    )


def test_the_topic_policy_admits_cloudwatch_alarms_of_this_account(templates):
    # SNS's default policy is gone once the stack writes one: without this statement no alarm reaches anyone.
    policy = next(iter(templates["Monitoring"].find_resources("AWS::SNS::TopicPolicy").values()))
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    cloudwatch = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(cloudwatch) == 1
    allow = cloudwatch[0]
    assert allow["Effect"] == "Allow" and allow["Action"] == "sns:Publish"
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":alarm:*" in str(allow["Condition"]["ArnLike"]["aws:SourceArn"])


def test_slack_forwarder_failures_land_in_an_alarmed_dlq(templates, cfg):
    mon = templates["Monitoring"]
    dlq_id = next(iter(mon.find_resources("AWS::SQS::Queue", {"Properties": {"QueueName": f"{cfg.prefix}-slack-dlq"}})))
    dlq_arn = {"Fn::GetAtt": [dlq_id, "Arn"]}
    # SNS redrives what it could not deliver to the function
    mon.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "lambda", "RedrivePolicy": {"deadLetterTargetArn": dlq_arn}}
    )
    # Lambda sends what failed every retry of the asynchronous invocation
    mon.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {"DestinationConfig": {"OnFailure": {"Destination": dlq_arn}}, "MaximumRetryAttempts": 2},
    )
    # and any message there alarms
    mon.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": f"{cfg.prefix}-slack-dlq"}],
        },
    )


def test_monitoring_imports_nothing_from_another_stack(templates):
    # Given the dev stage / When synthesized
    text = json.dumps(templates["Monitoring"].to_json())
    # Then no value of another stack comes in as an export: removing or replacing what it
    # watches (a worker, the router, the API) is one deploy, never an "export in use" deadlock
    assert "Fn::ImportValue" not in text


@pytest.mark.parametrize(
    ("what", "metric", "dimension"),
    [
        ("http-api", "5xx", "ApiId"),
        ("database", "CPUUtilization", "DBInstanceIdentifier"),
        ("router-function", "Errors", "FunctionName"),
    ],
)
def test_ids_no_one_can_name_are_read_from_the_parameters_their_stacks_publish(templates, cfg, what, metric, dimension):
    # Given the stack that owns it publishes the id under the naming module's parameter name
    name = names.parameter(cfg.prefix, what)
    owners = [
        s for s, t in templates.items() if t.find_resources("AWS::SSM::Parameter", {"Properties": {"Name": name}})
    ]
    assert len(owners) == 1 and owners != ["Monitoring"], owners
    # Then Monitoring reads it as an SSM-typed template parameter, and its alarm uses that value
    mon = templates["Monitoring"].to_json()
    (param,) = [k for k, v in mon["Parameters"].items() if v.get("Default") == name]
    assert mon["Parameters"][param]["Type"] == "AWS::SSM::Parameter::Value<String>"
    alarms = [p for p in _alarms(templates["Monitoring"]).values() if p["MetricName"] == metric]
    assert any({"Name": dimension, "Value": {"Ref": param}} in a["Dimensions"] for a in alarms)
