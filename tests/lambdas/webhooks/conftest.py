"""Notifier fixtures: a finished job in real PostgreSQL, a receiver on pytest-httpserver, moto's SQS."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

SECRET = "whsec_" + base64.b64encode(b"a test signing key of 32 bytes!!").decode()
ALL_EVENTS = ("job.succeeded", "job.failed")


@pytest.fixture
def finished_job(db_conn):
    """A video job that succeeded on its first attempt (its result summary stored)."""
    from common import job_store

    job, _ = job_store.create_job(db_conn, "video", {"bucket": "b", "key": "uploads/clip.mp4"})
    attempt = job_store.start_job(db_conn, job.id, lease_seconds=60)
    done = job_store.succeed_job(db_conn, attempt, {"analysisId": 7, "durationS": 5.0})
    db_conn.commit()
    return done


@pytest.fixture
def queue(aws) -> Iterator[dict[str, Any]]:
    """The notifier's queue in moto, and a way to receive a message as Lambda's poller does."""
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-2")
    url = sqs.create_queue(QueueName="huntaze-test-webhooks")["QueueUrl"]

    def receive() -> dict[str, Any]:
        (message,) = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], MaxNumberOfMessages=1)["Messages"]
        return message

    yield {"sqs": sqs, "url": url, "receive": receive}


def settings_for(url: str, *, queue_url: str = "https://sqs.invalid/q", **overrides: Any):
    from webhooks.settings import Endpoint, WebhookSettings

    values = {
        "endpoints": (Endpoint("app", url, ALL_EVENTS, "huntaze-test/webhooks/app"),),
        "queue_url": queue_url,
        "retry_delays_s": (5, 300, 1800, 7200, 18000, 36000, 36000),
        "max_receive_count": 8,
        "timeout_s": 5.0,
        # The receiver is pytest-httpserver on 127.0.0.1 over http: allowed as the local system allows it.
        "require_https": False,
        "allowed_networks": ("127.0.0.0/8",),
    }
    values.update(overrides)
    return WebhookSettings(**values)


def attempts(db_conn, job_id) -> list[dict[str, Any]]:
    return db_conn.execute(
        "SELECT endpoint, attempt, status_code, error, message_id FROM webhook_attempts WHERE job_id = %s ORDER BY id",
        (job_id,),
    ).fetchall()


def as_headers(request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items()}


def body_of(request) -> dict[str, Any]:
    return json.loads(request.get_data())
