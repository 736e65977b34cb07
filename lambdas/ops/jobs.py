"""Operator actions on one job: its history, and a re-run. No Lambda knowledge here.

The ops function and the CLI's ``--database-url`` mode both run these; the
caller brings the connection and the way to send an envelope to a task queue.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common import job_recovery, job_store, jobs
from ops.errors import OpsError

if TYPE_CHECKING:
    import psycopg

# (task, envelope) -> SQS message id
Send = Callable[[str, dict[str, Any]], str]
RERUN_NOTE = "requeued by an operator (ops function)"


@dataclass(frozen=True)
class Rerun:
    job_id: str
    task: str
    previous_status: str
    message_id: str

    def to_dict(self) -> dict[str, str]:
        return {
            "jobId": self.job_id,
            "task": self.task,
            "previousStatus": self.previous_status,
            "messageId": self.message_id,
        }


def parse_job_id(raw: object) -> uuid.UUID:
    if not isinstance(raw, str):
        raise OpsError("jobId must be a UUID string", code="bad_job_id")
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise OpsError(f"not a job id (UUID): {raw[:64]!r}", code="bad_job_id") from None


def history(conn: psycopg.Connection, job_id: uuid.UUID) -> dict[str, Any]:
    job = _existing(conn, job_id)
    events = [
        {"at": e.at.isoformat(), "status": e.status, "attempt": e.attempt, "reason": e.reason, "detail": e.detail}
        for e in job_store.job_history(conn, job_id)
    ]
    return {"job": job.to_dict(), "events": events}


def rerun(conn: psycopg.Connection, send: Send, job_id: uuid.UUID, *, force: bool = False) -> Rerun:
    """Send the job's envelope to its task queue again.

    A failed job is reset to queued first. A queued job (its messages ran out
    of retries on transient errors, or a previous re-run could not send) is
    re-sent as is. A running job is only re-sent with ``force`` (it may really
    be running); a succeeded one never.
    """
    job = _existing(conn, job_id)
    if job.status == "succeeded":
        raise OpsError(f"job {job_id} succeeded; nothing to re-run", code="job_succeeded")
    if job.status == "running" and not force:
        raise OpsError(
            f"job {job_id} is running (attempt {job.attempts}); re-run it with force only if its worker died",
            code="job_running",
        )
    if job.status == "failed" and job_recovery.requeue_failed(conn, job.id, note=RERUN_NOTE) is None:
        raise OpsError(f"job {job_id} changed while re-running it; look at its history", code="job_changed")
    try:
        message_id = send(job.task, job.to_envelope())
    except OpsError as err:
        # Requeued but not sent: a queued job is re-sent as is, so asking again is safe.
        raise OpsError(
            f"job {job_id} is queued but its message was not sent ({err.message}); re-run it again", code=err.code
        ) from err
    return Rerun(str(job.id), job.task, job.status, message_id)


def _existing(conn: psycopg.Connection, job_id: uuid.UUID) -> jobs.Job:
    job = job_store.get_job(conn, job_id)
    if job is None:
        raise OpsError(f"job {job_id} does not exist", code="job_not_found")
    return job
