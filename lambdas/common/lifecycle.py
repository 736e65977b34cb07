"""One job attempt, the same for every worker.

claim (start under a lease) -> run -> succeeded | failed (permanent) |
back to queued (transient) | failed as retries_exhausted (transient on the
queue's last delivery, see `common.job_store.fail_job_with`) | deferred
(queued until a given time: the day's AI budget had no room for its model
call, `common.errors.OverBudget`).

A delivery whose job is finished or held by a live attempt is a duplicate: it
is acknowledged without running. A transient failure is recorded and
re-raised, so SQS delivers the message again or moves it to the DLQ; so is a
bug (`unexpected_error`), so a job never stays "running". Every outcome is
written only while this attempt still owns the job: an attempt that outlived
its lease and was overtaken changes nothing (`stale`).

A job's end (succeeded, failed) is announced after its commit to the
completion-webhook notifier (`common.completion`). An announcement SQS
refuses fails the delivery (a transient error): its redelivery finds the job
finished, as a duplicate, and announces it again.

The worker supplies `connect` (a unit of work on its connection) and `work`;
`work` gets the attempt (the started `Job`) and returns the job's result
summary, or a `Done` whose `save` writes the worker's own rows in the same
transaction as the success.

A deferred job's message is acknowledged: SQS cannot hold a message until
tomorrow (its longest delay is 15 minutes), so the job waits as a queued row
with `not_before`, and the sweeper sends it again once that time has come.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common import completion, job_store
from common.errors import OverBudget, PermanentError, TransientError, WorkerError

if TYPE_CHECKING:
    import psycopg

    from common.deadline import Deadline
    from common.jobs import Job
    from common.messages import Delivery

logger = logging.getLogger(__name__)

Connect = Callable[[], AbstractContextManager["psycopg.Connection"]]
OnFailure = Callable[["psycopg.Connection", PermanentError], None]


@dataclass(frozen=True)
class Done:
    result: Any = None  # the job's result summary
    # The worker's own rows, written with the success and only while this attempt owns the job.
    save: Callable[[psycopg.Connection], None] | None = None


@dataclass(frozen=True)
class Outcome:
    status: str  # succeeded | failed | deferred | duplicate | stale
    job: Job  # as this attempt left it (or found it)
    reason: str | None = None


def run(
    connect: Connect,
    job: Job,
    work: Callable[[Job], Any],
    *,
    deadline: Deadline,
    delivery: Delivery,
    on_failure: OnFailure | None = None,
) -> Outcome:
    """Claim `job`, run `work` on the attempt, record how it ended. Re-raises transient failures."""
    with connect() as conn:
        attempt = job_store.start_job(conn, job.id, lease_seconds=job_store.lease_for(deadline.hard_left()))
    if attempt is None:
        logger.info("job %s is finished or held by a live attempt; duplicate delivery acknowledged", job.id)
        if job.is_terminal:
            # The delivery that ended it may have failed to announce it (and so come back): announce again.
            completion.announce(job)
        return Outcome("duplicate", job, job.status)
    try:
        value = work(attempt)
    except PermanentError as err:
        return _fail(connect, attempt, err, on_failure)
    except OverBudget as err:
        return _defer(connect, attempt, err)
    except TransientError as err:
        _give_back(connect, attempt, err, delivery)
        raise
    except Exception as exc:
        err = _as_transient(exc, connect)
        _give_back(connect, attempt, err, delivery)
        raise err from exc
    done = value if isinstance(value, Done) else Done(value)
    with connect() as conn, conn.transaction():
        finished = job_store.succeed_job(conn, attempt, done.result)
        if finished is None:
            return _stale(conn, attempt)
        if done.save is not None:
            done.save(conn)
    completion.announce(finished)
    return Outcome("succeeded", finished)


def _fail(connect: Connect, attempt: Job, err: PermanentError, on_failure: OnFailure | None) -> Outcome:
    logger.warning("job %s failed: %s", attempt.id, err)
    with connect() as conn:
        _clean(conn)
        with conn.transaction():
            failed = job_store.fail_job_with(conn, attempt, err)
            if failed is None:
                return _stale(conn, attempt)
            if on_failure is not None:
                on_failure(conn, err)
    completion.announce(failed)
    return Outcome("failed", failed, err.reason)


def _defer(connect: Connect, attempt: Job, err: OverBudget) -> Outcome:
    """Queued again until `err.retry_at`; the message is acknowledged (the sweeper re-sends the job then)."""
    logger.warning("job %s deferred to %s: %s", attempt.id, err.retry_at.isoformat(), err)
    with connect() as conn:
        _clean(conn)
        deferred = job_store.defer_job(conn, attempt, err, until=err.retry_at)
        if deferred is None:
            return _stale(conn, attempt)
    return Outcome("deferred", deferred, err.reason)


def _give_back(connect: Connect, attempt: Job, err: TransientError, delivery: Delivery) -> None:
    """Best effort: the job shows why it waits (or that it gave up); SQS redelivers or dead-letters either way."""
    import psycopg

    with contextlib.suppress(WorkerError, psycopg.Error), connect() as conn:
        _clean(conn)
        job = job_store.fail_job_with(conn, attempt, err, last_attempt=delivery.is_last_attempt)
        if job is None:
            logger.warning("job %s: a newer attempt owns it; this one's %s is not recorded", attempt.id, err.reason)
        elif job.status == "failed":
            logger.error("job %s failed: %s on the last delivery; the message goes to the DLQ", attempt.id, err)
            completion.announce(job)
        else:
            logger.warning("job %s will be retried: %s", attempt.id, err)


def _as_transient(exc: Exception, connect: Connect) -> TransientError:
    """A database error is worth a retry; anything else is a bug, retried so the job never stays running."""
    import psycopg

    if isinstance(exc, psycopg.OperationalError):
        from common import db

        with contextlib.suppress(Exception), connect() as conn:
            return db.transient_error(exc, conn)
        logger.warning("database error", exc_info=exc)
        return TransientError("db_transient", "the database did not answer")
    # The job row is read by API callers: the exception's text (paths, driver
    # messages) stays in the log, the row names only its type.
    logger.exception("unexpected error", exc_info=exc)
    return TransientError("unexpected_error", f"unexpected {type(exc).__name__}; the details are in the worker's log")


def _stale(conn: psycopg.Connection, attempt: Job) -> Outcome:
    current = job_store.get_job(conn, attempt.id) or attempt
    logger.warning(
        "job %s attempt %d no longer owns it (now %s, attempt %d); its outcome is dropped",
        attempt.id,
        attempt.attempts,
        current.status,
        current.attempts,
    )
    return Outcome("stale", current)


def _clean(conn: psycopg.Connection) -> None:
    # A statement that failed outside a transaction block leaves the session aborted.
    from psycopg.pq import TransactionStatus

    if conn.info.transaction_status == TransactionStatus.INERROR:
        conn.rollback()
