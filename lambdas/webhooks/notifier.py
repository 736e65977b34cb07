"""One job completion to every endpoint subscribed to its event: signed, posted, each attempt recorded.

Per the Standard Webhooks specification: the body is `{"type", "timestamp",
"data"}`, signed with the endpoint's secret over "{webhook-id}.{webhook-timestamp}.{body}".
The webhook-id is derived from (job, attempt, event), so every retry of one
event, and a second announcement of it, carries the same id; the payload is
stored with the first attempt and every retry sends that same body.

An endpoint already delivered is skipped; the others are attempted. When one
fails, `notify` answers how long the message should wait before its next
delivery (the settings' back-off for this receive), and the handler holds it
that long on the queue.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from common import job_store
from common.completion import Completion
from webhooks import sender, store
from webhooks.settings import Endpoint, WebhookSettings

if TYPE_CHECKING:
    import psycopg

    from common.jobs import Job

logger = logging.getLogger(__name__)

Connect = Callable[[], AbstractContextManager["psycopg.Connection"]]
Post = Callable[..., sender.PostResult]
SecretFor = Callable[[Endpoint], str]
# Fixed: the same (job, attempt, event) always names the same message.
_MESSAGE_NAMESPACE = uuid.UUID("5b0c7a4e-2f51-4d3c-9a43-1d6f7e2c8b90")
_STATUS_OF_EVENT = {"job.succeeded": "succeeded", "job.failed": "failed"}


def message_id(completion: Completion) -> str:
    key = f"{completion.job_id}/{completion.attempt}/{completion.event}"
    return "msg_" + uuid.uuid5(_MESSAGE_NAMESPACE, key).hex


def event_payload(job: Job, event: str) -> dict[str, Any]:
    finished = job.finished_at or job.updated_at
    return {
        "type": event,
        "timestamp": _iso(finished),
        "data": {
            "jobId": str(job.id),
            "task": job.task,
            "status": job.status,
            "attempts": job.attempts,
            "result": job.result,
            "error": job.error,
            "errorReason": job.error_reason,
            "createdAt": _iso(job.created_at),
            "finishedAt": _iso(finished),
        },
    }


def notify(
    completion: Completion,
    *,
    receive_count: int,
    settings: WebhookSettings,
    connect: Connect,
    secret_for: SecretFor,
    post: Post = sender.post,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int | None:
    """Deliver the completion; None when every subscribed endpoint has it, else the seconds to wait before retrying."""
    endpoints = settings.subscribed(completion.event)
    if not endpoints:
        return None
    msg_id = message_id(completion)
    last = receive_count >= settings.max_receive_count
    failed = False
    for endpoint in endpoints:
        with connect() as conn:
            delivery = _delivery(conn, completion, msg_id, endpoint)
        if delivery is None or delivery.status == "delivered":
            continue
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
        result = post(
            endpoint.url,
            body.encode(),
            _signed_headers(secret_for(endpoint), msg_id, body, now()),
            timeout_s=settings.timeout_s,
            require_https=settings.require_https,
            allowed=settings.allowed_networks,
        )
        with connect() as conn:
            status = store.record_attempt(
                conn,
                delivery,
                job_id=completion.job_id,
                status_code=result.status,
                error=result.error,
                duration_ms=result.duration_ms,
                last=last,
            )
        if status != "delivered":
            failed = True
            logger.warning(
                "webhook %s to %s failed (receive %d): %s", msg_id, endpoint.name, receive_count, result.error
            )
        else:
            logger.info("webhook %s delivered to %s (HTTP %s)", msg_id, endpoint.name, result.status)
    return settings.delay_after(receive_count) if failed else None


def _delivery(conn: psycopg.Connection, completion: Completion, msg_id: str, endpoint: Endpoint):  # type: ignore[no-untyped-def]
    """The endpoint's delivery of this event, opened on first sight; None if the job no longer ended so."""
    job = job_store.get_job(conn, completion.job_id)
    if job is None:
        logger.warning("job %s is gone; its %s webhook is dropped", completion.job_id, completion.event)
        return None
    if job.status != _STATUS_OF_EVENT[completion.event]:
        # Re-run since (an operator's rerun, a redrive): only a delivery already begun goes on.
        return store.find_delivery(conn, msg_id, endpoint.name)
    return store.open_delivery(
        conn,
        message_id=msg_id,
        endpoint=endpoint.name,
        job_id=completion.job_id,
        event_type=completion.event,
        payload=event_payload(job, completion.event),
    )


def _signed_headers(secret: str, msg_id: str, body: str, at: datetime) -> dict[str, str]:
    from standardwebhooks import Webhook

    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body),
    }


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
