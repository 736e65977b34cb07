"""What the video queue carries: S3 event notifications and job envelopes.

Accepted bodies:

* an S3 event notification (``{"Records": [{"eventSource": "aws:s3", ...}]}``);
* S3's ``s3:TestEvent`` sent when the notification is configured: ignored;
* a job envelope ``{"jobId", "task": "video", "payload": {"bucket", "key"}}``
  (or the flat ``{"jobId", "bucket", "key"}`` the API may send).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from common import jobs
from common.errors import PermanentError


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
            # S3 URL-encodes keys in notifications (a space arrives as '+').
            requests.append(VideoRequest(bucket=s3["bucket"]["name"], key=unquote_plus(s3["object"]["key"])))
        except (KeyError, TypeError, AttributeError):
            raise PermanentError("malformed_message", "S3 record has no bucket name or object key") from None
    return requests


def _from_job(data: dict[str, Any]) -> VideoRequest:
    if "task" in data:
        msg = jobs.parse_message(data)
        if msg.task != "video":
            raise PermanentError("unknown_task", f"the video queue got a {msg.task} job")
        job_id, fields = msg.job_id, msg.payload
    else:
        job_id, fields = _job_id(data.get("jobId")), data
    if job_id is None:
        raise PermanentError("malformed_message", "job message has no 'jobId'")
    bucket, key = fields.get("bucket"), fields.get("key")
    for name, value in (("bucket", bucket), ("key", key)):
        if not isinstance(value, str) or not value:
            raise PermanentError("malformed_message", f"job message has no '{name}'")
    return VideoRequest(bucket=bucket, key=key, job_id=job_id)


def _job_id(raw: Any) -> uuid.UUID | None:
    if raw is None:
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise PermanentError("malformed_message", f"'jobId' is not a UUID: {str(raw)[:64]!r}") from None
