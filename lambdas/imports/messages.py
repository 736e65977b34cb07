"""What the imports queue carries: S3 event notifications for objects under events/ (and S3's test event),
and job envelopes (`{"jobId", "task": "imports", "payload": {"bucket", "key", ...}}`) the sweeper or the
ops CLI re-send for a job whose message was lost."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from common import jobs
from common.errors import PermanentError

TASK = "imports"


@dataclass(frozen=True)
class ImportRequest:
    bucket: str
    key: str
    job_id: uuid.UUID | None = None


def parse_body(body: str) -> list[ImportRequest]:
    """The files a queue message names ([] for S3's test event and for events other than a creation)."""
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        raise PermanentError("malformed_message", "message body is not valid JSON") from None
    if not isinstance(data, dict):
        raise PermanentError("malformed_message", "message must be a JSON object")
    if data.get("Event") == "s3:TestEvent":
        return []
    if "task" in data:
        return [_from_job(data)]
    records = data.get("Records")
    if not isinstance(records, list):
        raise PermanentError("malformed_message", "the message is not an S3 event notification")
    return [r for r in (_request(record) for record in records) if r is not None]


def _request(record: Any) -> ImportRequest | None:
    try:
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            return None
        s3 = record["s3"]
        bucket, key = s3["bucket"]["name"], s3["object"]["key"]
    except (KeyError, TypeError, AttributeError):
        raise PermanentError("malformed_message", "S3 record has no bucket name or object key") from None
    if not isinstance(bucket, str) or not isinstance(key, str):
        raise PermanentError("malformed_message", "S3 record's bucket name and object key must be strings")
    # S3 URL-encodes keys in notifications (a space arrives as '+').
    return ImportRequest(bucket, unquote_plus(key))


def _from_job(data: dict[str, Any]) -> ImportRequest:
    msg = jobs.parse_message(data)
    if msg.task != TASK:
        raise PermanentError("wrong_queue", f"a {msg.task} message reached the {TASK} queue")
    bucket, key = msg.payload.get("bucket"), msg.payload.get("key")
    if msg.job_id is None or not isinstance(bucket, str) or not isinstance(key, str):
        raise PermanentError("malformed_message", "an imports job message needs a jobId and payload bucket and key")
    return ImportRequest(bucket, key, msg.job_id)
