"""What the imports queue carries: S3 event notifications for objects under events/ (and S3's test event),
and job envelopes (`{"jobId", "task": "imports", "payload": {"bucket", "key", ...}}`) the sweeper or the
ops CLI re-send for a job whose message was lost."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from common import jobs, s3_notifications
from common.errors import PermanentError

TASK = "imports"


@dataclass(frozen=True)
class ImportRequest:
    bucket: str
    key: str
    job_id: uuid.UUID | None = None


def parse_body(body: str) -> list[ImportRequest]:
    """The files a queue message names ([] for S3's test event and for events other than a creation)."""
    data = s3_notifications.read_body(body)
    if s3_notifications.is_test_event(data):
        return []
    if "task" in data:
        return [_from_job(data)]
    records = data.get("Records")
    if not isinstance(records, list):
        raise PermanentError("malformed_message", "the message is not an S3 event notification")
    return [ImportRequest(bucket, key) for bucket, key in s3_notifications.created_objects(records)]


def _from_job(data: dict[str, Any]) -> ImportRequest:
    msg = jobs.parse_message(data)
    if msg.task != TASK:
        raise PermanentError("wrong_queue", f"a {msg.task} message reached the {TASK} queue")
    bucket, key = msg.payload.get("bucket"), msg.payload.get("key")
    if msg.job_id is None or not isinstance(bucket, str) or not isinstance(key, str):
        raise PermanentError("malformed_message", "an imports job message needs a jobId and payload bucket and key")
    return ImportRequest(bucket, key, msg.job_id)
