"""Helpers of the imports worker tests: events files, S3 notifications as they reach the queue, the handler."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests import fakes
from tests.fakes import sqs_event  # noqa: F401 (the tests import it from here)

BUCKET = "huntaze-test-uploads"
EVENT_TYPES = ("view", "like")


def at(hours_ago: float = 1) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(event_id: str, **over: Any) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "accountId": "acct-1",
        "contentId": "post-1",
        "eventType": "view",
        "occurredAt": at(),
        **over,
    }


def ndjson(*lines: Any) -> bytes:
    """Each item a line: a dict as JSON, bytes or str as they are."""
    out = []
    for line in lines:
        if isinstance(line, dict):
            out.append(json.dumps(line).encode())
        elif isinstance(line, str):
            out.append(line.encode())
        else:
            out.append(line)
    return b"\n".join(out) + b"\n"


def gz(data: bytes) -> bytes:
    return gzip.compress(data)


def s3_event_body(key: str, *, bucket: str = BUCKET, event_name: str = "ObjectCreated:Put") -> str:
    return fakes.s3_event_body(key, bucket=bucket, event_name=event_name)


def run_handler(*bodies: str, remaining_ms: int = 300_000) -> dict:
    from imports import handler
    from tests.fakes import LambdaContext

    return handler.lambda_handler(sqs_event(*bodies), LambdaContext(function_name="imports", remaining_ms=remaining_ms))


def job_of(db_conn, key: str) -> dict[str, Any]:
    row = db_conn.execute(
        "SELECT status, error_reason, error, result, attempts FROM jobs WHERE task = 'imports' AND payload->>'key' = %s",
        (key,),
    ).fetchone()
    db_conn.commit()
    assert row is not None, f"no job for {key}"
    return row


def stored(db_conn) -> list[tuple[str, str]]:
    rows = db_conn.execute("SELECT account_id, event_id FROM content_events ORDER BY account_id, event_id").fetchall()
    db_conn.commit()
    return [(r["account_id"], r["event_id"]) for r in rows]
