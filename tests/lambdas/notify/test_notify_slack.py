"""The Slack forwarder against a local HTTP server speaking the webhook protocol."""

from __future__ import annotations

import json

import boto3

from notify import handler, slack

ALARM = {
    "AlarmName": "huntaze-dev-dlq-messages-Video-Worker-Dlq",
    "NewStateValue": "ALARM",
    "NewStateReason": "Threshold Crossed",
    "AlarmDescription": "Runbook: https://github.com/x/y/blob/main/docs/runbooks/dlq-messages.md",
}


def test_handler_posts_each_alarm_with_its_runbook(aws, httpserver, monkeypatch):
    boto3.client("ssm").put_parameter(
        Name="/huntaze-dev/slack/webhook", Value=httpserver.url_for("/hook"), Type="SecureString"
    )
    monkeypatch.setenv("SLACK_WEBHOOK_PARAMETER", "/huntaze-dev/slack/webhook")
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok")
    event = {"Records": [{"Sns": {"Subject": "ALARM", "Message": json.dumps(ALARM)}}]}

    assert handler.lambda_handler.__wrapped__(event, None) == {"sent": 1, "skipped": 0}
    text = json.loads(httpserver.log[0][0].data)["text"]
    assert ALARM["AlarmName"] in text and "docs/runbooks/dlq-messages.md" in text


def test_plain_text_messages_keep_subject_and_body():
    assert slack.format_alert("AWS Budgets", "80% of budget")["text"].endswith("*AWS Budgets*\n80% of budget")


def test_handler_skips_a_message_published_for_email_only(aws, httpserver, monkeypatch):
    # Given a rule alert the alerts worker published for email (it posts to Slack itself)
    monkeypatch.setenv("SLACK_WEBHOOK_PARAMETER", "/huntaze-dev/slack/webhook")
    email_only = {
        "Subject": "[huntaze dev] FIRING x",
        "Message": "FIRING x",
        "MessageAttributes": {"huntaze_channel": {"Type": "String", "Value": "email"}},
    }

    # Then the forwarder does not post it: one Slack path per alert
    assert handler.lambda_handler.__wrapped__({"Records": [{"Sns": email_only}]}, None) == {"sent": 0, "skipped": 1}
    assert httpserver.log == []
