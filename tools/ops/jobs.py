"""Job operations of the ops CLI: history, and re-run by id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common import jobs
from common.errors import PermanentError
from tools.ops.queues import OpsError, Queues

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class Rerun:
    job_id: str
    task: str
    previous_status: str
    message_id: str


def parse_job_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise OpsError(f"not a job id (UUID): {raw[:64]!r}") from None


def history(conn: psycopg.Connection, job_id: uuid.UUID) -> dict[str, Any]:
    job = jobs.get_job(conn, job_id)
    if job is None:
        raise OpsError(f"job {job_id} does not exist")
    events = [
        {"at": e.at.isoformat(), "status": e.status, "attempt": e.attempt, "reason": e.reason, "detail": e.detail}
        for e in jobs.job_history(conn, job_id)
    ]
    return {"job": job.to_dict(), "events": events}


def rerun(conn: psycopg.Connection, queues: Queues, job_id: uuid.UUID, *, force: bool = False) -> Rerun:
    """Send the job's envelope to its task queue again.

    A failed job is reset to queued first. A queued job (its messages ran out
    of retries on transient errors) is re-sent as is. A running job is only
    re-sent with ``force`` (it may really be running); a succeeded one never.
    """
    job = jobs.get_job(conn, job_id)
    if job is None:
        raise OpsError(f"job {job_id} does not exist")
    if job.status == "succeeded":
        raise OpsError(f"job {job_id} succeeded; nothing to re-run")
    if job.status == "running" and not force:
        raise OpsError(f"job {job_id} is running (attempt {job.attempts}); pass --force if its worker died")
    if job.status == "failed" and jobs.requeue_failed(conn, job.id, note="requeued by the ops CLI") is None:
        raise OpsError(f"job {job_id} changed while re-running it; look at its history")
    try:
        message_id = queues.send(job.task, job.to_envelope())
    except PermanentError as err:  # pragma: no cover - envelope built from a valid row
        raise OpsError(str(err)) from err
    return Rerun(str(job.id), job.task, job.status, message_id)
