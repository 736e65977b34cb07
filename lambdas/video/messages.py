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

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from common import jobs, payloads
from common.errors import PermanentError
from common.schema import SchemaError


@dataclass(frozen=True)
class VideoRequest:
    bucket: str
    key: str
    job_id: uuid.UUID | None = None


def parse_body(body: str) -> list[VideoRequest]:
    """The videos a queue message asks for ([] for S3's test event)."""
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        raise PermanentError("malformed_message", "message body is not valid JSON") from None
    if not isinstance(data, dict):
        raise PermanentError("malformed_message", "message must be a JSON object")
    if data.get("Event") == "s3:TestEvent":
        return []
    if "Records" in data:
        return _from_s3_event(data["Records"])
    return [_from_job(data)]


def _from_s3_event(records: Any) -> list[VideoRequest]:
    if not isinstance(records, list):
        raise PermanentError("malformed_message", "'Records' must be a list")
    requests = []
    for record in records:
        try:
            if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
                continue
            s3 = record["s3"]
            bucket, key = s3["bucket"]["name"], s3["object"]["key"]
        except (KeyError, TypeError, AttributeError):
            raise PermanentError("malformed_message", "S3 record has no bucket name or object key") from None
        if not isinstance(bucket, str) or not isinstance(key, str):
            raise PermanentError("malformed_message", "S3 record's bucket name and object key must be strings")
        # S3 URL-encodes keys in notifications (a space arrives as '+'). Whether
        # the object is an upload is the worker's check (storage.require_upload),
        # so a stray event is recorded on a job, not just dropped.
        requests.append(VideoRequest(bucket=bucket, key=unquote_plus(key)))
    return requests


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
