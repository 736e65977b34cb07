"""tools/local's SQS poller and scheduler, on moto: what the event source mapping and Scheduler would do."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tools.local.deployment import EventSource, Schedule
from tools.local.lambda_runtime import LambdaContext, Poller
from tools.local.schedules import Scheduler, envelope, period_s

REGION = "us-east-2"


@pytest.fixture
def queues(aws) -> tuple[Any, str, str]:
    import boto3

    sqs = boto3.client("sqs", region_name=REGION)
    dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="work",
        Attributes={
            "VisibilityTimeout": "600",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
        },
    )["QueueUrl"]
    return sqs, url, dlq


def _poller(sqs: Any, batch_size: int = 10) -> Poller:
    source = EventSource("work", batch_size, 0.0, 2, True)
    return Poller(
        sqs,
        source,
        queue_arn="arn:aws:sqs:us-east-2:123456789012:work",
        region=REGION,
        visibility_s=600,
        max_receive=2,
        time_scale=0.0,
        label="work",
        log=logging.getLogger("test"),
    )


def _count(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


def _context() -> LambdaContext:
    return LambdaContext("work", 128, 60)


def test_a_batch_reaches_the_handler_as_an_sqs_event_and_successes_are_deleted(queues) -> None:
    sqs, url, _dlq = queues
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        seen.append(event)
        return {"batchItemFailures": []}

    handled = _poller(sqs, batch_size=2).run_once(handler, _context)

    assert handled == 2
    records = seen[0]["Records"]
    assert [r["body"] for r in records] == ["a", "b"]
    assert records[0]["eventSource"] == "aws:sqs"
    assert records[0]["eventSourceARN"].endswith(":work")
    assert records[0]["attributes"]["ApproximateReceiveCount"] == "1"
    assert _count(sqs, url) == 1


def test_a_reported_failure_comes_back_and_the_others_do_not(queues) -> None:
    sqs, url, _dlq = queues
    sqs.send_message(QueueUrl=url, MessageBody="good")
    sqs.send_message(QueueUrl=url, MessageBody="bad")

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        return {
            "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"]
        }

    _poller(sqs).run_once(handler, _context)
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]

    assert [m["Body"] for m in again] == ["bad"]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_a_message_that_always_fails_moves_to_the_dlq_after_max_receive_count(queues) -> None:
    sqs, url, dlq = queues
    sqs.send_message(QueueUrl=url, MessageBody="poison")

    def handler(event: dict[str, Any], _context: Any) -> Any:
        raise RuntimeError("always")

    poller = _poller(sqs)
    handled = [poller.run_once(handler, _context) for _ in range(3)]

    assert handled == [1, 1, 0]  # two receives, then SQS moves it instead of handing it out
    assert _count(sqs, url) == 0
    assert _count(sqs, dlq) == 1


def test_the_scheduled_envelope_carries_the_scheduled_time_as_scheduler_sends_it() -> None:
    schedule = Schedule(
        "s-data", "rate(15 minutes)", "data", '{"task":"data","scheduledTime":"<aws.scheduler.scheduled-time>"}', True
    )

    body = json.loads(envelope(schedule, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), REGION))

    assert body == {"task": "data", "scheduledTime": "2026-01-02T03:04:05Z"}
    assert period_s("rate(15 minutes)") == 900
    assert period_s("rate(1 hour)") == 3600


def test_a_rate_schedule_fires_at_start_and_then_every_scaled_period() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    sent: list[str] = []
    schedule = Schedule("s", "rate(10 minutes)", "q", '{"at":"<aws.scheduler.scheduled-time>"}', True)
    scheduler = Scheduler([schedule], lambda _q, b: sent.append(json.loads(b)["at"]), region=REGION, period_scale=0.1)
    scheduler.begin(start)

    for seconds in (0, 30, 59, 60, 61, 125):
        scheduler.tick(start + timedelta(seconds=seconds))

    # 10 minutes x 0.1 = every 60 s, each run stamped with the time it was due
    assert sent == ["2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"]


def test_a_cron_schedule_is_not_fired_locally() -> None:
    sent: list[str] = []
    schedule = Schedule("c", "cron(0 12 * * ? *)", "q", "{}", True)
    scheduler = Scheduler([schedule], lambda _q, b: sent.append(b), region=REGION)
    scheduler.begin(datetime(2026, 1, 1, tzinfo=UTC))

    scheduler.tick(datetime(2027, 1, 1, tzinfo=UTC))

    assert sent == []
