"""The job repository: idempotent creation, transitions and their history."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import pytest

from common import job_recovery, job_store, jobs
from common.errors import PermanentError, TransientError

pytestmark = pytest.mark.pg


def _statuses(conn, job_id) -> list[str]:
    return [e.status for e in job_store.job_history(conn, job_id)]


def test_create_job_is_idempotent_by_key(db_conn):
    # Given a job created with a key
    first, created_first = job_store.create_job(
        db_conn, "video", {"key": "uploads/a.mp4"}, idempotency_key="uploads/a.mp4"
    )
    # When the same key is used again, even with another payload
    second, created_second = job_store.create_job(db_conn, "video", {"other": 1}, idempotency_key="uploads/a.mp4")
    # Then the first job is returned unchanged and only one row exists
    assert (created_first, created_second) == (True, False)
    assert second == first
    assert second.payload == {"key": "uploads/a.mp4"}
    assert db_conn.execute("SELECT count(*) AS n FROM jobs").fetchone()["n"] == 1
    assert _statuses(db_conn, first.id) == ["queued"]


def test_jobs_without_key_are_distinct(db_conn):
    # Given / When two jobs created without a key
    a, _ = job_store.create_job(db_conn, "data", {})
    b, _ = job_store.create_job(db_conn, "data", {})
    # Then they are two jobs
    assert a.id != b.id


def test_create_job_rejects_unknown_task(db_conn):
    with pytest.raises(PermanentError) as info:
        job_store.create_job(db_conn, "email", {})
    assert info.value.reason == "unknown_task"


def test_success_path_records_attempts_timings_result_and_history(db_conn):
    # Given a queued job
    job, _ = job_store.create_job(db_conn, "trends", {"source": "tiktok"})
    assert (job.status, job.attempts, job.started_at, job.finished_at) == ("queued", 0, None, None)
    # When a worker starts it and it succeeds
    running = job_store.start_job(db_conn, job.id)
    done = job_store.succeed_job(db_conn, running, {"items": 3})
    # Then it went queued -> running -> succeeded with one attempt, timings and result
    assert (running.status, running.attempts) == ("running", 1)
    assert running.started_at is not None
    assert (done.status, done.attempts, done.result) == ("succeeded", 1, {"items": 3})
    assert done.finished_at >= done.started_at
    assert _statuses(db_conn, job.id) == ["queued", "running", "succeeded"]
    assert job_store.get_job(db_conn, job.id) == done


def test_permanent_failure_fails_the_job_with_reason(db_conn):
    # Given a running job
    job, _ = job_store.create_job(db_conn, "video", {})
    attempt = job_store.start_job(db_conn, job.id)
    # When it fails permanently
    failed = job_store.fail_job_with(db_conn, attempt, PermanentError("not_a_video", "file is a PDF"))
    # Then it is failed, finished, with the reason and message, and history says why
    assert (failed.status, failed.error_reason, failed.error) == ("failed", "not_a_video", "file is a PDF")
    assert failed.finished_at is not None
    last = job_store.job_history(db_conn, job.id)[-1]
    assert (last.status, last.reason, last.detail, last.attempt) == ("failed", "not_a_video", "file is a PDF", 1)


def test_transient_failure_requeues_and_keeps_last_error(db_conn):
    # Given a running job
    job, _ = job_store.create_job(db_conn, "video", {})
    attempt = job_store.start_job(db_conn, job.id)
    # When it fails transiently
    requeued = job_store.fail_job(db_conn, attempt, permanent=False, reason="azure_throttled", message="429")
    # Then it is back in the queue, not finished, with the error kept
    assert (requeued.status, requeued.finished_at) == ("queued", None)
    assert (requeued.error_reason, requeued.error) == ("azure_throttled", "429")
    # And the retry counts a second attempt and success clears the error
    retried = job_store.start_job(db_conn, job.id)
    assert retried.attempts == 2
    assert retried.error_reason == "azure_throttled"
    done = job_store.succeed_job(db_conn, retried)
    assert (done.status, done.error, done.error_reason, done.result) == ("succeeded", None, None, None)
    assert _statuses(db_conn, job.id) == ["queued", "running", "queued", "running", "succeeded"]


def test_duplicate_delivery_after_success_changes_nothing(db_conn):
    # Given a job that already succeeded
    job, _ = job_store.create_job(db_conn, "data", {})
    attempt = job_store.start_job(db_conn, job.id)
    done = job_store.succeed_job(db_conn, attempt, {"rows": 10})
    history = job_store.job_history(db_conn, job.id)
    # When a duplicate message starts it, and the finished attempt fails and completes it again
    started = job_store.start_job(db_conn, job.id)
    after_fail = job_store.fail_job(db_conn, attempt, permanent=True, reason="x", message="late failure")
    after_succeed = job_store.succeed_job(db_conn, attempt, {"rows": 99})
    # Then start says "nothing to do", the late outcomes are refused, and the job and its history are unchanged
    assert started is None
    assert after_fail is None
    assert after_succeed is None
    assert job_store.get_job(db_conn, job.id) == done
    assert job_store.job_history(db_conn, job.id) == history


def test_failed_job_is_not_restarted(db_conn):
    # Given a permanently failed job / When started again / Then nothing happens
    job, _ = job_store.create_job(db_conn, "video", {})
    job_store.fail_unstarted(db_conn, job.id, PermanentError("bad_input", "nope"))
    assert job_store.start_job(db_conn, job.id) is None
    assert job_store.get_job(db_conn, job.id).attempts == 0


def test_duplicate_delivery_while_the_lease_is_live_does_not_start_again(db_conn):
    # Given a job started by a worker that is still working (its lease is live)
    job, _ = job_store.create_job(db_conn, "video", {})
    running = job_store.start_job(db_conn, job.id, lease_seconds=300)
    history = job_store.job_history(db_conn, job.id)
    # When a duplicate delivery tries to start it
    duplicate = job_store.start_job(db_conn, job.id, lease_seconds=300)
    # Then it is told not to run it, and the job and its history are unchanged
    assert duplicate is None
    assert job_store.get_job(db_conn, job.id) == running
    assert job_store.job_history(db_conn, job.id) == history


def test_redelivery_after_the_lease_expired_counts_another_attempt(db_conn):
    # Given a job whose worker died mid-run: still "running", but its lease is over
    job, _ = job_store.create_job(db_conn, "video", {})
    first = job_store.start_job(db_conn, job.id, lease_seconds=0.05)
    time.sleep(0.1)
    # When the message comes back after the visibility timeout
    again = job_store.start_job(db_conn, job.id, lease_seconds=300)
    # Then it runs again as attempt 2 under a new lease, and history says why
    assert (again.status, again.attempts) == ("running", 2)
    assert again.lease_until > first.lease_until
    last = job_store.job_history(db_conn, job.id)[-1]
    assert (last.status, last.attempt) == ("running", 2)
    assert "lease" in last.detail


def test_running_job_without_a_lease_can_be_taken_over(db_conn):
    # Given a job left running before leases existed (lease_until is NULL)
    job, _ = job_store.create_job(db_conn, "data", {})
    job_store.start_job(db_conn, job.id)
    with db_conn.transaction():
        db_conn.execute("UPDATE jobs SET lease_until = NULL WHERE id = %s", (job.id,))
    # When its message is redelivered / Then it is taken as attempt 2
    assert job_store.start_job(db_conn, job.id, lease_seconds=60).attempts == 2


def test_start_sets_a_lease_of_the_given_length_and_finishing_clears_it(db_conn):
    # Given a queued job
    job, _ = job_store.create_job(db_conn, "trends", {})
    # When started with a 120 s lease
    running = job_store.start_job(db_conn, job.id, lease_seconds=120)
    # Then the lease ends 120 s after the start (both are the database's now())
    assert (running.lease_until - running.started_at).total_seconds() == pytest.approx(120, abs=0.001)
    # And success, permanent failure and a transient requeue each release it
    assert job_store.succeed_job(db_conn, running).lease_until is None
    for permanent in (True, False):
        other, _ = job_store.create_job(db_conn, "trends", {})
        attempt = job_store.start_job(db_conn, other.id, lease_seconds=120)
        assert job_store.fail_job(db_conn, attempt, permanent=permanent, reason="r", message="m").lease_until is None


@pytest.mark.parametrize("lease", [0, -5], ids=["zero", "negative"])
def test_start_refuses_a_lease_that_is_not_positive(db_conn, lease):
    job, _ = job_store.create_job(db_conn, "data", {})
    with pytest.raises(ValueError, match="lease_seconds"):
        job_store.start_job(db_conn, job.id, lease_seconds=lease)
    assert job_store.get_job(db_conn, job.id).status == "queued"


def test_lease_for_adds_the_margin_to_the_remaining_time():
    assert job_store.lease_for(100.0) == 100.0 + job_store.LEASE_MARGIN_S
    assert job_store.lease_for(-3.0) == job_store.LEASE_MARGIN_S


def test_only_one_of_two_concurrent_starts_takes_the_job(db_conn, database_url):
    # Given queued jobs and two workers, each with its own connection (two Lambdas)
    import psycopg

    ids = [job_store.create_job(db_conn, "video", {})[0].id for _ in range(10)]
    barrier = threading.Barrier(2)

    def worker(results: list) -> None:
        with psycopg.connect(database_url) as conn:
            for job_id in ids:
                barrier.wait(timeout=10)
                results.append(job_store.start_job(conn, job_id, lease_seconds=300))

    a, b = [], []
    threads = [threading.Thread(target=worker, args=(r,)) for r in (a, b)]
    # When both start every job at the same moment
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # Then each job was taken exactly once, as its first attempt
    assert len(a) == len(b) == len(ids)
    for job_id, x, y in zip(ids, a, b, strict=True):
        winners = [r for r in (x, y) if r is not None]
        assert len(winners) == 1, f"job {job_id}: {x}, {y}"
        assert winners[0].attempts == 1
        assert _statuses(db_conn, job_id) == ["queued", "running"]


def test_starting_an_unknown_job_is_a_permanent_error(db_conn):
    with pytest.raises(PermanentError) as info:
        job_store.start_job(db_conn, uuid.uuid4())
    assert info.value.reason == "job_not_found"


def test_start_commits_immediately_so_others_see_running(db_conn, database_url):
    # Given a job started on one connection
    import psycopg

    job, _ = job_store.create_job(db_conn, "video", {})
    job_store.get_job(db_conn, job.id)  # a read first must not leave a transaction open
    job_store.start_job(db_conn, job.id)
    # When another connection (the API) reads it
    with psycopg.connect(database_url) as other:
        status = other.execute("SELECT status FROM jobs WHERE id = %s", (job.id,)).fetchone()[0]
    # Then it already sees "running"
    assert status == "running"


def test_ensure_job_for_scheduled_message_creates_once(db_conn):
    # Given a scheduled message, delivered twice with different spellings of the same time
    first = jobs.parse_message('{"task": "trends", "scheduledTime": "2024-05-01T10:00:00Z", "payload": {"n": 1}}')
    dup = jobs.parse_message('{"task": "trends", "scheduledTime": "2024-05-01T12:00:00+02:00"}')
    # When each is turned into a job
    a = job_store.ensure_job_for_message(db_conn, first)
    b = job_store.ensure_job_for_message(db_conn, dup)
    # Then both refer to one job keyed by task and UTC time
    assert a.id == b.id
    assert a.idempotency_key == "trends:2024-05-01T10:00:00Z"
    assert a.payload == {"n": 1}


def test_ensure_job_for_message_with_job_id(db_conn):
    # Given a job created by the API
    job, _ = job_store.create_job(db_conn, "video", {"key": "k"})
    # When its envelope comes back from the queue / Then it resolves to that job
    msg = jobs.parse_message(job.to_envelope())
    assert job_store.ensure_job_for_message(db_conn, msg) == job
    # And an envelope for another task or an unknown id is a permanent error
    with pytest.raises(PermanentError, match="video job") as mismatch:
        job_store.ensure_job_for_message(db_conn, jobs.JobMessage(task="data", payload={}, job_id=job.id))
    assert mismatch.value.reason == "task_mismatch"
    with pytest.raises(PermanentError) as missing:
        job_store.ensure_job_for_message(db_conn, jobs.JobMessage(task="video", payload={}, job_id=uuid.uuid4()))
    assert missing.value.reason == "job_not_found"


def test_job_to_dict_is_json_ready(db_conn):
    import json

    job, _ = job_store.create_job(db_conn, "alerts", {"a": 1}, idempotency_key="k1")
    data = json.loads(json.dumps(job.to_dict()))
    assert data["jobId"] == str(job.id)
    assert data["status"] == "queued"
    assert datetime.fromisoformat(data["createdAt"]).tzinfo is not None


def test_transient_failure_on_the_last_delivery_fails_as_retries_exhausted(db_conn):
    # Given a running job on the queue's last delivery
    job, _ = job_store.create_job(db_conn, "video", {})
    attempt = job_store.start_job(db_conn, job.id, lease_seconds=60)
    # When it fails transiently
    failed = job_store.fail_job_with(
        db_conn, attempt, TransientError("azure_unavailable", "503 three times"), last_attempt=True
    )
    # Then it is failed and finished (the failed-jobs alert counts it), naming the last transient error
    assert (failed.status, failed.error_reason) == ("failed", jobs.RETRIES_EXHAUSTED)
    assert "azure_unavailable" in failed.error and "503 three times" in failed.error
    assert failed.finished_at is not None and failed.lease_until is None
    last = job_store.job_history(db_conn, job.id)[-1]
    assert (last.status, last.reason) == ("failed", "retries_exhausted")


def test_permanent_failure_on_the_last_delivery_keeps_its_own_reason(db_conn):
    job, _ = job_store.create_job(db_conn, "video", {})
    attempt = job_store.start_job(db_conn, job.id, lease_seconds=60)
    failed = job_store.fail_job_with(db_conn, attempt, PermanentError("not_a_video", "a PDF"), last_attempt=True)
    assert (failed.status, failed.error_reason) == ("failed", "not_a_video")


def test_redriven_job_whose_retries_ran_out_runs_again(db_conn):
    # Given a job failed because its retries ran out
    job, _ = job_store.create_job(db_conn, "trends", {})
    attempt = job_store.start_job(db_conn, job.id, lease_seconds=60)
    job_store.fail_job_with(db_conn, attempt, TransientError("source_timeout", "slow"), last_attempt=True)
    # When its message is redriven from the DLQ
    again = job_store.start_job(db_conn, job.id, lease_seconds=60)
    # Then it runs as attempt 2 (not finished any more), and history records the redrive
    assert (again.status, again.attempts, again.finished_at) == ("running", 2, None)
    assert "redriven" in job_store.job_history(db_conn, job.id)[-1].detail
    # And it can succeed this time
    assert job_store.succeed_job(db_conn, again, {"ok": True}).status == "succeeded"


def test_fail_job_with_maps_error_kind(db_conn):
    job, _ = job_store.create_job(db_conn, "video", {})
    attempt = job_store.start_job(db_conn, job.id)
    assert job_store.fail_job_with(db_conn, attempt, TransientError("db_connection_lost", "x")).status == "queued"


def test_scheduled_time_is_normalised_to_utc():
    msg = jobs.parse_message({"task": "data", "scheduledTime": "2024-05-01T02:00:00-05:00"})
    assert msg.scheduled_time == datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
    assert msg.idempotency_key == "data:2024-05-01T07:00:00Z"


def test_requeue_failed_reopens_only_a_failed_job_and_records_it(db_conn):
    # Given a permanently failed job and a succeeded one
    failed, _ = job_store.create_job(db_conn, "data", {})
    attempt = job_store.start_job(db_conn, failed.id)
    job_store.fail_job(db_conn, attempt, permanent=True, reason="bad_payload", message="no window")
    done, _ = job_store.create_job(db_conn, "data", {})
    attempt = job_store.start_job(db_conn, done.id)
    job_store.succeed_job(db_conn, attempt, {"rows": 1})
    # When an operator re-runs both
    reopened = job_recovery.requeue_failed(db_conn, failed.id, note="fixed the payload")
    untouched = job_recovery.requeue_failed(db_conn, done.id, note="nope")
    # Then only the failed one is queued again, its error cleared and the re-run in its history
    assert reopened is not None and reopened.status == "queued"
    assert reopened.error is None and reopened.error_reason is None and reopened.finished_at is None
    assert untouched is None
    assert job_store.get_job(db_conn, done.id).status == "succeeded"
    last = job_store.job_history(db_conn, failed.id)[-1]
    assert (last.status, last.reason, last.detail) == ("queued", "rerun", "fixed the payload")


def test_a_job_whose_attempt_died_long_ago_is_failed_as_retries_exhausted(db_conn):
    # Given a job whose last attempt's lease ran out an hour ago, and one still inside its lease
    dead, _ = job_store.create_job(db_conn, "trends", {})
    job_store.start_job(db_conn, dead.id, lease_seconds=60)
    db_conn.execute("UPDATE jobs SET lease_until = now() - interval '1 hour' WHERE id = %s", (dead.id,))
    live, _ = job_store.create_job(db_conn, "data", {})
    job_store.start_job(db_conn, live.id, lease_seconds=600)
    db_conn.commit()
    # When the sweeper runs with a 15-minute grace
    swept = job_recovery.fail_abandoned(db_conn, grace_s=900)
    # Then only the dead one is failed, redrivable, with a history line saying why
    assert [j.id for j in swept] == [dead.id]
    assert (swept[0].status, swept[0].error_reason) == ("failed", jobs.RETRIES_EXHAUSTED)
    assert job_store.get_job(db_conn, live.id).status == "running"
    assert job_store.job_history(db_conn, dead.id)[-1].reason == jobs.RETRIES_EXHAUSTED
    assert job_store.start_job(db_conn, dead.id) is not None


def test_a_jobs_object_version_is_pinned_once(db_conn):
    # Given an upload's job created before its object exists
    job, _ = job_store.create_job(db_conn, "video", {"bucket": "b", "key": "uploads/x.mp4"})
    # When two versions try to pin it
    first = job_store.pin_payload(db_conn, job.id, "etag", "v1")
    second = job_store.pin_payload(db_conn, job.id, "etag", "v2")
    # Then the first keeps it
    assert first.payload["etag"] == second.payload["etag"] == "v1"
