"""A simulated world for the alert checker: real PostgreSQL, SNS/SQS in moto, Slack on a local server.

Time is simulated: the alerts run every 5 minutes and the data job's
rollups every 15 (on their own schedule, as deployed), both on ``now``.
Email is read back from an SQS queue subscribed to the topic; what the
SNS -> Slack forwarder would post is derived with its own filter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
from cron_testdata import T0
from werkzeug import Request, Response

from common import job_store
from cron import alerts, alerts_store, rollups, rule_file
from cron.alert_metrics import SqlMetrics
from cron.delivery import RetryPolicy
from cron.health import DlqDepths
from cron.notify import Notifier
from notify import slack as forwarder

ROUTES = {"critical": ["email", "slack"], "warning": ["slack"]}


@dataclass
class World:
    conn: Any
    httpserver: Any
    now: datetime = T0
    slack_answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    slept: list[float] = field(default_factory=list)
    ai_budget: int = 1000  # micro-USD a month
    remaining_s: float = 60.0

    def __post_init__(self) -> None:
        self.sns, self.sqs = boto3.client("sns"), boto3.client("sqs")
        self.topic = self.sns.create_topic(Name="huntaze-test-alerts")["TopicArn"]
        self.inbox = self.sqs.create_queue(QueueName="email-inbox")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=arn)
        self.dlq = self.sqs.create_queue(QueueName="huntaze-test-video-dlq")["QueueUrl"]
        self.httpserver.expect_request("/slack", method="POST").respond_with_handler(self._slack)
        self.emails: list[dict[str, Any]] = []

    # -- the world ---------------------------------------------------------------
    def rules(self, *rules: dict[str, Any]) -> None:
        alerts_store.apply_rules(self.conn, rule_file.parse({"routes": ROUTES, "rules": list(rules)}).rules)

    def dlq_messages(self, n: int) -> None:
        for m in self.sqs.receive_message(QueueUrl=self.dlq, MaxNumberOfMessages=10).get("Messages", []):
            self.sqs.delete_message(QueueUrl=self.dlq, ReceiptHandle=m["ReceiptHandle"])
        for i in range(n):
            self.sqs.send_message(QueueUrl=self.dlq, MessageBody=f"m{i}")

    def views(self, start: datetime, hours: int, per_hour: int = 100) -> None:
        """A steady stream of views, each ingested 20 s after it occurred."""
        columns = "account_id, content_id, event_type, value, occurred_at, ingested_at"
        with (
            self.conn.transaction(),
            self.conn.cursor() as cur,
            cur.copy(f"COPY content_events ({columns}) FROM STDIN") as cp,
        ):
            for h in range(hours):
                for i in range(per_hour):
                    occurred = start + timedelta(hours=h, seconds=i * 3600 // per_hour)
                    cp.write_row(("a", "c", "view", 1, occurred, occurred + timedelta(seconds=20)))

    # -- time ----------------------------------------------------------------------
    def advance(self, minutes: int, each: Callable[[World], None] | None = None) -> list[dict[str, Any]]:
        """Run the schedules for ``minutes`` of simulated time (alerts first when both are due)."""
        results = []
        for _ in range(0, minutes, 5):
            if each:
                each(self)
            results.append(self.alert())
            if self.now.minute % 15 == 0:
                rollups.run_incremental(
                    self.conn, window_end=self.now, lookback=timedelta(hours=48), settle=timedelta(seconds=60)
                )
            self.now += timedelta(minutes=5)
        return results

    def alert(self, at: datetime | None = None, job_id: Any = None, clock: Callable[[], datetime] | None = None) -> Any:
        job_id = job_id or job_store.create_job(self.conn, "alerts")[0].id
        return alerts.run(
            self.conn,
            job_id=job_id,
            at=at or self.now,
            metrics=SqlMetrics(
                self.conn, ai_monthly_budget=self.ai_budget, dlqs=DlqDepths({"video": self.dlq}, self.sqs)
            ),
            send=self.delivery(),
            clock=clock or (lambda: self.now),
        )

    def delivery(self) -> alerts.Delivery:
        notifier = Notifier(
            topic_arn=self.topic,
            slack_webhook_url=lambda *, refresh=False: self.httpserver.url_for("/slack"),
            sns_client=self.sns,
        )
        return alerts.Delivery(
            notifier=notifier,
            stage="test",
            runbook_base="https://github.com/o/r/blob/main/",
            sleep=self.slept.append,
            retry=RetryPolicy(attempts=3, backoff_s=1.0, max_wait_s=20.0),
            remaining_s=lambda: self.remaining_s,
        )

    # -- what people received --------------------------------------------------------
    def _slack(self, request: Request) -> Response:
        status, headers = self.slack_answers.pop(0) if self.slack_answers else (200, {})
        return Response("ok" if status == 200 else "busy", status=status, headers=headers)

    def slack_posts(self) -> list[str]:
        """Texts Slack accepted: the worker's posts, plus what the forwarder would carry from the topic."""
        direct = [json.loads(r.get_data())["text"] for r, resp in self.httpserver.log if resp.status_code == 200]
        return direct + [m["Message"] for m in self.inbox_messages() if not forwarder.for_one_channel(m)]

    def inbox_messages(self) -> list[dict[str, Any]]:
        while True:
            got = self.sqs.receive_message(QueueUrl=self.inbox, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return self.emails
            for m in got:
                body = json.loads(m["Body"])
                body["MessageAttributes"] = {
                    k: {"Type": v["Type"], "Value": v["Value"]} for k, v in body.get("MessageAttributes", {}).items()
                }
                self.emails.append(body)
                self.sqs.delete_message(QueueUrl=self.inbox, ReceiptHandle=m["ReceiptHandle"])

    def subjects(self) -> dict[str, list[str]]:
        """First line of each message per channel: email subjects, Slack headings."""
        return {
            "email": [m["Subject"] for m in self.inbox_messages()],
            "slack": [text.splitlines()[0] for text in self.slack_posts()],
        }
