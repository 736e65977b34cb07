"""The SQS entry point: scheduled envelopes through the job lifecycle, partial batch failures."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from cron_testdata import T0, Context, generate_events, insert_events, jobs_rows, scheduled, sqs_event


@pytest.fixture
def handler(database_env, monkeypatch):
    monkeypatch.setenv("TASK", "data")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("LATE_EVENT_LOOKBACK_HOURS", "48")
    monkeypatch.setenv("INGEST_SETTLE_SECONDS", "60")
    from cron import handler, settings

    settings.cron_settings.cache_clear()
    yield handler.lambda_handler
    settings.cron_settings.cache_clear()


def test_scheduled_message_creates_its_job_and_rolls_up(handler, db_conn):
    insert_events(db_conn, generate_events(200, start=T0 - timedelta(hours=3), hours=3), ingested_at=T0 - timedelta(minutes=5))

    response = handler(sqs_event(scheduled()), Context())

    assert response == {"batchItemFailures": []}
    (job,) = jobs_rows(db_conn)
    assert (job["task"], job["status"], job["idempotency_key"]) == ("data", "succeeded", "data:2026-03-10T12:00:00Z")
    assert job["result"]["events"] == 200
    with db_conn.transaction():
        total = db_conn.execute("SELECT sum(event_count) AS n FROM content_rollups_hourly").fetchone()["n"]
    assert total == 200


def test_duplicated_schedule_runs_the_window_once(handler, db_conn):
    insert_events(db_conn, [("a", "c", "view", Decimal(1), T0 - timedelta(hours=1))], ingested_at=T0 - timedelta(minutes=5))

    handler(sqs_event(scheduled()), Context())
    response = handler(sqs_event(scheduled(when=T0)), Context())

    assert response == {"batchItemFailures": []}
    (job,) = jobs_rows(db_conn)
    assert job["attempts"] == 1 and job["status"] == "succeeded"


@pytest.mark.parametrize(
    "body",
    ["not json", json.dumps([1]), json.dumps({"task": "data"}), json.dumps({"task": "nope", "scheduledTime": "2026-03-10T12:00:00Z"}),
     json.dumps({"task": "data", "scheduledTime": "yesterday"}), scheduled(task="trends"),
     json.dumps({"task": "data", "jobId": str(uuid.uuid4())})],
    ids=["not-json", "not-object", "no-job-or-time", "unknown-task", "bad-time", "wrong-queue", "unknown-job"],
)
def test_unreadable_message_fails_alone_and_goes_back_to_the_queue(handler, db_conn, body):
    # Given a batch with a good message and a bad one
    response = handler(sqs_event(scheduled(), body), Context())

    # Then only the bad one is reported (so it ends in the DLQ), the good one ran
    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert [j["status"] for j in jobs_rows(db_conn)] == ["succeeded"]


def test_bad_payload_fails_the_job_permanently_and_is_not_retried(handler, db_conn):
    body = scheduled(payload={"from": "2026-03-10T00:00:00Z", "to": "not a time"})

    response = handler(sqs_event(body), Context())

    assert response == {"batchItemFailures": []}
    (job,) = jobs_rows(db_conn)
    assert (job["status"], job["error_reason"]) == ("failed", "bad_payload")


def test_on_demand_recompute_through_a_job_message(handler, db_conn):
    # Given events and a job posted through the API asking to recompute a range
    from common import jobs

    events = generate_events(100, start=T0 - timedelta(hours=2), hours=2, seed=5)
    insert_events(db_conn, events, ingested_at=T0)
    job, _ = jobs.create_job(db_conn, "data", {"from": (T0 - timedelta(hours=2)).isoformat(), "to": T0.isoformat()})

    response = handler(sqs_event(json.dumps(job.to_envelope())), Context())

    assert response == {"batchItemFailures": []}
    (row,) = jobs_rows(db_conn)
    assert row["status"] == "succeeded" and row["result"]["events"] == 100 and row["result"]["hours"] == 2
