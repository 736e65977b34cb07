"""S3 event notifications as SQS delivers them: the message read as JSON, S3's test event, the objects created.

The video queue (uploads/) and the imports queue (events/) get the same
notifications; what each does with an object is its own.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from common.errors import PermanentError


def read_body(body: str) -> dict[str, Any]:
    """The message as a JSON object; `PermanentError` (malformed_message) for anything else."""
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        raise PermanentError("malformed_message", "message body is not valid JSON") from None
    if not isinstance(data, dict):
        raise PermanentError("malformed_message", "message must be a JSON object")
    return data


def is_test_event(data: dict[str, Any]) -> bool:
    """S3's s3:TestEvent, sent once when a notification is configured: nothing to do."""
    return data.get("Event") == "s3:TestEvent"


def created_objects(records: Any) -> list[tuple[str, str]]:
    """(bucket, key) of each ObjectCreated record, in order; other events are skipped.

    S3 URL-encodes keys in notifications (a space arrives as '+'): the keys
    come back decoded. A record without a string bucket name and object key is
    a `PermanentError` (malformed_message).
    """
    if not isinstance(records, list):
        raise PermanentError("malformed_message", "'Records' must be a list")
    found = []
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
        found.append((bucket, unquote_plus(key)))
    return found
