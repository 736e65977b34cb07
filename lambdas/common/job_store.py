"""The `jobs` / `job_events` tables: creating jobs and moving them through their states.

No Lambda knowledge here: callers pass a psycopg connection and plain values.
Every function runs in `conn.transaction()`: on an idle connection that is a
real transaction committed on return (so "running" is visible while the work
runs, and an attempt is counted even if the worker then crashes); inside a
caller's transaction it is a savepoint. Each transition writes one
`job_events` row in the same transaction, so history never disagrees with the
job.

State machine::

    queued -> running -> succeeded
                      -> failed            (permanent error, or a transient one on
                                            the queue's last delivery: retries_exhausted)
                      -> queued            (transient error; SQS retries)
    queued -> failed                       (an unreadable message named it: `fail_unstarted`)
    running -> failed(retries_exhausted)   (its lease ran out long ago: `fail_abandoned`, for a sweeper)
    running -> queued(abandoned)           (the same, attempts left: `requeue_abandoned`, the sweeper re-sends it)
    queued -> queued(resent)               (queued too long, its send presumed lost: `claim_stale_queued`)
    failed -> queued(rerun)                (an operator runs it again: `requeue_failed`)
    running -> running                     (redelivery after the attempt's lease expired)
    failed(retries_exhausted) -> running   (the message was redriven from the DLQ)

A running job is leased to one attempt (`lease_until`): a duplicate delivery
while the lease is live gets `None` from `start_job` and is acknowledged, so
two copies of one job never run at once. The copy the live worker holds comes
back by itself after the visibility timeout if that worker dies, and by then
the lease (the function's remaining time plus a margin) has expired.

The attempt is the `Job` that `start_job` returned; its `attempts` count is
the attempt's fencing token. Finishing (`succeed_job`, `fail_job`) is
conditional on that attempt still owning the job: one that outlived its lease
and was overtaken by a newer attempt gets `None` and changes nothing.

Other finished jobs (succeeded, or failed for a permanent reason) never change
again, so a duplicate delivery is a no-op.

The sweeper's and the operator's transitions (`fail_abandoned`,
`requeue_abandoned`, `claim_stale_queued`, `requeue_failed`) are in
`common.job_recovery`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from common.errors import PermanentError, TransientError, WorkerError
from common.jobs import MAX_ERROR_CHARS, RETRIES_EXHAUSTED, Job, JobEvent, JobMessage
from common.tasks import TASKS

if TYPE_CHECKING:
    from datetime import datetime

    import psycopg

# Added to the worker's remaining time: covers the last writes after the work
# and the time between reading the clock and the lease reaching the database.
LEASE_MARGIN_S = 30.0
# The lease of a caller that does not say: the longest a Lambda can run, plus the margin.
DEFAULT_LEASE_S = 900.0 + LEASE_MARGIN_S
# A keyed insert that meets a row deleted before it can be read tries again this often.
_CREATE_TRIES = 3

JOB_COLUMNS = (
    "id, task, status, payload, idempotency_key, attempts, error, error_reason, result, "
    "created_at, updated_at, started_at, finished_at, lease_until"
)


def create_job(
    conn: psycopg.Connection,
    task: str,
    payload: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> tuple[Job, bool]:
    """Create a queued job; with a key already used, return that job and `created=False`.

    The conflicting row can be deleted between the insert and the read (an
    unsent job being withdrawn); the insert then runs again and wins.
    """
    from psycopg.types.json import Jsonb

    if task not in TASKS:
        raise PermanentError("unknown_task", f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    for _ in range(_CREATE_TRIES):
        with conn.transaction():
            with job_cursor(conn, Job) as cur:
                cur.execute(
                    f"INSERT INTO jobs (task, payload, idempotency_key) VALUES (%s, %s, %s) "
                    f"ON CONFLICT (idempotency_key) DO NOTHING RETURNING {JOB_COLUMNS}",
                    (task, Jsonb(dict(payload or {})), idempotency_key),
                )
                job = cur.fetchone()
            if job is not None:
                record_transition(conn, job, detail="created")
                return job, True
            existing = get_job_by_key(conn, idempotency_key) if idempotency_key else None
        if existing is not None:
            return existing, False
    raise TransientError("job_key_contended", f"job key {idempotency_key!r} was deleted {_CREATE_TRIES} times in a row")


def get_job(conn: psycopg.Connection, job_id: uuid.UUID | str) -> Job | None:
    with conn.transaction(), job_cursor(conn, Job) as cur:
        cur.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = %s", (as_job_id(job_id),))
        return cur.fetchone()


def get_job_by_key(conn: psycopg.Connection, idempotency_key: str) -> Job | None:
    with conn.transaction(), job_cursor(conn, Job) as cur:
        cur.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE idempotency_key = %s", (idempotency_key,))
        return cur.fetchone()


def ensure_job_for_message(conn: psycopg.Connection, msg: JobMessage) -> Job:
    """The job a message refers to; a scheduled message creates its job on first sight."""
    if msg.job_id is not None:
        job = get_job(conn, msg.job_id)
        if job is None:
            raise PermanentError("job_not_found", f"job {msg.job_id} does not exist")
        if job.task != msg.task:
            raise PermanentError("task_mismatch", f"job {job.id} is a {job.task} job, message says {msg.task}")
        return job
    job, _ = create_job(conn, msg.task, msg.payload, idempotency_key=msg.idempotency_key)
    return job


def pin_payload(conn: psycopg.Connection, job_id: uuid.UUID, field: str, value: str) -> Job:
    """Set `payload[field]` on an unfinished job that has none yet; the job as it is after.

    One statement under the row lock: of two concurrent pins the second sees
    the first's value, so a job is bound to exactly one value.
    """
    from psycopg.types.json import Jsonb

    with conn.transaction():
        conn.execute(
            "UPDATE jobs SET payload = payload || %s, updated_at = now() "
            "WHERE id = %s AND NOT payload ? %s AND status NOT IN ('succeeded', 'failed')",
            (Jsonb({field: value}), job_id, field),
        )
        return _require(conn, job_id)


def lease_for(remaining_s: float) -> float:
    """The lease an attempt takes: the worker's remaining time plus `LEASE_MARGIN_S`."""
    return max(remaining_s, 0.0) + LEASE_MARGIN_S


def start_job(
    conn: psycopg.Connection, job_id: uuid.UUID | str, *, lease_seconds: float = DEFAULT_LEASE_S
) -> Job | None:
    """Take the job for one attempt and count it: the attempt, or `None` if this delivery must not run it.

    Taken when queued, when running under an expired lease (the previous
    attempt died), or when failed with `retries_exhausted` (a redrive). A job
    running under a live lease (a duplicate delivery) or finished for good is
    left alone. The row lock makes two concurrent starts take turns: the
    second sees the first one's lease and gets `None`.
    """
    if lease_seconds <= 0:
        raise ValueError(f"lease_seconds must be positive, got {lease_seconds}")
    uid = as_job_id(job_id)
    with conn.transaction():
        with conn.cursor(row_factory=_tuple_row()) as cur:
            cur.execute(
                "SELECT status, error_reason, lease_until IS NULL OR lease_until < now(), "
                "not_before IS NOT NULL AND not_before > now() FROM jobs WHERE id = %s FOR UPDATE",
                (uid,),
            )
            current = cur.fetchone()
        if current is None:
            raise PermanentError("job_not_found", f"job {job_id} does not exist")
        detail = _start_detail(*current)
        if detail is None:
            return None
        with job_cursor(conn, Job) as cur:
            cur.execute(
                f"UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = now(), updated_at = now(), "
                f"finished_at = NULL, not_before = NULL, lease_until = now() + make_interval(secs => %s) "
                f"WHERE id = %s RETURNING {JOB_COLUMNS}",
                (float(lease_seconds), uid),
            )
            job = cur.fetchone()
        record_transition(conn, job, detail=detail)
        return job


def _start_detail(status: str, error_reason: str | None, lease_expired: bool, waiting: bool = False) -> str | None:
    """Why an attempt may take a job in this state (its history line), or None if it may not.

    A queued job deferred to a later time (`waiting`, see `defer_job`) is not taken before then.
    """
    if status == "queued" and waiting:
        return None
    if status == "queued":
        return "started"
    if status == "running" and lease_expired:
        return "started again: the previous attempt's lease expired"
    if status == "failed" and error_reason == RETRIES_EXHAUSTED:
        return "started again: redriven after its retries were exhausted"
    return None


# job_events reasons of the sweeper's transitions.
RESENT = "resent"
ABANDONED = "abandoned"

# The attempt that finishes a job must still own it: running, and no later attempt started.
_OWNED = "id = %(id)s AND status = 'running' AND attempts = %(attempt)s"


def succeed_job(conn: psycopg.Connection, attempt: Job, result: Any = None) -> Job | None:
    """Mark the attempt's job succeeded with a result summary; `None` if the attempt no longer owns it."""
    from psycopg.types.json import Jsonb

    with conn.transaction():
        with job_cursor(conn, Job) as cur:
            cur.execute(
                f"UPDATE jobs SET status = 'succeeded', result = %(result)s, error = NULL, error_reason = NULL, "
                f"finished_at = now(), updated_at = now(), lease_until = NULL "
                f"WHERE {_OWNED} RETURNING {JOB_COLUMNS}",
                {"result": None if result is None else Jsonb(result), **_owner(attempt)},
            )
            job = cur.fetchone()
        if job is not None:
            record_transition(conn, job, detail="succeeded")
        return job


def fail_job(conn: psycopg.Connection, attempt: Job, *, permanent: bool, reason: str, message: str) -> Job | None:
    """Record the attempt's failure: permanent -> failed; transient -> back to queued, error kept.

    `None` if the attempt no longer owns the job.
    """
    message = message[:MAX_ERROR_CHARS]
    with conn.transaction():
        with job_cursor(conn, Job) as cur:
            cur.execute(
                f"UPDATE jobs SET status = %(status)s, error = %(message)s, error_reason = %(reason)s, "
                f"updated_at = now(), lease_until = NULL, finished_at = CASE WHEN %(permanent)s THEN now() END "
                f"WHERE {_OWNED} RETURNING {JOB_COLUMNS}",
                {
                    "status": "failed" if permanent else "queued",
                    "message": message,
                    "reason": reason,
                    "permanent": permanent,
                    **_owner(attempt),
                },
            )
            job = cur.fetchone()
        if job is not None:
            record_transition(conn, job, reason=reason, detail=message)
        return job


def fail_job_with(
    conn: psycopg.Connection, attempt: Job, error: WorkerError, *, last_attempt: bool = False
) -> Job | None:
    """`fail_job` from a `PermanentError` / `TransientError`.

    A transient error on the queue's last delivery (`last_attempt`) fails the
    job as `retries_exhausted`, naming the last error: SQS will not deliver the
    message again (it goes to the DLQ), so "queued" would be a lie. A redrive
    may still run it again (see `start_job`).
    """
    if error.retryable and last_attempt:
        return fail_job(
            conn,
            attempt,
            permanent=True,
            reason=RETRIES_EXHAUSTED,
            message=f"gave up after the queue's last delivery; last error {error.reason}: {error.message}",
        )
    return fail_job(conn, attempt, permanent=not error.retryable, reason=error.reason, message=error.message)


def defer_job(conn: psycopg.Connection, attempt: Job, error: WorkerError, *, until: datetime) -> Job | None:
    """running -> queued, not started again before `until` (the sweeper re-sends it then); the error is kept.

    The attempt is counted as deferred (`deferrals`): it did no work, so it does not use up
    the attempts the sweeper allows (`common.job_recovery.requeue_abandoned`).

    `None` if the attempt no longer owns the job.
    """
    message = error.message[:MAX_ERROR_CHARS]
    with conn.transaction():
        with job_cursor(conn, Job) as cur:
            cur.execute(
                f"UPDATE jobs SET status = 'queued', error = %(message)s, error_reason = %(reason)s, "
                f"updated_at = now(), lease_until = NULL, not_before = %(until)s, deferrals = deferrals + 1 "
                f"WHERE {_OWNED} RETURNING {JOB_COLUMNS}",
                {"message": message, "reason": error.reason, "until": until, **_owner(attempt)},
            )
            job = cur.fetchone()
        if job is not None:
            record_transition(conn, job, reason=error.reason, detail=f"deferred to {until.isoformat()}: {message}")
        return job


def fail_unstarted(conn: psycopg.Connection, job_id: uuid.UUID | str, error: PermanentError) -> Job | None:
    """queued -> failed for a job no attempt can run (its message is unreadable, its object gone).

    `None` if the job is not queued: a running one belongs to its attempt.
    """
    message = error.message[:MAX_ERROR_CHARS]
    with conn.transaction():
        with job_cursor(conn, Job) as cur:
            cur.execute(
                f"UPDATE jobs SET status = 'failed', error = %s, error_reason = %s, updated_at = now(), "
                f"finished_at = now(), not_before = NULL WHERE id = %s AND status = 'queued' RETURNING {JOB_COLUMNS}",
                (message, error.reason, as_job_id(job_id)),
            )
            job = cur.fetchone()
        if job is not None:
            record_transition(conn, job, reason=error.reason, detail=message)
        return job


def job_history(conn: psycopg.Connection, job_id: uuid.UUID | str) -> list[JobEvent]:
    """The job's transitions, oldest first."""
    with conn.transaction(), job_cursor(conn, JobEvent) as cur:
        cur.execute(
            "SELECT id, job_id, status, attempt, reason, detail, at FROM job_events WHERE job_id = %s ORDER BY id",
            (as_job_id(job_id),),
        )
        return cur.fetchall()


def _owner(attempt: Job) -> dict[str, Any]:
    return {"id": attempt.id, "attempt": attempt.attempts}


def record_transition(
    conn: psycopg.Connection, job: Job, *, reason: str | None = None, detail: str | None = None
) -> None:
    conn.execute(
        "INSERT INTO job_events (job_id, status, attempt, reason, detail) VALUES (%s, %s, %s, %s, %s)",
        (job.id, job.status, job.attempts, reason, detail),
    )


def _require(conn: psycopg.Connection, job_id: uuid.UUID | str) -> Job:
    job = get_job(conn, job_id)
    if job is None:
        raise PermanentError("job_not_found", f"job {job_id} does not exist")
    return job


def as_job_id(job_id: uuid.UUID | str) -> uuid.UUID:
    if isinstance(job_id, uuid.UUID):
        return job_id
    try:
        return uuid.UUID(str(job_id))
    except ValueError:
        raise PermanentError("malformed_job_id", f"not a job id: {str(job_id)[:64]!r}") from None


def _tuple_row() -> Any:
    from psycopg.rows import tuple_row

    return tuple_row


def job_cursor(conn: psycopg.Connection, cls: type) -> psycopg.Cursor:
    from psycopg.rows import class_row

    return conn.cursor(row_factory=class_row(cls))
