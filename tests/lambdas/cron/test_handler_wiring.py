"""The trends and alerts workers through their Lambda entry point, configured only by environment."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from cron_testdata import AI_BUDGET_ENV, T0, Context, chat_reply, jobs_rows, scheduled, sqs_event

from stacks.config import TrendSourceConfig


@pytest.fixture
def configure(database_env, monkeypatch):
    from common import azure_ai, settings
    from cron import settings as cron_settings
    from tools import function_env

    def apply(**env: str):
        monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
        monkeypatch.setenv("STAGE", "test")
        for key, value in {**function_env.trends(), **function_env.alerts(), **function_env.azure("", "")}.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("MAX_RECEIVE_COUNT", "3")  # QueueWorker sets it from the queue's redrive policy
        for key, value in AI_BUDGET_ENV.items():
            monkeypatch.setenv(key, value)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings.reset()
        cron_settings.reset()
        azure_ai.reset_client()
        from cron import handler

        return handler.lambda_handler

    yield apply
    cron_settings.reset()
    azure_ai.reset_client()


def _earlier_snapshot(db_conn) -> None:
    """The trends worker's run six hours before: #fyp at 2 views, from the one local source."""
    from cron import trends_store

    trends_store.insert_snapshot(
        db_conn,
        job_id=None,
        window_start=T0 - timedelta(hours=6),
        items=[{"kind": "hashtag", "name": "fyp", "scale": "views", "count": 2, "sources": {"local": 2}}],
        growth={},
        source_errors=[],
        source_reports={"local": {"items": 1, "skipped": 0, "skippedRows": []}},
    )


def test_trends_worker_fetches_summarises_and_saves(configure, db_conn, httpserver):
    # Given a trend page that answered before with fewer views, and the chat-completions API, on a local server
    _earlier_snapshot(db_conn)
    httpserver.expect_request("/trends.json").respond_with_json({"items": [{"name": "#fyp", "count": 10}]})
    httpserver.expect_request("/models/chat/completions", method="POST").respond_with_json(
        chat_reply(json.dumps({"summary": "#fyp leads.", "names": ["fyp"]}))
    )
    source = {
        "name": "local",
        "url": httpserver.url_for("/trends.json"),
        "kind": "json",
        "count_scale": "views",
        "min_interval_seconds": 0,
    }
    handler = configure(
        TASK="trends",
        TREND_SOURCES=json.dumps([TrendSourceConfig(**source).model_dump()]),  # as the Cron stack dumps it
        TRENDS_ALLOWED_NETWORKS=json.dumps(["127.0.0.1/32"]),
        AZURE_AI_ENDPOINT=httpserver.url_for("/"),
        AZURE_AI_KEY="test-key",
        GENERATION_MODEL="DeepSeek-V3",
    )

    # When the scheduled message arrives
    response = handler(sqs_event(scheduled("trends")), Context(function_name="huntaze-test-trends"))

    # Then the job succeeded with its snapshot, and the model was called with the key
    assert response == {"batchItemFailures": []}
    (job,) = jobs_rows(db_conn)
    assert job["status"] == "succeeded" and [r["item"] for r in job["result"]["rising"]] == ["hashtag:fyp@views"]
    with db_conn.transaction():
        snap = db_conn.execute("SELECT summary, model FROM trend_snapshots WHERE window_start = %s", (T0,)).fetchone()
    assert snap == {"summary": "#fyp leads.", "model": "DeepSeek-V3"}
    (chat,) = [r for r, _ in httpserver.log if r.path.endswith("/chat/completions")]
    assert chat.headers["api-key"] == "test-key"


def test_a_trends_summary_over_the_days_ai_budget_defers_the_job_to_midnight(configure, db_conn, httpserver):
    # Given a rising trend to summarise, and a stage AI day of one micro-dollar
    _earlier_snapshot(db_conn)
    httpserver.expect_request("/trends.json").respond_with_json({"items": [{"name": "#fyp", "count": 10}]})
    source = {"name": "local", "url": httpserver.url_for("/trends.json"), "kind": "json", "count_scale": "views"}
    handler = configure(
        TASK="trends",
        TREND_SOURCES=json.dumps([TrendSourceConfig(**source, min_interval_seconds=0).model_dump()]),
        TRENDS_ALLOWED_NETWORKS=json.dumps(["127.0.0.1/32"]),
        AZURE_AI_ENDPOINT=httpserver.url_for("/"),
        AZURE_AI_KEY="test-key",
        GENERATION_MODEL="DeepSeek-V3",
        AI_DAILY_BUDGET_USD="0.000001",
    )
    # When the scheduled message arrives
    response = handler(sqs_event(scheduled("trends")), Context(function_name="huntaze-test-trends"))
    # Then the message is acknowledged, the model was not asked, and the job waits for the next UTC day
    assert response == {"batchItemFailures": []}
    assert not [r for r, _ in httpserver.log if r.path.endswith("/chat/completions")]
    (job,) = jobs_rows(db_conn)
    assert (job["status"], job["error_reason"]) == ("queued", "daily_budget_exceeded")
    with db_conn.transaction():
        wait = db_conn.execute("SELECT not_before FROM jobs").fetchone()["not_before"]
    assert (wait.hour, wait.minute, wait.second) == (0, 0, 0) and wait > datetime.now(UTC)
    # And the window's snapshot is saved, so the next day only summarises
    from cron import trends_store

    with db_conn.transaction():
        assert trends_store.get_snapshot(db_conn, T0).summary is None


def test_alerts_worker_applies_its_rules_file_and_notifies_through_sns_and_slack(
    configure, db_conn, aws, httpserver, tmp_path, monkeypatch
):
    from cron import rule_file

    # Given a DLQ with a message, the alerts topic, the Slack webhook secret and a rules file with a DLQ rule
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    dlq = sqs.create_queue(QueueName="huntaze-test-video-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody="stuck")
    topic = sns.create_topic(Name="huntaze-test-alerts")["TopicArn"]
    inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
    boto3.client("ssm").put_parameter(
        Name="/huntaze-test/slack/webhook", Value=httpserver.url_for("/hook"), Type="SecureString"
    )
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    rule = {"name": "video-dlq", "kind": "dlq_depth", "severity": "critical", "breaches": 1, "evaluations": 1}
    routes = {"critical": ["email", "slack"], "warning": ["slack"]}
    (tmp_path / "test.json").write_text(json.dumps({"routes": routes, "rules": [rule]}))
    monkeypatch.setattr(rule_file, "RULES_DIR", tmp_path)
    handler = configure(
        TASK="alerts",
        ALERTS_TOPIC_ARN=topic,
        SLACK_WEBHOOK_PARAMETER="/huntaze-test/slack/webhook",
        DLQ_URLS=json.dumps({"video": dlq}),
        ALERT_RULES_FILE="test.json",
    )

    # When the scheduled check runs
    response = handler(
        sqs_event(scheduled("alerts", when=T0 + timedelta(minutes=5))), Context(function_name="huntaze-test-alerts")
    )

    # Then the file's rule is the one rule, both channels got the alert and the job says what fired
    assert response == {"batchItemFailures": []}
    with db_conn.transaction():
        assert [r["name"] for r in db_conn.execute("SELECT name FROM alert_rules").fetchall()] == ["video-dlq"]
    (job,) = jobs_rows(db_conn)
    assert job["status"] == "succeeded" and job["result"]["firing"] == ["video-dlq"]
    (email,) = sqs.receive_message(QueueUrl=inbox)["Messages"]
    assert json.loads(email["Body"])["Subject"] == "[huntaze test] FIRING video-dlq"
    (post,) = [json.loads(r.get_data()) for r, _ in httpserver.log if r.path == "/hook"]
    assert "1 messages in the dead-letter queues (video 1; max 0)" in post["text"]
