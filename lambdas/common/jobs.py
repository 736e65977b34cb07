"""What a job is: the job and its history as values, and the queue envelope that asks for one.

The task list is `common.tasks` (re-exported here as `TASKS`).

No SQL here (that is `common.job_store`) and no Lambda: these values cross
every boundary (API answers, queue messages, the ops CLI).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from common.errors import PermanentError
from common.tasks import TASKS

JobStatus = Literal["queued", "running", "succeeded", "failed"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed"})

# Error text is for humans; cap it so a huge stack or response body can't bloat rows.
MAX_ERROR_CHARS = 2000

# The reason of a job whose transient failures outlasted the queue's deliveries.
# Such a job may run again (a DLQ redrive is a deliberate re-run); a job failed
# for any other reason may not.
RETRIES_EXHAUSTED = "retries_exhausted"


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
