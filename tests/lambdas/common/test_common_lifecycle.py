"""The one job lifecycle (common/lifecycle.py) on real PostgreSQL: every way an attempt ends.

Each test creates a real job row, runs `lifecycle.run` with a `work` that
succeeds, fails permanently, fails transiently, raises a bug or a database
error, and reads the row back: its status, reason, error text, lease and
history, and what the caller gets (the Outcome, or the re-raised error).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from common import job_store, lifecycle
from common.deadline import Deadline
from common.errors import PermanentError, TransientError
from common.messages import Delivery

FIRST = Delivery("m-1", "{}", receive_count=1, max_receive_count=3)
LAST = Delivery("m-1", "{}", receive_count=3, max_receive_count=3)


@pytest.fixture
def connect(database_url, db_conn):
    @contextmanager
    def open_one() -> Iterator[psycopg.Connection]:
        with psycopg.connect(database_url) as conn:
            yield conn

    return open_one


@pytest.fixture
def job(db_conn):
    created, _ = job_store.create_job(db_conn, "alerts", {})
    db_conn.commit()
    return created


def row(db_conn, job_id):
    db_conn.rollback()
    return job_store.get_job(db_conn, job_id)


def run(connect, job, work, *, delivery=FIRST, on_failure=None, seconds=60.0):
    return lifecycle.run(connect, job, work, deadline=Deadline.after(seconds), delivery=delivery, on_failure=on_failure)


# --- success ------------------------------------------------------------------------------------


def test_work_that_returns_a_summary_succeeds_the_job_with_it(connect, job, db_conn):
    seen = []
    outcome = run(connect, job, lambda attempt: seen.append(attempt) or {"n": 3})
    # The work got the started attempt
    assert seen[0].status == "running" and seen[0].attempts == 1
    assert (outcome.status, outcome.reason) == ("succeeded", None)
    assert outcome.job.result == {"n": 3}
    stored = row(db_conn, job.id)
    assert (stored.status, stored.result, stored.lease_until, stored.error_reason) == (
        "succeeded",
        {"n": 3},
        None,
        None,
    )


def test_done_saves_the_workers_rows_in_the_success_transaction(connect, job, db_conn):
    def save(conn):
        conn.execute("CREATE TABLE lifecycle_saved (job uuid)")
        conn.execute("INSERT INTO lifecycle_saved VALUES (%s)", (job.id,))

    try:
        outcome = run(connect, job, lambda attempt: lifecycle.Done({"ok": True}, save))
        assert outcome.status == "succeeded" and outcome.job.result == {"ok": True}
        db_conn.rollback()
        assert db_conn.execute("SELECT job FROM lifecycle_saved").fetchall() == [{"job": job.id}]
    finally:
        db_conn.rollback()
        db_conn.execute("DROP TABLE IF EXISTS lifecycle_saved")
        db_conn.commit()


def test_done_without_save_succeeds_with_its_result(connect, job, db_conn):
    assert run(connect, job, lambda attempt: lifecycle.Done({"r": 1})).job.result == {"r": 1}


def test_the_lease_covers_the_functions_remaining_time(connect, job, db_conn):
    leases = []

    def work(attempt):
        leases.append(
            db_conn.execute("SELECT lease_until - now() AS left FROM jobs WHERE id = %s", (job.id,)).fetchone()
        )
        db_conn.rollback()

    run(connect, job, work, seconds=300.0)
    left = leases[0]["left"].total_seconds()
    assert 300.0 < left <= 300.0 + job_store.LEASE_MARGIN_S


# --- duplicates and stale attempts --------------------------------------------------------------


def test_a_finished_job_is_a_duplicate_and_work_does_not_run(connect, job, db_conn):
    run(connect, job, lambda attempt: None)
    ran = []
    outcome = run(connect, job, lambda attempt: ran.append(1))
    assert ran == []
    assert (outcome.status, outcome.reason, outcome.job) == ("duplicate", job.status, job)


def test_a_job_held_by_a_live_attempt_is_a_duplicate(connect, job, db_conn):
    job_store.start_job(db_conn, job.id, lease_seconds=600)
    db_conn.commit()
    assert run(connect, job, lambda attempt: pytest.fail("ran twice")).status == "duplicate"


def overtake(db_conn, job_id):
    """Another attempt takes the job (this one outlived its lease)."""
    db_conn.execute("UPDATE jobs SET lease_until = now() - interval '1 second' WHERE id = %s", (job_id,))
    db_conn.commit()
    taken = job_store.start_job(db_conn, job_id, lease_seconds=600)
    db_conn.commit()
    return taken


def test_a_success_after_being_overtaken_changes_nothing(connect, job, db_conn):
    saved = []
    outcome = run(connect, job, lambda attempt: (overtake(db_conn, job.id), lifecycle.Done(1, saved.append))[1])
    assert outcome.status == "stale"
    assert (outcome.job.status, outcome.job.attempts) == ("running", 2)
    assert saved == []
    assert row(db_conn, job.id).result is None


def test_a_permanent_failure_after_being_overtaken_changes_nothing(connect, job, db_conn):
    told = []

    def work(attempt):
        overtake(db_conn, job.id)
        raise PermanentError("bad_payload", "no")

    outcome = run(connect, job, work, on_failure=lambda conn, err: told.append(err))
    assert (outcome.status, outcome.job.attempts, told) == ("stale", 2, [])
    assert row(db_conn, job.id).status == "running"


def test_a_transient_failure_after_being_overtaken_is_reraised_and_not_recorded(connect, job, db_conn, caplog):
    def work(attempt):
        overtake(db_conn, job.id)
        raise TransientError("azure_throttled", "later")

    with pytest.raises(TransientError), caplog.at_level(logging.WARNING, "common.lifecycle"):
        run(connect, job, work)
    stored = row(db_conn, job.id)
    assert (stored.status, stored.error_reason) == ("running", None)
    assert "a newer attempt owns it; this one's azure_throttled is not recorded" in caplog.text


# --- failures -----------------------------------------------------------------------------------


def test_a_permanent_failure_fails_the_job_and_tells_on_failure_in_its_transaction(connect, job, db_conn):
    told = []

    def on_failure(conn, err):
        told.append((conn.execute("SELECT status FROM jobs WHERE id = %s", (job.id,)).fetchone()[0], err.reason))

    def work(attempt):
        raise PermanentError("bad_payload", "the key is gone")

    outcome = run(connect, job, work, on_failure=on_failure)
    assert (outcome.status, outcome.reason, outcome.job.status) == ("failed", "bad_payload", "failed")
    assert told == [("failed", "bad_payload")]
    stored = row(db_conn, job.id)
    assert (stored.status, stored.error_reason, stored.error) == ("failed", "bad_payload", "the key is gone")
    assert stored.finished_at is not None


def test_a_permanent_failure_without_on_failure_still_fails_the_job(connect, job, db_conn):
    def work(attempt):
        raise PermanentError("bad_payload", "x")

    assert run(connect, job, work).job.status == "failed"


def test_a_transient_failure_is_recorded_requeued_and_reraised(connect, job, db_conn):
    err = TransientError("azure_throttled", "429 from the model")

    def work(attempt):
        raise err

    with pytest.raises(TransientError) as raised:
        run(connect, job, work)
    assert raised.value is err
    stored = row(db_conn, job.id)
    assert (stored.status, stored.error_reason, stored.error, stored.lease_until) == (
        "queued",
        "azure_throttled",
        "429 from the model",
        None,
    )


def test_a_transient_failure_on_the_last_delivery_fails_the_job_as_retries_exhausted(connect, job, db_conn, caplog):
    def work(attempt):
        raise TransientError("azure_throttled", "429")

    with pytest.raises(TransientError), caplog.at_level(logging.ERROR, "common.lifecycle"):
        run(connect, job, work, delivery=LAST)
    stored = row(db_conn, job.id)
    assert (stored.status, stored.error_reason) == ("failed", job_store.RETRIES_EXHAUSTED)
    assert "on the last delivery; the message goes to the DLQ" in caplog.text


def test_a_bug_is_retried_as_unexpected_error_naming_only_its_type(connect, job, db_conn):
    def work(attempt):
        raise KeyError("/var/task/secret/path")

    with pytest.raises(TransientError) as raised:
        run(connect, job, work)
    assert raised.value.reason == "unexpected_error"
    assert isinstance(raised.value.__cause__, KeyError)
    stored = row(db_conn, job.id)
    assert (stored.status, stored.error_reason) == ("queued", "unexpected_error")
    assert stored.error == "unexpected KeyError; the details are in the worker's log"
    assert "/var/task" not in stored.error


def test_a_database_error_in_the_work_is_a_transient_database_error(connect, job, db_conn):
    def work(attempt):
        with connect() as conn:
            conn.execute("SET statement_timeout = 10")
            conn.execute("SELECT pg_sleep(1)")

    with pytest.raises(TransientError) as raised:
        run(connect, job, work)
    assert raised.value.reason == "db_timeout"
    assert isinstance(raised.value.__cause__, psycopg.OperationalError)
    assert row(db_conn, job.id).error_reason == "db_timeout"


def test_a_database_error_when_the_database_is_gone_is_db_transient(job, db_conn, database_url):
    # Given the database answers the claim, then nothing more
    calls = []

    @contextmanager
    def flaky():
        calls.append(1)
        if len(calls) > 1:
            raise psycopg.OperationalError("connection refused")
        with psycopg.connect(database_url) as conn:
            yield conn

    def work(attempt):
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    with pytest.raises(TransientError) as raised:
        run(flaky, job, work)
    assert (raised.value.reason, raised.value.message) == ("db_transient", "the database did not answer")
    # The failure could not be recorded: the job stays with its attempt, for the lease to expire
    assert row(db_conn, job.id).status == "running"


def test_a_failed_statement_in_the_work_leaves_a_usable_connection_for_the_failure(job, db_conn, database_url):
    # Given one connection shared by the work and the lifecycle (as the cron worker does)
    with psycopg.connect(database_url) as shared:

        @contextmanager
        def same():
            yield shared

        def work(attempt):
            with pytest.raises(psycopg.errors.DivisionByZero):
                shared.execute("SELECT 1/0")
            raise PermanentError("bad_payload", "after a failed statement")

        outcome = run(same, job, work)
    assert outcome.status == "failed"
    assert row(db_conn, job.id).error == "after a failed statement"


def test_done_and_outcome_are_values(connect, job):
    import dataclasses

    outcome = run(connect, job, lambda attempt: lifecycle.Done({"r": 1}))
    for value, name in ((outcome, "status"), (lifecycle.Done(1), "result")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, name, None)


def over_budget(at):
    from common.errors import OverBudget

    return OverBudget("daily_budget_exceeded", "no room today", scope="global", retry_at=at, retry_after_s=60)


def test_a_call_over_the_ai_budget_defers_the_job_to_the_given_time(connect, job, db_conn):
    from datetime import UTC, datetime

    midnight = datetime(2031, 1, 2, tzinfo=UTC)

    def work(attempt):
        raise over_budget(midnight)

    outcome = run(connect, job, work)
    assert (outcome.status, outcome.reason) == ("deferred", "daily_budget_exceeded")
    stored = row(db_conn, job.id)
    assert (stored.status, stored.lease_until, stored.error_reason) == ("queued", None, "daily_budget_exceeded")
    not_before = db_conn.execute("SELECT not_before FROM jobs WHERE id = %s", (job.id,)).fetchone()["not_before"]
    assert not_before == midnight


def test_a_deferral_after_being_overtaken_changes_nothing(connect, job, db_conn):
    from datetime import UTC, datetime

    def work(attempt):
        overtake(db_conn, job.id)
        raise over_budget(datetime(2031, 1, 2, tzinfo=UTC))

    outcome = run(connect, job, work)
    assert (outcome.status, outcome.job.attempts) == ("stale", 2)
    assert row(db_conn, job.id).status == "running"
