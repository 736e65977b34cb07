"""Job envelope parsing and the `jobs` / `job_events` repository.

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
    running -> running                     (redelivery after the attempt's lease expired)
    failed(retries_exhausted) -> running   (the message was redriven from the DLQ)

A running job is leased to its attempt (`lease_until`): a duplicate delivery
while the lease is live gets `None` from `start_job` and is acknowledged, so
two copies of one job never run at once. The copy the live worker holds comes
back by itself after the visibility timeout if that worker dies, and by then
the lease (the function's remaining time plus a margin) has expired.

Other finished jobs (succeeded, or failed for a permanent reason) never change
again, so a duplicate delivery is a no-op.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, get_args

from common.errors import PermanentError, WorkerError

if TYPE_CHECKING:
    import psycopg

Task = Literal["video", "trends", "data", "alerts"]
JobStatus = Literal["queued", "running", "succeeded", "failed"]
TASKS: tuple[str, ...] = get_args(Task)
TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed"})

# Error text is for humans; cap it so a huge stack or response body can't bloat rows.
MAX_ERROR_CHARS = 2000

# The reason of a job whose transient failures outlasted the queue's deliveries.
# Such a job may run again (a DLQ redrive is a deliberate re-run); a job failed
# for any other reason may not.
RETRIES_EXHAUSTED = "retries_exhausted"

# Added to the worker's remaining time: covers the last writes after the work
# and the time between reading the clock and the lease reaching the database.
LEASE_MARGIN_S = 30.0
# The lease of a caller that does not say: the longest a Lambda can run, plus the margin.
DEFAULT_LEASE_S = 900.0 + LEASE_MARGIN_S


@dataclass(frozen=True)
class JobMessage:
    """A parsed queue envelope.

    Either `job_id` is set (a job created by the API or the upload flow) or
    `scheduled_time` is (an EventBridge Scheduler message; the job is created on
    first sight, keyed by task and time).
    """

    task: str
    payload: dict[str, Any]
    job_id: uuid.UUID | None = None
    scheduled_time: datetime | None = None

    @property
    def idempotency_key(self) -> str | None:
        """The key that makes a duplicated schedule run its window once."""
        if self.scheduled_time is None:
            return None
        return schedule_key(self.task, self.scheduled_time)

    def to_envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {"task": self.task, "payload": self.payload}
        if self.job_id is not None:
            body["jobId"] = str(self.job_id)
        if self.scheduled_time is not None:
            body["scheduledTime"] = _iso_utc(self.scheduled_time)
        return body


@dataclass(frozen=True)
class Job:
    id: uuid.UUID
    task: str
    status: str
    payload: dict[str, Any]
    idempotency_key: str | None
    attempts: int
    error: str | None
    error_reason: str | None
    result: Any
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    lease_until: datetime | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def to_envelope(self) -> dict[str, Any]:
        """The queue message that asks a worker to run this job."""
        return {"jobId": str(self.id), "task": self.task, "payload": self.payload}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (API responses, ops CLI)."""
        return {
            "jobId": str(self.id),
            "task": self.task,
            "status": self.status,
            "payload": self.payload,
            "idempotencyKey": self.idempotency_key,
            "attempts": self.attempts,
            "error": self.error,
            "errorReason": self.error_reason,
            "result": self.result,
            "createdAt": _iso_or_none(self.created_at),
            "updatedAt": _iso_or_none(self.updated_at),
            "startedAt": _iso_or_none(self.started_at),
            "finishedAt": _iso_or_none(self.finished_at),
        }


@dataclass(frozen=True)
class JobEvent:
    id: int
    job_id: uuid.UUID
    status: str
    attempt: int
    reason: str | None
    detail: str | None
    at: datetime = field(compare=False)


# --- envelope -----------------------------------------------------------------


def parse_message(body: str | bytes | Mapping[str, Any]) -> JobMessage:
    """Parse a queue message body into a `JobMessage`; `PermanentError` if malformed."""
    if isinstance(body, str | bytes):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise PermanentError("malformed_message", "message body is not valid JSON") from None
    else:
        data = body
    if not isinstance(data, Mapping):
        raise PermanentError("malformed_message", f"message must be a JSON object, got {type(data).__name__}")

    task = data.get("task")
    if task is None:
        raise PermanentError("malformed_message", "message has no 'task'")
    if task not in TASKS:
        raise PermanentError("unknown_task", f"unknown task {task!r}; expected one of {', '.join(TASKS)}")

    payload = data.get("payload", {})
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise PermanentError("malformed_message", "'payload' must be a JSON object")

    job_id = _parse_job_id(data.get("jobId"))
    scheduled_time = _parse_time(data.get("scheduledTime"))
    if job_id is None and scheduled_time is None:
        raise PermanentError("malformed_message", "message needs a 'jobId' or a 'scheduledTime'")
    return JobMessage(task=task, payload=payload, job_id=job_id, scheduled_time=scheduled_time)


def schedule_key(task: str, scheduled_time: datetime) -> str:
    """`"<task>:<UTC ISO time>"`; "Z" and "+00:00" spellings give the same key."""
    return f"{task}:{_iso_utc(scheduled_time)}"


def upload_key(bucket: str, key: str) -> str:
    """The key of the job an upload completes: issued with the upload URL, found again from S3's notification."""
    return f"upload:{bucket}/{key}"


def _parse_job_id(raw: Any) -> uuid.UUID | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise PermanentError("malformed_message", "'jobId' must be a UUID string")
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise PermanentError("malformed_message", f"'jobId' is not a UUID: {raw[:64]!r}") from None


def _parse_time(raw: Any) -> datetime | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise PermanentError("malformed_message", "'scheduledTime' must be an ISO 8601 string")
    try:
        # Python 3.11+ accepts the trailing "Z" EventBridge Scheduler sends.
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise PermanentError("malformed_message", f"'scheduledTime' is not ISO 8601: {raw[:64]!r}") from None
    if value.tzinfo is None:
        raise PermanentError("malformed_message", f"'scheduledTime' has no time zone: {raw[:64]!r}")
    return value.astimezone(UTC)


def _iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _iso_or_none(value: datetime | None) -> str | None:
    return None if value is None else _iso_utc(value)


# --- repository ----------------------------------------------------------------

_JOB_COLUMNS = (
    "id, task, status, payload, idempotency_key, attempts, error, error_reason, result, "
    "created_at, updated_at, started_at, finished_at, lease_until"
)


def create_job(
    conn: psycopg.Connection,
    task: str,
    payload: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> tuple[Job, bool]:
    """Create a queued job; with a key already used, return that job and `created=False`."""
    from psycopg.types.json import Jsonb

    if task not in TASKS:
        raise PermanentError("unknown_task", f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    with conn.transaction():
        with _cursor(conn, Job) as cur:
            cur.execute(
                f"INSERT INTO jobs (task, payload, idempotency_key) VALUES (%s, %s, %s) "
                f"ON CONFLICT (idempotency_key) DO NOTHING RETURNING {_JOB_COLUMNS}",
                (task, Jsonb(dict(payload or {})), idempotency_key),
            )
            job = cur.fetchone()
        if job is not None:
            _record(conn, job, detail="created")
            return job, True
        existing = get_job_by_key(conn, idempotency_key) if idempotency_key else None
    if existing is None:  # pragma: no cover - only reachable if the row was deleted in between
        raise RuntimeError(f"job with key {idempotency_key!r} vanished")
    return existing, False


def get_job(conn: psycopg.Connection, job_id: uuid.UUID | str) -> Job | None:
    with conn.transaction(), _cursor(conn, Job) as cur:
        cur.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = %s", (_as_uuid(job_id),))
        return cur.fetchone()


def get_job_by_key(conn: psycopg.Connection, idempotency_key: str) -> Job | None:
    with conn.transaction(), _cursor(conn, Job) as cur:
        cur.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE idempotency_key = %s", (idempotency_key,))
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


def lease_for(remaining_s: float) -> float:
    """The lease an attempt takes: the worker's remaining time plus `LEASE_MARGIN_S`."""
    return max(remaining_s, 0.0) + LEASE_MARGIN_S


def start_job(
    conn: psycopg.Connection, job_id: uuid.UUID | str, *, lease_seconds: float = DEFAULT_LEASE_S
) -> Job | None:
    """Take the job for one attempt and count it; `None` if this delivery must not run it.

    Taken when queued, when running under an expired lease (the previous
    attempt died), or when failed with `retries_exhausted` (a redrive). A job
    running under a live lease (a duplicate delivery) or finished for good is
    left alone. The row lock makes two concurrent starts take turns: the
    second sees the first one's lease and gets `None`.
    """
    if lease_seconds <= 0:
        raise ValueError(f"lease_seconds must be positive, got {lease_seconds}")
    uid = _as_uuid(job_id)
    with conn.transaction():
        with conn.cursor(row_factory=_tuple_row()) as cur:
            cur.execute(
                "SELECT status, error_reason, lease_until IS NULL OR lease_until < now() FROM jobs WHERE id = %s FOR UPDATE",
                (uid,),
            )
            current = cur.fetchone()
        if current is None:
            raise PermanentError("job_not_found", f"job {job_id} does not exist")
        detail = _start_detail(*current)
        if detail is None:
            return None
        with _cursor(conn, Job) as cur:
            cur.execute(
                f"UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = now(), updated_at = now(), "
                f"finished_at = NULL, lease_until = now() + make_interval(secs => %s) "
                f"WHERE id = %s RETURNING {_JOB_COLUMNS}",
                (float(lease_seconds), uid),
            )
            job = cur.fetchone()
        _record(conn, job, detail=detail)
        return job


def _start_detail(status: str, error_reason: str | None, lease_expired: bool) -> str | None:
    """Why an attempt may take a job in this state (its history line), or None if it may not."""
    if status == "queued":
        return "started"
    if status == "running" and lease_expired:
        return "started again: the previous attempt's lease expired"
    if status == "failed" and error_reason == RETRIES_EXHAUSTED:
        return "started again: redriven after its retries were exhausted"
    return None


def succeed_job(conn: psycopg.Connection, job_id: uuid.UUID | str, result: Any = None) -> Job:
    """Mark the job succeeded with a result summary; a finished job is returned unchanged."""
    from psycopg.types.json import Jsonb

    with conn.transaction():
        with _cursor(conn, Job) as cur:
            cur.execute(
                f"UPDATE jobs SET status = 'succeeded', result = %s, error = NULL, error_reason = NULL, "
                f"finished_at = now(), updated_at = now(), lease_until = NULL "
                f"WHERE id = %s AND status IN ('queued', 'running') RETURNING {_JOB_COLUMNS}",
                (None if result is None else Jsonb(result), _as_uuid(job_id)),
            )
            job = cur.fetchone()
        if job is None:
            return _require(conn, job_id)
        _record(conn, job, detail="succeeded")
        return job


def fail_job(
    conn: psycopg.Connection,
    job_id: uuid.UUID | str,
    *,
    permanent: bool,
    reason: str,
    message: str,
) -> Job:
    """Record a failure: permanent -> failed; transient -> back to queued, error kept.

    A finished job is returned unchanged.
    """
    message = message[:MAX_ERROR_CHARS]
    new_status = "failed" if permanent else "queued"
    with conn.transaction():
        with _cursor(conn, Job) as cur:
            cur.execute(
                f"UPDATE jobs SET status = %s, error = %s, error_reason = %s, updated_at = now(), lease_until = NULL, "
                f"finished_at = CASE WHEN %s THEN now() END "
                f"WHERE id = %s AND status IN ('queued', 'running') RETURNING {_JOB_COLUMNS}",
                (new_status, message, reason, permanent, _as_uuid(job_id)),
            )
            job = cur.fetchone()
        if job is None:
            return _require(conn, job_id)
        _record(conn, job, reason=reason, detail=message)
        return job


def fail_job_with(
    conn: psycopg.Connection, job_id: uuid.UUID | str, error: WorkerError, *, last_attempt: bool = False
) -> Job:
    """`fail_job` from a `PermanentError` / `TransientError`.

    A transient error on the queue's last delivery (`last_attempt`) fails the
    job as `retries_exhausted`, naming the last error: SQS will not deliver the
    message again (it goes to the DLQ), so "queued" would be a lie. A redrive
    may still run it again (see `start_job`).
    """
    if error.retryable and last_attempt:
        return fail_job(
            conn,
            job_id,
            permanent=True,
            reason=RETRIES_EXHAUSTED,
            message=f"gave up after the queue's last delivery; last error {error.reason}: {error.message}",
        )
    return fail_job(conn, job_id, permanent=not error.retryable, reason=error.reason, message=error.message)


def requeue_failed(conn: psycopg.Connection, job_id: uuid.UUID | str, *, note: str) -> Job | None:
    """failed -> queued, error and result cleared: an operator's re-run.

    The one deliberate exception to "a finished job never changes" (which keeps
    duplicate deliveries from reviving jobs); None if the job was not failed.
    """
    with conn.transaction():
        with _cursor(conn, Job) as cur:
            cur.execute(
                f"UPDATE jobs SET status = 'queued', error = NULL, error_reason = NULL, result = NULL, "
                f"finished_at = NULL, updated_at = now() WHERE id = %s AND status = 'failed' RETURNING {_JOB_COLUMNS}",
                (_as_uuid(job_id),),
            )
            job = cur.fetchone()
        if job is not None:
            _record(conn, job, reason="rerun", detail=note[:MAX_ERROR_CHARS])
        return job


def job_history(conn: psycopg.Connection, job_id: uuid.UUID | str) -> list[JobEvent]:
    """The job's transitions, oldest first."""
    with conn.transaction(), _cursor(conn, JobEvent) as cur:
        cur.execute(
            "SELECT id, job_id, status, attempt, reason, detail, at FROM job_events WHERE job_id = %s ORDER BY id",
            (_as_uuid(job_id),),
        )
        return cur.fetchall()


def _record(conn: psycopg.Connection, job: Job, *, reason: str | None = None, detail: str | None = None) -> None:
    conn.execute(
        "INSERT INTO job_events (job_id, status, attempt, reason, detail) VALUES (%s, %s, %s, %s, %s)",
        (job.id, job.status, job.attempts, reason, detail),
    )


def _require(conn: psycopg.Connection, job_id: uuid.UUID | str) -> Job:
    job = get_job(conn, job_id)
    if job is None:
        raise PermanentError("job_not_found", f"job {job_id} does not exist")
    return job


def _as_uuid(job_id: uuid.UUID | str) -> uuid.UUID:
    if isinstance(job_id, uuid.UUID):
        return job_id
    try:
        return uuid.UUID(str(job_id))
    except ValueError:
        raise PermanentError("malformed_job_id", f"not a job id: {str(job_id)[:64]!r}") from None


def _tuple_row() -> Any:
    from psycopg.rows import tuple_row

    return tuple_row


def _cursor(conn: psycopg.Connection, cls: type) -> psycopg.Cursor:
    from psycopg.rows import class_row

    return conn.cursor(row_factory=class_row(cls))
