"""POST /v1/jobs and GET /v1/jobs/{id}: create the job row, then queue its envelope."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from common.errors import TransientError
from router.contract import TASK_PAYLOADS
from router.errors import ApiError
from router.settings import RouterSettings

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)

Connection = Callable[[], AbstractContextManager["psycopg.Connection"]]
Sender = Callable[[str, dict[str, Any]], str]


def validate_job(body: dict[str, Any], settings: RouterSettings) -> tuple[str, dict[str, Any]]:
    """(task, payload) after the task's own schema; 503 if this stage does not run the task."""
    task = body["task"]
    payload = TASK_PAYLOADS[task].validate(body.get("payload") or {}, "payload")
    if task == "video":
        bucket = payload.setdefault("bucket", settings.uploads_bucket)
        if bucket is None or bucket != settings.uploads_bucket:
            raise ApiError(400, "invalid_request", "'payload.bucket' must be the uploads bucket")
    if task not in settings.queue_urls:
        raise ApiError(503, "task_unavailable", f"task {task!r} has no queue in this deployment", {"Retry-After": "60"})
    return task, payload


def submit_job(
    task: str,
    payload: dict[str, Any],
    client_key: str | None,
    *,
    settings: RouterSettings,
    connection: Connection,
    send: Sender,
) -> tuple[uuid.UUID, bool]:
    """(job id, created). The row is committed before the message so a fast worker finds it."""
    from common import jobs
    from router.job_store import delete_unsent_job

    key = f"api:{client_key}" if client_key else None
    with connection() as conn:
        job, created = jobs.create_job(conn, task, payload, idempotency_key=key)
    if not created:
        if job.task != task or job.payload != payload:
            raise ApiError(409, "idempotency_conflict", "this Idempotency-Key was used for a different request")
        return job.id, False
    try:
        send(settings.queue_urls[task], job.to_envelope())
    except TransientError as exc:
        # No message, no job: a retry with the same key starts clean.
        with connection() as conn:
            delete_unsent_job(conn, job.id)
        raise ApiError(503, "queue_unavailable", exc.message, {"Retry-After": "5"}) from exc
    logger.info("job queued", extra={"job_id": str(job.id), "task": task})
    return job.id, True


def job_status(raw_id: str, *, connection: Connection) -> dict[str, Any]:
    from common import jobs

    try:
        job_id = uuid.UUID(raw_id)
    except ValueError:
        raise ApiError(400, "invalid_job_id", f"{raw_id[:64]!r} is not a job id (a UUID)") from None
    with connection() as conn:
        job = jobs.get_job(conn, job_id)
    if job is None:
        raise ApiError(404, "job_not_found", f"no job {job_id}")
    view = job.to_dict()
    view.pop("idempotencyKey", None)
    return view
