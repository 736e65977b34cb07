"""The job lifecycle around one queue message, the same for every cron task.

parse -> find or create the job -> running -> run -> succeeded | failed | back to queued.
A permanent failure is recorded on the job and the message is done; a
transient one is recorded and re-raised so SQS delivers the message again.
A message that cannot be read at all (no job to record it on) is re-raised
too: after maxReceiveCount it rests in the DLQ, where nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from common import jobs
from common.errors import PermanentError, TransientError

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)

Runner = Callable[["psycopg.Connection", jobs.Job, jobs.JobMessage], dict[str, Any]]


class UnreadableMessage(Exception):
    """The message names no job we can record a failure on."""


def process(conn: psycopg.Connection, body: str, *, task: str, runner: Runner) -> jobs.Job:
    try:
        msg = jobs.parse_message(body)
        if msg.task != task:
            raise PermanentError("wrong_queue", f"a {msg.task} message reached the {task} queue")
        job = jobs.ensure_job_for_message(conn, msg)
    except PermanentError as exc:
        raise UnreadableMessage(f"{exc.reason}: {exc.message}") from exc
    started = jobs.start_job(conn, job.id)
    if started is None:
        logger.info("job %s already %s; duplicate delivery ignored", job.id, job.status)
        return job
    try:
        result = runner(conn, started, msg)
    except PermanentError as exc:
        _clean(conn)
        logger.error("job %s failed: %s", job.id, exc)
        return jobs.fail_job_with(conn, job.id, exc)
    except TransientError as exc:
        _clean(conn)
        logger.warning("job %s will be retried: %s", job.id, exc)
        jobs.fail_job_with(conn, job.id, exc)
        raise
    except Exception as exc:
        _clean(conn)
        jobs.fail_job(conn, job.id, permanent=False, reason="unexpected_error", message=f"{type(exc).__name__}: {exc}")
        raise
    return jobs.succeed_job(conn, job.id, result)


def _clean(conn: psycopg.Connection) -> None:
    # A statement that failed outside a transaction block leaves the session aborted.
    from psycopg.pq import TransactionStatus

    if conn.info.transaction_status == TransactionStatus.INERROR:
        conn.rollback()
