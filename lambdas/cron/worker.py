"""The job lifecycle around one queue message, the same for every cron task.

parse -> find or create the job -> start it under a lease -> run ->
succeeded | failed | back to queued | failed as retries_exhausted.

A message nobody can read follows `common.messages.drop_unreadable` (logged,
counted, acknowledged). A permanent failure is recorded on the job and the
message is done; a transient one is recorded (as `retries_exhausted` on the
queue's last delivery, see `common.jobs.fail_job_with`) and re-raised so SQS
delivers the message again or moves it to the DLQ. A duplicate delivery while
another attempt holds the job's lease is acknowledged without running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import psycopg

from common import db, jobs, messages
from common.errors import PermanentError, TransientError

logger = logging.getLogger(__name__)

Runner = Callable[["psycopg.Connection", jobs.Job, jobs.JobMessage], dict[str, Any]]


def process(
    delivery: messages.Delivery,
    *,
    task: str,
    runner: Runner,
    remaining_s: Callable[[], float],
) -> jobs.Job | None:
    """Run the job a message asks for; the job as it ends, or None if the message was unreadable."""
    try:
        msg = _parse(delivery.body, task)
    except PermanentError as exc:
        messages.drop_unreadable(delivery, exc, task=task)
        return None

    from common import db

    with db.connection() as conn:
        try:
            job = jobs.ensure_job_for_message(conn, msg)
        except PermanentError as exc:
            messages.drop_unreadable(delivery, exc, task=task, conn=conn)
            return None
        started = jobs.start_job(conn, job.id, lease_seconds=jobs.lease_for(remaining_s()))
        if started is None:
            logger.info("job %s is finished or held by a live attempt; duplicate delivery acknowledged", job.id)
            return job
        return _run(conn, started, msg, runner, delivery)


def _parse(body: str, task: str) -> jobs.JobMessage:
    msg = jobs.parse_message(body)
    if msg.task != task:
        raise PermanentError("wrong_queue", f"a {msg.task} message reached the {task} queue")
    return msg


def _run(
    conn: psycopg.Connection, job: jobs.Job, msg: jobs.JobMessage, runner: Runner, delivery: messages.Delivery
) -> jobs.Job:
    try:
        result = runner(conn, job, msg)
    except PermanentError as exc:
        _clean(conn)
        logger.error("job %s failed: %s", job.id, exc)
        return jobs.fail_job_with(conn, job.id, exc)
    except TransientError as exc:
        _clean(conn)
        _fail_transient(conn, job, exc, delivery)
        raise
    except psycopg.OperationalError as exc:
        error = db.transient_error(exc, conn)
        _clean(conn)
        _fail_transient(conn, job, error, delivery)
        raise error from exc
    except Exception as exc:
        _clean(conn)
        _fail_transient(conn, job, TransientError("unexpected_error", f"{type(exc).__name__}: {exc}"), delivery)
        raise
    return jobs.succeed_job(conn, job.id, result)


def _fail_transient(conn: psycopg.Connection, job: jobs.Job, exc: TransientError, delivery: messages.Delivery) -> None:
    failed = jobs.fail_job_with(conn, job.id, exc, last_attempt=delivery.is_last_attempt)
    if failed.status == "failed":
        logger.error("job %s failed: %s on the last delivery; the message goes to the DLQ", job.id, exc)
    else:
        logger.warning("job %s will be retried: %s", job.id, exc)


def _clean(conn: psycopg.Connection) -> None:
    # A statement that failed outside a transaction block leaves the session aborted.
    from psycopg.pq import TransactionStatus

    if conn.info.transaction_status == TransactionStatus.INERROR:
        conn.rollback()
