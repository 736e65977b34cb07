"""What the video queue carries: S3 event notifications and job envelopes.

Accepted bodies:

* an S3 event notification (``{"Records": [{"eventSource": "aws:s3", ...}]}``);
* S3's ``s3:TestEvent`` sent when the notification is configured: ignored;
* a job envelope ``{"jobId", "task": "video", "payload": {"bucket", "key"}}``
  (or the flat ``{"jobId", "bucket", "key"}``).

A job's payload is checked against the video task's contract
(`common.payloads`, the one `POST /v1/jobs` checks: ``key`` under uploads/,
``bucket``); one that does not fit is a `bad_payload` permanent failure,
recorded on the job it names, never retried.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from common import jobs, payloads, s3_notifications
from common.errors import PermanentError
from common.schema import SchemaError


@dataclass(frozen=True)
class VideoRequest:
    bucket: str
    key: str
    job_id: uuid.UUID | None = None


def parse_body(body: str) -> list[VideoRequest]:
    """The videos a queue message asks for ([] for S3's test event)."""
    data = s3_notifications.read_body(body)
    if s3_notifications.is_test_event(data):
        return []
    if "Records" in data:
        # Whether each object is an upload is the worker's check (storage.require_upload),
        # so a stray event is recorded on a job, not just dropped.
        return [VideoRequest(bucket, key) for bucket, key in s3_notifications.created_objects(data["Records"])]
    return [_from_job(data)]


def _from_job(data: dict[str, Any]) -> VideoRequest:
    if "task" in data:
        msg = jobs.parse_message(data)
        if msg.task != "video":
            raise PermanentError("unknown_task", f"the video queue got a {msg.task} job")
        job_id, fields, where = msg.job_id, msg.payload, "payload"
    else:
        job_id, fields, where = _job_id(data.get("jobId")), {k: v for k, v in data.items() if k != "jobId"}, "message"
    if job_id is None:
        raise PermanentError("malformed_message", "job message has no 'jobId'")
    payload = payloads.validate("video", fields, where=where, from_job=True)
    bucket = fields.get("bucket")
    if not isinstance(bucket, str) or not bucket:
        # The API fills it in (clients never name it); without it the object cannot be found.
        raise SchemaError.at(f"{where}.bucket", "is required on the queue")
    return VideoRequest(bucket=bucket, key=payload["key"], job_id=job_id)


def _job_id(raw: Any) -> uuid.UUID | None:
    if raw is None:
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise PermanentError("malformed_message", f"'jobId' is not a UUID: {str(raw)[:64]!r}") from None
