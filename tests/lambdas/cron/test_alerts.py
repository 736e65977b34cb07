"""The alert checker against real PostgreSQL, SNS/SQS in moto and Slack on a local HTTP server."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import boto3
import psycopg
import pytest
from cron_testdata import T0
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from werkzeug import Response

from common import job_store
from common.errors import PermanentError, TransientError
from cron import alerts, runners
from cron.alerts_store import SqlMetrics
from cron.health import DlqDepths
from cron.notify import Notifier

AT = T0 + timedelta(minutes=5)  # rollup window: the hour before T0


@dataclass
class World:
    conn: Any
    sqs: Any
    topic_arn: str
    inbox_url: str
    dlq_url: str
    httpserver: Any

    def run(self, at=AT, job=None, *, slack_url=None, dlq_url=None) -> dict[str, Any]:
        job = job or job_store.create_job(self.conn, "alerts")[0]
        metrics = SqlMetrics(self.conn)
        metrics.dlq_depth = DlqDepths({"video": dlq_url or self.dlq_url}, self.sqs).depth
        notifier = Notifier(
            topic_arn=self.topic_arn,
            slack_webhook_url=slack_url or (lambda *, refresh=False: self.httpserver.url_for("/slack/hook")),
            sns_client=boto3.client("sns"),
        )
        return alerts.run(self.conn, job_id=job.id, at=at, metrics=metrics, notifier=notifier, stage="test")

    def emails(self) -> list[dict[str, Any]]:
        out = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.inbox_url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return out
            for m in got:
                out.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.inbox_url, ReceiptHandle=m["ReceiptHandle"])

    def slack_posts(self) -> list[dict[str, Any]]:
        return [json.loads(r.get_data()) for r, _ in self.httpserver.log if r.path == "/slack/hook"]

    def events(self, rule: str) -> list[dict[str, Any]]:
        with self.conn.transaction():
            return self.conn.execute(
                "SELECT e.state, e.notified, e.notified_channels, e.channel_errors, e.value, e.message FROM alert_events e "
                "JOIN alert_rules r ON r.id = e.rule_id WHERE r.name = %s ORDER BY e.created_at, e.id",
                (rule,),
            ).fetchall()


@pytest.fixture
def world(db_conn, aws, httpserver) -> World:
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic_arn = sns.create_topic(Name="huntaze-test-alerts")["TopicArn"]
    inbox_url = sqs.create_queue(QueueName="email-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn)
    dlq_url = sqs.create_queue(QueueName="huntaze-test-video-dlq")["QueueUrl"]
    httpserver.expect_request("/slack/hook", method="POST").respond_with_data("ok")
    return World(db_conn, sqs, topic_arn, inbox_url, dlq_url, httpserver)


def add_rule(conn, name, kind, definition, *, cooldown=3600, channels=("email", "slack")) -> None:
    with conn.transaction():
        conn.execute(
            "INSERT INTO alert_rules (name, kind, definition, cooldown_seconds, channels) VALUES (%s, %s, %s, %s, %s)",
            (name, kind, Jsonb(definition), cooldown, list(channels)),
        )


def set_views(conn, hour, count) -> None:
    with conn.transaction():
        conn.execute(
            "INSERT INTO content_rollups_hourly (bucket_start, account_id, content_id, event_type, event_count, value_sum) "
            "VALUES (%s, 'acct', 'c1', 'view', %s, %s) ON CONFLICT (bucket_start, account_id, content_id, event_type) "
            "DO UPDATE SET event_count = EXCLUDED.event_count, value_sum = EXCLUDED.value_sum",
            (hour, count, count),
        )


def fail_a_job(conn, at) -> None:
    job, _ = job_store.create_job(conn, "video")
    job_store.fail_unstarted(conn, job.id, PermanentError("not_a_video", "bad file"))
    with conn.transaction():
        conn.execute("UPDATE jobs SET updated_at = %s WHERE id = %s", (at, job.id))


def age_jobs(conn, at) -> None:
    with conn.transaction():
        conn.execute("UPDATE jobs SET updated_at = %s", (at,))


def _hour(offset: int):
    return T0 + timedelta(hours=offset)


# kind -> (definition, make it fire, make it clear)
CASES = {
    "threshold": (
        {"event_type": "view", "op": ">", "value": 100},
        lambda w: set_views(w.conn, _hour(-1), 150),
        lambda w: set_views(w.conn, _hour(-1), 90),
    ),
    "change": (
        {"event_type": "view", "percent": 50, "direction": "up"},
        lambda w: (set_views(w.conn, _hour(-2), 100), set_views(w.conn, _hour(-1), 200)),
        lambda w: set_views(w.conn, _hour(-1), 110),
    ),
    "no_data": (
        {"event_type": "view", "window_hours": 1},
        lambda w: None,
        lambda w: set_views(w.conn, _hour(-1), 1),
    ),
    "dlq_depth": (
        {"queue": "video", "max": 0},
        lambda w: [w.sqs.send_message(QueueUrl=w.dlq_url, MessageBody=f"m{i}") for i in range(3)],
        lambda w: w.sqs.purge_queue(QueueUrl=w.dlq_url),
    ),
    "failed_jobs": (
        {"task": "video", "window_minutes": 60, "max": 0},
        lambda w: fail_a_job(w.conn, AT - timedelta(minutes=10)),
        lambda w: age_jobs(w.conn, AT - timedelta(hours=3)),
    ),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_each_rule_kind_fires_then_clears(world, kind):
    definition, fire, clear = CASES[kind]
    # Given a rule of this kind (no cooldown) whose condition holds
    add_rule(world.conn, f"r-{kind}", kind, definition, cooldown=0)
    fire(world)

    # When the checker runs, then runs again after the condition went away
    first = world.run()
    clear(world)
    second = world.run(at=AT + timedelta(minutes=5))

    # Then it fired and notified on both channels, then resolved and said so
    assert first["firing"] == [f"r-{kind}"] and second["firing"] == []
    events = world.events(f"r-{kind}")
    assert [(e["state"], e["notified"], sorted(e["notified_channels"])) for e in events] == [
        ("firing", True, ["email", "slack"]),
        ("resolved", True, ["email", "slack"]),
    ]
    subjects = [m["Subject"] for m in world.emails()]
    assert subjects == [f"[huntaze test] r-{kind} FIRING", f"[huntaze test] r-{kind} RESOLVED"]
    assert [p["text"].splitlines()[0] for p in world.slack_posts()] == [f"*{s}*" for s in subjects]


def test_change_reports_the_percentage(world):
    add_rule(world.conn, "views-up", "change", {"event_type": "view", "percent": 50})
    set_views(world.conn, _hour(-2), 80)
    set_views(world.conn, _hour(-1), 200)
    world.run()
    assert world.events("views-up")[0]["value"] == Decimal("150.00")


def test_a_rule_that_stays_quiet_records_nothing(world):
    add_rule(world.conn, "quiet", "threshold", {"event_type": "view", "value": 1000})
    set_views(world.conn, _hour(-1), 5)
    assert world.run()["events"] == []
    assert world.events("quiet") == [] and world.emails() == []


def test_cooldown_holds_across_flapping_and_reminds_after_it(world):
    # Given a rule with a one-hour cooldown that fires
    add_rule(world.conn, "flappy", "dlq_depth", {"queue": "video"}, cooldown=3600)
    world.sqs.send_message(QueueUrl=world.dlq_url, MessageBody="x")
    world.run(at=AT)
    # When it clears, fires again and keeps firing, all inside the hour
    world.sqs.purge_queue(QueueUrl=world.dlq_url)
    world.run(at=AT + timedelta(minutes=5))
    world.sqs.send_message(QueueUrl=world.dlq_url, MessageBody="y")
    world.run(at=AT + timedelta(minutes=10))
    world.run(at=AT + timedelta(minutes=15))
    # Then only the first event was notified; the rest are recorded silently
    events = world.events("flappy")
    assert [(e["state"], e["notified"]) for e in events] == [("firing", True), ("resolved", False), ("firing", False)]
    assert len(world.emails()) == 1 and len(world.slack_posts()) == 1

    # When it is still firing after the cooldown, a reminder goes out
    world.run(at=AT + timedelta(minutes=61))
    assert [(e["state"], e["notified"]) for e in world.events("flappy")][-1] == ("firing", True)
    assert len(world.emails()) == 1 and len(world.slack_posts()) == 2


@pytest.mark.parametrize(
    ("definition", "kind", "error"),
    [
        ({"event_type": "view"}, "threshold", "'value' is required"),
        ({"event_type": "view", "value": 1, "op": "!="}, "threshold", "'op' must be one of"),
        ({"event_type": "view", "value": "ten"}, "threshold", "'value' must be a number"),
        ({"value": 1}, "threshold", "'event_type' is required"),
        ({"event_type": "view", "percent": 10, "window_hours": 0}, "change", "'window_hours' must be a whole number"),
        ({"queue": "nope"}, "dlq_depth", "'queue' must be one of"),
        ({"queue": "alerts"}, "dlq_depth", "no dead-letter queue is known for 'alerts'"),
        ({"max": -1}, "failed_jobs", "'max' must be a whole number"),
    ],
    ids=[
        "no-value",
        "bad-op",
        "text-value",
        "no-event-type",
        "zero-window",
        "unknown-queue",
        "unwatched-queue",
        "negative-max",
    ],
)
def test_bad_rule_is_reported_and_skipped_while_the_others_run(world, definition, kind, error):
    # Given a broken rule and a good rule that fires
    add_rule(world.conn, "broken", kind, definition)
    add_rule(world.conn, "good", "no_data", {"event_type": "view"})

    result = world.run()

    assert [(e["rule"], e["reason"]) for e in result["ruleErrors"]] == [("broken", "bad_rule")]
    assert error in result["ruleErrors"][0]["error"]
    assert result["firing"] == ["good"] and world.events("broken") == []
    assert [m["Subject"] for m in world.emails()] == ["[huntaze test] good FIRING"]


def test_slack_outage_is_retried_without_emailing_twice(world):
    # Given Slack answering 500 when the rule fires
    world.httpserver.clear()
    world.httpserver.expect_request("/slack/hook").respond_with_data("down", status=500)
    add_rule(world.conn, "dlq", "dlq_depth", {"queue": "video"})
    world.sqs.send_message(QueueUrl=world.dlq_url, MessageBody="x")
    job, _ = job_store.create_job(world.conn, "alerts")
    with pytest.raises(TransientError) as err:
        world.run(job=job)
    assert err.value.reason == "alert_delivery_failed"
    assert len(world.emails()) == 1

    # When the same run is retried and Slack is back
    world.httpserver.clear()
    world.httpserver.expect_request("/slack/hook").respond_with_data("ok")
    world.run(job=job)

    # Then Slack gets it once, email is not sent again, and the event is complete
    assert world.emails() == [] and len(world.slack_posts()) == 1
    (event,) = world.events("dlq")
    assert sorted(event["notified_channels"]) == ["email", "slack"] and event["channel_errors"] == {}


def test_revoked_slack_webhook_is_reported_not_retried(world):
    world.httpserver.clear()
    world.httpserver.expect_request("/slack/hook").respond_with_data("invalid_token", status=403)
    add_rule(world.conn, "nodata", "no_data", {"event_type": "view"})

    result = world.run()

    assert result["deliveryErrors"] == [{"rule": "nodata", "channel": "slack", "reason": "slack_rejected"}]
    (event,) = world.events("nodata")
    assert event["notified_channels"] == ["email"] and "invalid_token" in event["channel_errors"]["slack"]


def test_revoked_slack_webhook_is_refreshed_once_from_its_rotated_secret(world):
    # Given the Slack webhook secret, read (and cached) while it held a URL Slack now refuses
    sm = boto3.client("secretsmanager")
    sm.create_secret(Name="huntaze-test/slack", SecretString=world.httpserver.url_for("/slack/revoked"))
    world.httpserver.expect_request("/slack/revoked").respond_with_data("invalid_token", status=403)
    webhook = runners.slack_webhook_url("huntaze-test/slack")
    assert webhook().endswith("/slack/revoked")
    # And the secret rotated to a working webhook since
    sm.put_secret_value(SecretId="huntaze-test/slack", SecretString=world.httpserver.url_for("/slack/hook"))
    add_rule(world.conn, "nodata", "no_data", {"event_type": "view"}, channels=("slack",))

    # When the rule fires
    result = world.run(slack_url=webhook)

    # Then the refused post led to one fresh read of the secret and the alert reached the new webhook
    assert result["deliveryErrors"] == []
    assert [r.path for r, _ in world.httpserver.log] == ["/slack/revoked", "/slack/hook"]
    (event,) = world.events("nodata")
    assert event["notified_channels"] == ["slack"] and event["channel_errors"] == {}


def test_unreadable_dlq_fails_the_run_as_transient_after_the_other_rules(world):
    # Given a DLQ rule whose queue cannot be read (SQS error) and a good rule that fires
    add_rule(world.conn, "dlq", "dlq_depth", {"queue": "video"})
    add_rule(world.conn, "good", "no_data", {"event_type": "view"})
    missing = world.dlq_url.replace("huntaze-test-video-dlq", "no-such-queue")
    job, _ = job_store.create_job(world.conn, "alerts")

    # When the checker runs
    with pytest.raises(TransientError) as err:
        world.run(job=job, dlq_url=missing)

    # Then the job fails as retryable (not a silent rule error), after the good rule notified
    assert err.value.reason == "sqs_unavailable" and "dlq" in err.value.message
    assert [m["Subject"] for m in world.emails()] == ["[huntaze test] good FIRING"]

    # When the retry finds SQS readable (and the DLQ holding a message)
    world.sqs.send_message(QueueUrl=world.dlq_url, MessageBody="x")
    result = world.run(job=job)

    # Then the DLQ rule fires, and the good rule is not notified a second time
    assert result["firing"] == ["dlq"]
    assert [m["Subject"] for m in world.emails()] == ["[huntaze test] dlq FIRING"]


def test_overlapping_runs_notify_once_inside_the_cooldown(world, database_url):
    # Given a firing rule with a cooldown and a Slack webhook slow enough for two runs to overlap
    world.httpserver.clear()

    def slow_ok(_request):
        time.sleep(0.3)
        return Response("ok")

    world.httpserver.expect_request("/slack/hook", method="POST").respond_with_handler(slow_ok)
    add_rule(world.conn, "nodata", "no_data", {"event_type": "view"}, cooldown=3600, channels=("slack",))
    scheduled, _ = job_store.create_job(world.conn, "alerts")
    on_demand, _ = job_store.create_job(world.conn, "alerts")
    start = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def evaluate(name, job):
        # Each run on its own connection, as two Lambda invocations would be
        with psycopg.connect(database_url, row_factory=dict_row) as conn:
            notifier = Notifier(
                topic_arn=None, slack_webhook_url=lambda *, refresh=False: world.httpserver.url_for("/slack/hook")
            )
            start.wait()
            try:
                outcomes[name] = alerts.run(
                    conn, job_id=job.id, at=AT, metrics=SqlMetrics(conn), notifier=notifier, stage="test"
                )
            except Exception as exc:  # surfaced by the assertion below
                outcomes[name] = exc

    # When a scheduled run and an on-demand run evaluate it at the same time
    threads = [
        threading.Thread(target=evaluate, args=args) for args in (("scheduled", scheduled), ("on_demand", on_demand))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    # Then both succeed, exactly one notification went out, and one firing event carries it
    assert all(isinstance(o, dict) for o in outcomes.values()), outcomes
    assert len(world.slack_posts()) == 1
    assert [(e["state"], e["notified_channels"]) for e in world.events("nodata")] == [("firing", ["slack"])]
