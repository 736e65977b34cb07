"""The SQS entry point: scheduled envelopes through the job lifecycle, partial batch failures."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from cron_testdata import T0, Context, generate_events, insert_events, jobs_rows, scheduled, sqs_event


@pytest.fixture
def handler(data_worker):
    return data_worker


def test_scheduled_message_creates_its_job_and_rolls_up(handler, db_conn):
    insert_events(
        db_conn, generate_events(200, start=T0 - timedelta(hours=3), hours=3), ingested_at=T0 - timedelta(minutes=5)
    )

    response = handler(sqs_event(scheduled()), Context())

    assert response == {"batchItemFailures": []}
    (job,) = jobs_rows(db_conn)
    assert (job["task"], job["status"], job["idempotency_key"]) == ("data", "succeeded", "data:2026-03-10T12:00:00Z")
    assert job["result"]["events"] == 200
    with db_conn.transaction():
        total = db_conn.execute("SELECT sum(event_count) AS n FROM content_rollups_hourly").fetchone()["n"]
    assert total == 200


def test_duplicated_schedule_runs_the_window_once(handler, db_conn):
    insert_events(
        db_conn, [("a", "c", "view", Decimal(1), T0 - timedelta(hours=1))], ingested_at=T0 - timedelta(minutes=5)
    )

    handler(sqs_event(scheduled()), Context())
    response = handler(sqs_event(scheduled(when=T0)), Context())

    assert response == {"batchItemFailures": []}
    (job,) = jobs_rows(db_conn)
    assert job["attempts"] == 1 and job["status"] == "succeeded"


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps([1]),
        json.dumps({"task": "data"}),
        json.dumps({"task": "nope", "scheduledTime": "2026-03-10T12:00:00Z"}),
        json.dumps({"task": "data", "scheduledTime": "yesterday"}),
        scheduled(task="trends"),
        json.dumps({"task": "data", "jobId": str(uuid.uuid4())}),
    ],
    ids=["not-json", "not-object", "no-job-or-time", "unknown-task", "bad-time", "wrong-queue", "unknown-job"],
)
def test_unreadable_message_is_acknowledged_logged_and_counted(handler, db_conn, body, caplog, capsys):
    # Given a batch with a good message and a bad one
    with caplog.at_level(logging.ERROR):
        response = handler(sqs_event(scheduled(), body), Context())

    # Then neither goes back to the queue (retrying cannot make the bad one readable), the good one ran
    assert response == {"batchItemFailures": []}
    assert [j["status"] for j in jobs_rows(db_conn)] == ["succeeded"]
    # And the bad one is visible: an ERROR naming its message id, and one UnreadableMessages metric
    (log,) = [r for r in caplog.records if r.getMessage() == "unreadable message dropped"]
    assert log.levelno == logging.ERROR and log.message_id == "m1" and log.reason
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"UnreadableMessages"' in line]
    assert [(m["Task"], m["UnreadableMessages"]) for m in metrics] == [("data", [1.0])]


def test_unreadable_message_naming_a_queued_job_fails_that_job(handler, db_conn):
    # Given a job created by the API and a message for it whose payload is not an object
    from common import job_store

    job, _ = job_store.create_job(db_conn, "data", {})
    body = json.dumps({"jobId": str(job.id), "task": "data", "payload": ["from", "to"]})

    response = handler(sqs_event(body), Context())

    # Then the message is acknowledged and the job says why it will never run
    assert response == {"batchItemFailures": []}
    (row,) = jobs_rows(db_conn)
    assert (row["status"], row["error_reason"]) == ("failed", "malformed_message")


def _received(event: dict, count: int) -> dict:
    for record in event["Records"]:
        record["attributes"]["ApproximateReceiveCount"] = str(count)
    return event


@pytest.fixture
def failing_runner(handler, monkeypatch):
    """The data task's work fails as a worker would on a dropped source or database."""
    from common.errors import TransientError
    from cron import runners

    calls = []

    def for_task(task, remaining_s):
        def run(conn, job, msg):
            calls.append(job.id)
            raise TransientError("source_timeout", "the source did not answer in 10 s")

        return run

    monkeypatch.setattr(runners, "for_task", for_task)
    return calls


def test_transient_failure_before_the_last_delivery_requeues_the_job(handler, db_conn, failing_runner):
    # When the only message of the batch fails transiently on its 2nd of 3 deliveries
    response = handler(_received(sqs_event(scheduled()), 2), Context())

    # Then it is reported (not raised: a routine retry is no Lambda error) and the job waits, queued
    assert response == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    (job,) = jobs_rows(db_conn)
    assert (job["status"], job["error_reason"], job["attempts"]) == ("queued", "source_timeout", 1)


def test_a_statement_timeout_in_the_work_is_a_transient_database_error(handler, db_conn, monkeypatch):
    # Given work whose SQL runs past the session's statement_timeout
    from cron import runners

    def for_task(task, remaining_s):
        def run(conn, job, msg):
            conn.execute("SET LOCAL statement_timeout = '50ms'")
            conn.execute("SELECT pg_sleep(2)")
            return {}

        return run

    monkeypatch.setattr(runners, "for_task", for_task)
    # When the message is handled (2nd of 3 deliveries)
    response = handler(_received(sqs_event(scheduled()), 2), Context())
    # Then the message goes back to the queue and the job says why, not "unexpected_error"
    assert response == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    (job,) = jobs_rows(db_conn)
    assert (job["status"], job["error_reason"]) == ("queued", "db_timeout")


def test_transient_failure_on_the_last_delivery_fails_the_job_and_still_dead_letters(handler, db_conn, failing_runner):
    # When the message fails transiently on its 3rd delivery (maxReceiveCount 3)
    response = handler(_received(sqs_event(scheduled()), 3), Context())

    # Then it is still reported, so SQS moves it to the DLQ and its alarm fires
    assert response == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    # And the job is failed as retries_exhausted, naming the last error, instead of "queued" forever
    (job,) = jobs_rows(db_conn)
    assert (job["status"], job["error_reason"]) == ("failed", "retries_exhausted")
    with db_conn.transaction():
        error = db_conn.execute("SELECT error FROM jobs").fetchone()["error"]
    assert "source_timeout" in error


def test_redriven_message_runs_a_job_whose_retries_ran_out(handler, db_conn, monkeypatch):
    # Given a data job that failed as retries_exhausted, and events to roll up
    from common import job_store
    from common.errors import TransientError

    insert_events(
        db_conn, generate_events(50, start=T0 - timedelta(hours=2), hours=2), ingested_at=T0 - timedelta(minutes=5)
    )
    job, _ = job_store.create_job(db_conn, "data", {}, idempotency_key="data:2026-03-10T12:00:00Z")
    attempt = job_store.start_job(db_conn, job.id, lease_seconds=60)
    job_store.fail_job_with(db_conn, attempt, TransientError("db_connection_lost", "x"), last_attempt=True)

    # When the message is redriven from the DLQ (a fresh first delivery)
    response = handler(sqs_event(scheduled()), Context())

    # Then the job runs again and succeeds
    assert response == {"batchItemFailures": []}
    (row,) = jobs_rows(db_conn)
    assert (row["status"], row["attempts"], row["error_reason"]) == ("succeeded", 2, None)
    assert row["result"]["events"] == 50


def test_permanently_failed_job_is_not_run_again(handler, db_conn, failing_runner):
    # Given a job that failed for a permanent reason
    from common import job_store
    from common.errors import PermanentError

    job, _ = job_store.create_job(db_conn, "data", {}, idempotency_key="data:2026-03-10T12:00:00Z")
    job_store.fail_unstarted(db_conn, job.id, PermanentError("bad_payload", "no window"))

    # When its message comes again / Then it is acknowledged without running
    assert handler(sqs_event(scheduled()), Context()) == {"batchItemFailures": []}
    assert failing_runner == []
    (row,) = jobs_rows(db_conn)
    assert (row["status"], row["error_reason"], row["attempts"]) == ("failed", "bad_payload", 0)


def test_duplicate_delivery_while_another_attempt_runs_is_acknowledged_without_running(
    handler, db_conn, failing_runner
):
    # Given the job of a schedule already running in another function (live lease)
    from common import job_store

    job, _ = job_store.create_job(db_conn, "data", {}, idempotency_key="data:2026-03-10T12:00:00Z")
    job_store.start_job(db_conn, job.id, lease_seconds=300)

    # When a duplicate of its message arrives
    response = handler(sqs_event(scheduled()), Context())

    # Then it is acknowledged and the work is not done a second time
    assert response == {"batchItemFailures": []}
    assert failing_runner == []
    (row,) = jobs_rows(db_conn)
    assert (row["status"], row["attempts"]) == ("running", 1)


@pytest.mark.parametrize(
    "payload",
    [
        {"since": "2026-03-10T00:00:00Z", "until": "not a time"},
        {"until": "2026-03-10T00:00:00Z"},
        {"since": "2026-03-10T00:00:00"},
        {"since": "2026-13-10T00:00:00Z"},
        {"since": "2026-03-10T00:00:00Z", "until": "2026-03-09T00:00:00Z"},
        {"from": "2026-03-10T00:00:00Z"},
    ],
    ids=["until-not-a-time", "until-without-since", "no-zone", "no-such-month", "reversed", "old-from-field"],
)
def test_bad_payload_fails_the_job_permanently_and_is_not_retried(handler, db_conn, payload):
    body = scheduled(payload=payload)

    response = handler(sqs_event(body), Context())

    assert response == {"batchItemFailures": []}
    (job,) = jobs_rows(db_conn)
    assert (job["status"], job["error_reason"]) == ("failed", "bad_payload")


def test_on_demand_recompute_through_a_job_message(handler, db_conn):
    # Given events and a job posted through the API asking to recompute a range
    from common import job_store

    events = generate_events(100, start=T0 - timedelta(hours=2), hours=2, seed=5)
    insert_events(db_conn, events, ingested_at=T0)
    job, _ = job_store.create_job(
        db_conn, "data", {"since": (T0 - timedelta(hours=2)).isoformat(), "until": T0.isoformat()}
    )

    response = handler(sqs_event(json.dumps(job.to_envelope())), Context())

    assert response == {"batchItemFailures": []}
    (row,) = jobs_rows(db_conn)
    assert row["status"] == "succeeded" and row["result"]["events"] == 100 and row["result"]["hours"] == 2
