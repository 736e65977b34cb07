"""The payload of each task: one contract for the API that accepts a job and the worker that runs it.

`POST /v1/jobs` validates with `validate` before it creates the job, the
worker validates the message's payload with the same call on receipt, and the
OpenAPI document renders the same shapes. A refusal is a `SchemaError`
(reason `bad_payload`): a 400 at the API, a permanent failure on the job in
a worker.

What only a worker can check (a trend source's name against its
configuration, an alert rule's name against the database) is checked there,
also as `bad_payload`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from common.schema import Field, SchemaError, Shape
from common.tasks import API_TASKS, SPECS

# Where uploads live in the uploads bucket (stacks.function_settings.UPLOADS_PREFIX says the same; a test keeps them equal).
UPLOADS_PREFIX = "uploads/"
# The one rule for an upload's object key, for POST /v1/jobs and for the keys S3's
# notifications bring: under uploads/, any characters but control characters
# (C0 and DEL; spaces are fine, S3 delivers them; Python's \S, unlike JSON Schema's,
# counts \x1c-\x1f as spaces, so no \S here), at most S3's 1024.
UPLOAD_KEY = re.escape(UPLOADS_PREFIX) + r"[^\x00-\x1f\x7f]+"
UPLOAD_KEY_MAX_CHARS = 1024
# [0-9], not \d: Python's \d matches every Unicode digit, JSON Schema's only ASCII ones.
ISO_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})"
# A recompute is one transaction; keep it bounded.
MAX_DATA_RANGE = timedelta(days=93)
# Fields our own flows record on a job's payload beside the contract's: the
# uploads bucket (the API fills it in; a client never names a bucket), the
# upload ticket (contentType, size, filename) and the job the video worker
# opens for a direct upload (etag). A worker handed such a job again (ops
# `rerun` sends the job's payload) ignores them; the API never accepts them.
RECORD_ONLY: dict[str, frozenset[str]] = {"video": frozenset({"bucket", "etag", "contentType", "size", "filename"})}

# The tasks whose payload has fields; every other task of the registry takes an empty object.
_SHAPES: dict[str, Shape] = {
    "video": Shape(
        "VideoPayload",
        SPECS["video"].summary,
        {
            "key": Field(
                "string",
                "Object key under uploads/, as the upload ticket gave it.",
                required=True,
                high=UPLOAD_KEY_MAX_CHARS,
                pattern=UPLOAD_KEY,
                example="uploads/0b9f3c1e-6f0e-4a63-9d9a-1c5d0e0f7a11/clip.mp4",
            ),
        },
    ),
    "trends": Shape(
        "TrendsPayload",
        SPECS["trends"].summary,
        {
            "sources": Field(
                "array",
                "Source names (default: all configured).",
                high=20,
                items=Field("string", "A source.", low=1, high=64),
                example=["tiktok"],
            )
        },
    ),
    "data": Shape(
        "DataPayload",
        SPECS["data"].summary,
        {
            "since": Field(
                "string",
                "Re-aggregate from this time (ISO 8601 with zone).",
                pattern=ISO_TIME,
                high=32,
                example="2026-03-01T00:00:00Z",
            ),
            "until": Field(
                "string",
                "Up to this time (ISO 8601 with zone).",
                pattern=ISO_TIME,
                high=32,
                example="2026-03-02T00:00:00Z",
            ),
        },
        requires={"until": "since"},
    ),
    "alerts": Shape(
        "AlertsPayload",
        SPECS["alerts"].summary,
        {
            "rules": Field(
                "array",
                "Rule names (default: all enabled).",
                high=50,
                items=Field("string", "A rule name.", low=1, high=128),
                example=["views-drop"],
            )
        },
    ),
}
if _SHAPES.keys() - set(API_TASKS):
    raise RuntimeError(f"payload shapes for unknown tasks: {sorted(_SHAPES.keys() - set(API_TASKS))}")
# Every task's shape, in registry order (the API contract and the OpenAPI document render these).
TASK_PAYLOADS: dict[str, Shape] = {
    task: _SHAPES.get(task) or Shape(f"{task.capitalize()}Payload", SPECS[task].summary, {}) for task in API_TASKS
}


def check_upload_key(key: Any, where: str = "key") -> str:
    """The upload-key rule on its own (the S3 side of it); `SchemaError` if `key` breaks it."""
    return TASK_PAYLOADS["video"].fields["key"].check(key, where)


def validate(
    task: str, payload: Any, *, now: datetime | None = None, where: str = "payload", from_job: bool = False
) -> dict[str, Any]:
    """The payload as its task's shape keeps it; `SchemaError` naming what is wrong.

    ``now`` is the time a data range without ``until`` ends at (the job's
    window time in a worker; the clock when None). ``from_job``: the payload
    comes from a job row (a worker's message), which may carry `RECORD_ONLY` fields.
    """
    if from_job and isinstance(payload, dict) and payload.keys() & RECORD_ONLY.get(task, frozenset()):
        payload = {k: v for k, v in payload.items() if k not in RECORD_ONLY[task]}
    out = TASK_PAYLOADS[task].validate(payload, where)
    if task == "data":
        data_range(out, default_until=now, where=where)
    return out


def data_range(
    payload: dict[str, Any], *, default_until: datetime | None = None, where: str = "payload"
) -> tuple[datetime, datetime] | None:
    """The ``[since, until)`` a data job recomputes, or None for an incremental run."""
    if "since" not in payload:
        if "until" in payload:
            raise SchemaError.at(f"{where}.until", f"needs '{where}.since'")
        return None
    start = _time(payload["since"], f"{where}.since")
    if "until" in payload:
        end = _time(payload["until"], f"{where}.until")
    else:
        end = (default_until or datetime.now(UTC)).astimezone(UTC)
    if end <= start:
        raise SchemaError.at(f"{where}.until", f"must be after '{where}.since' (the range ends at {end.isoformat()})")
    if end - start > MAX_DATA_RANGE:
        raise SchemaError.at(where, f"covers at most {MAX_DATA_RANGE.days} days from 'since' to 'until'")
    return start, end


def _time(raw: str, where: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        # The shape's pattern passed (so `raw` is at most 32 characters); the calendar did not (month 13, 25:00).
        raise SchemaError.at(where, f"is not a valid time: {raw!r}") from None
    if value.tzinfo is None:
        raise SchemaError.at(where, "has no time zone")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+23:59 is before year 1 in UTC; 9999-12-31T23:59-23:59 after year 9999.
        raise SchemaError.at(where, f"is outside the years 1-9999 in UTC: {raw!r}") from None


def unknown_names(asked: list[str], known: set[str] | frozenset[str], what: str, where: str) -> None:
    """Refuse names that are not among the known ones, naming them."""
    unknown = sorted(set(asked) - set(known))
    if unknown:
        raise SchemaError.at(
            where,
            f"names unknown {what}: {', '.join(unknown[:10])}"
            + (f"; known: {', '.join(sorted(known)[:20])}" if known else f"; no {what} are configured"),
        )
