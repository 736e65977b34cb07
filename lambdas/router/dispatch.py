"""POST /v1/jobs and GET /v1/jobs/{id}: create the job row, then queue its envelope; read one back with its output."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from common import payloads
from common.errors import TransientError
from router.errors import ApiError
from router.settings import RouterSettings

if TYPE_CHECKING:
    import psycopg

    from common.jobs import Job

logger = logging.getLogger(__name__)

Connection = Callable[[], AbstractContextManager["psycopg.Connection"]]
Sender = Callable[[str, dict[str, Any]], str]


def validate_job(body: dict[str, Any], settings: RouterSettings) -> tuple[str, dict[str, Any]]:
    """(task, payload) after the task's contract (common.payloads, as its worker checks it); 503 if this stage does not run the task.

    A payload that does not fit raises `common.schema.SchemaError`, the API's 400.
    """
    task = body["task"]
    payload = payloads.validate(task, body.get("payload") or {}, now=datetime.now(UTC))
    if task == "video":
        bucket = payload.setdefault("bucket", settings.uploads_bucket)
        if bucket is None or bucket != settings.uploads_bucket:
            raise ApiError(400, "invalid_request", "'payload.bucket' must be the uploads bucket")
    if task not in settings.queue_urls:
        raise ApiError(503, "task_unavailable", f"task {task!r} has no queue in this deployment", {"Retry-After": "60"})
    return task, payload


def scoped_key(owner: str, client_key: str | None) -> str | None:
    """The stored idempotency key: per caller, so two callers' keys never meet.

    A `sub` too long for the key's index (a btree entry holds about 2.7 KB) is
    replaced by its SHA-256; the usual short ones stay readable.
    """
    if not client_key:
        return None
    if len(owner) > MAX_PLAIN_OWNER_CHARS:
        import hashlib

        owner = "sha256:" + hashlib.sha256(owner.encode("utf-8", "surrogatepass")).hexdigest()
    return f"api:{owner}:{client_key}"


MAX_PLAIN_OWNER_CHARS = 256


def submit_job(
    task: str,
    payload: dict[str, Any],
    client_key: str | None,
    *,
    owner: str,
    settings: RouterSettings,
    connection: Connection,
    send: Sender,
) -> tuple[uuid.UUID, bool]:
    """(job id, created). The row is committed before the message so a fast worker finds it.

    A replay of a job no worker has started sends its message again: the first
    call may have died between the commit and the send, or SQS refused it. A
    duplicate message is harmless (workers lease the job and skip a finished
    one). A keyed job is never deleted here: a replay may have answered for it.
    """
    from router.job_store import create_owned_job, delete_unsent_job
    from router.queues import QueueRejected

    with connection() as conn:
        found, created = create_owned_job(
            conn, task, payload, owner=owner, idempotency_key=scoped_key(owner, client_key)
        )
    job = found.job
    if not created:
        # The owner check covers a `sub` holding ":" that spells another caller's scoped key.
        if found.owner != owner or job.task != task or job.payload != payload:
            raise ApiError(409, "idempotency_conflict", "this Idempotency-Key was used for a different request")
        if not _untouched(job):
            return job.id, False
    try:
        send(settings.queue_urls[task], job.to_envelope())
    except QueueRejected as exc:
        if created and not client_key:
            # Certainly not queued, and without a key nobody else can have seen the job: no message, no job.
            with connection() as conn:
                delete_unsent_job(conn, job.id)
            raise ApiError(503, "queue_unavailable", exc.message, {"Retry-After": "5"}) from exc
        # With a key, a concurrent replay may already have answered with this job and
        # queued its message: deleting the row would lose that job. It stays queued and
        # untouched, so a retry with the same key sends it again.
        raise ApiError(
            503,
            "queue_unavailable",
            f"job {job.id} was not queued ({exc.message}); retry with the same Idempotency-Key",
            {"Retry-After": "5"},
        ) from exc
    except TransientError as exc:
        # SQS may hold the message: deleting the row would leave a worker a
        # message without its job. Kept queued, it is sent again by a retry
        # with the same key while no worker has started it.
        logger.warning("job %s may not be queued: %s", job.id, exc.message)
        raise ApiError(
            503,
            "queue_unavailable",
            f"job {job.id} may not have been queued ({exc.message}); "
            + (
                "retry with the same Idempotency-Key"
                if client_key
                else "send an Idempotency-Key so a retry can recover it"
            ),
            {"Retry-After": "5"},
        ) from exc
    logger.info("job queued", extra={"job_id": str(job.id), "task": task, "replay": not created})
    return job.id, created


def _untouched(job: Job) -> bool:
    """Queued and never started: its message may never have reached the queue."""
    return job.status == "queued" and job.attempts == 0


def job_status(raw_id: str, *, caller: str, admin: bool, connection: Connection) -> dict[str, Any]:
    """The job's view for this caller; 404 alike for no job and someone else's, so ids reveal nothing."""
    from router.access import may_read
    from router.job_listing import job_view
    from router.job_queries import job_output, job_webhooks
    from router.job_store import get_owned_job

    try:
        job_id = uuid.UUID(raw_id)
    except ValueError:
        raise ApiError(400, "invalid_job_id", f"{raw_id[:64]!r} is not a job id (a UUID)") from None
    with connection() as conn:
        found = get_owned_job(conn, job_id)
        if found is None or not may_read(found.owner, caller, admin=admin):
            raise ApiError(404, "job_not_found", f"no job {job_id}")
        # The worker's full result (a video's analysis and features), read only for a job the caller may see.
        output = job_output(conn, found.job)
        webhooks = job_webhooks(conn, found.job.id)
    return {**job_view(found.job), "output": output, "webhooks": webhooks}
