"""GET /v1/jobs, the job outputs GET /v1/jobs/{jobId} answers, and the completion webhooks' events.

The webhook events are what the notifier (lambdas/webhooks) posts, signed per
the Standard Webhooks specification; `WEBHOOKS` is the OpenAPI `webhooks`
section that documents them, so a generated client types them too.
"""

from __future__ import annotations

from typing import Any

from common.jobs import TASKS
from common.schema import Field, Shape
from router.contract import RouteSpec

# The event types a completion webhook carries; the stage config subscribes endpoints to them.
JOB_EVENT_TYPES = ("job.succeeded", "job.failed")
STATUSES = ("queued", "running", "succeeded", "failed")
DEFAULT_PAGE = 20
MAX_PAGE = 100
# What a cursor is (router.job_listing makes them): any string of this form, whole, is one.
CURSOR_PATTERN = "[0-9a-f]{46}"

JOBS_QUERY = Shape(
    "JobsQuery",
    "Which of the caller's jobs, and where the page starts.",
    {
        "task": Field("string", "Only jobs of this task.", enum=tuple(TASKS), example="video"),
        "status": Field("string", "Only jobs in this status.", enum=STATUSES, example="failed"),
        "limit": Field("integer", "Jobs per page.", low=1, high=MAX_PAGE, default=DEFAULT_PAGE, example=DEFAULT_PAGE),
        "cursor": Field(
            "string",
            "`nextCursor` of the previous page, as answered (opaque). The filters may change between pages; "
            "the cursor keeps its place in the newest-first order.",
            low=46,
            high=46,
            pattern=CURSOR_PATTERN,
        ),
    },
)

LIST_JOBS = RouteSpec(
    "GET",
    "/v1/jobs",
    "listJobs",
    "The caller's jobs, newest first, a page at a time",
    200,
    "JobPage",
    query=JOBS_QUERY,
    errors={
        400: "`invalid_request`: a bad or unknown query parameter (each named in `errors`): `task` or `status` "
        f"not among their values, `limit` not an integer from 1 to {MAX_PAGE}, a `cursor` this API did not issue",
        503: "`db_*`: the database is unavailable; retry after Retry-After",
    },
    description=(
        "Only the jobs the caller created (POST /v1/jobs, POST /v1/uploads), whoever else may read them. "
        "Pages follow the order (createdAt, jobId) newest first and each starts strictly after the last job of "
        "the previous one, so jobs created while a client pages never repeat or shift a page; they appear on a "
        "fresh first page. `nextCursor` is null on the last page. Items carry `result` (the summary); "
        "GET /v1/jobs/{jobId} adds the worker's full `output`."
    ),
)

_NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}
_JSON_OBJECT = {"type": "object", "additionalProperties": True}

_VIDEO_OUTPUT = {
    "type": "object",
    "description": "A video job's stored analysis (one per uploaded object version).",
    "required": ["kind", "analysisId", "bucket", "key", "status"],
    "properties": {
        "kind": {"type": "string", "enum": ["video"]},
        "analysisId": {"type": "integer"},
        "bucket": {"type": "string"},
        "key": {"type": "string"},
        "etag": {"type": "string"},
        "sizeBytes": {"type": "integer", "nullable": True},
        "status": {"type": "string", "enum": ["pending", "running", "succeeded", "failed"]},
        "model": {"type": "string", "nullable": True, "description": "The multimodal model that analysed it."},
        "features": {
            **_JSON_OBJECT,
            "nullable": True,
            "description": "Measured from the frames: duration_s, orientation, cut_count, cuts, brightness, ...",
        },
        "analysis": {
            **_JSON_OBJECT,
            "nullable": True,
            "description": "The model's answer: hook, topics, on_screen_text, suggested_caption, safety_flags, usage.",
        },
        "frames": {"type": "array", "nullable": True, "items": _JSON_OBJECT, "description": "The frames sent."},
        "error": {"type": "string", "nullable": True},
        "completedAt": _NULLABLE_TIME,
    },
}
_TRENDS_OUTPUT = {
    "type": "object",
    "description": "A trends run's snapshot of its window.",
    "required": ["kind", "windowStart", "items"],
    "properties": {
        "kind": {"type": "string", "enum": ["trends"]},
        "windowStart": {"type": "string", "format": "date-time"},
        "items": {"type": "array", "items": _JSON_OBJECT},
        "growth": _JSON_OBJECT,
        "summary": {"type": "string", "nullable": True},
        "model": {"type": "string", "nullable": True},
        "sourceErrors": {"type": "array", "items": _JSON_OBJECT},
    },
}
_JOB_PAGE = {
    "type": "object",
    "required": ["jobs", "nextCursor"],
    "properties": {
        "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}, "maxItems": MAX_PAGE},
        "nextCursor": {
            "type": "string",
            "nullable": True,
            "description": "Pass as `cursor` for the next page; null on the last page.",
        },
    },
}


def _event(event_type: str, status: str, what: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"Posted when a job {what}.",
        "required": ["type", "timestamp", "data"],
        "properties": {
            "type": {"type": "string", "enum": [event_type]},
            "timestamp": {"type": "string", "format": "date-time", "description": "When the job finished."},
            "data": {
                "type": "object",
                "required": ["jobId", "task", "status", "attempts", "createdAt", "finishedAt"],
                "properties": {
                    "jobId": {"type": "string", "format": "uuid"},
                    "task": {"type": "string", "enum": list(TASKS)},
                    "status": {"type": "string", "enum": [status]},
                    "attempts": {"type": "integer"},
                    "result": {"nullable": True, "description": "The worker's result summary (as on the Job)."},
                    "error": {"type": "string", "nullable": True},
                    "errorReason": {"type": "string", "nullable": True},
                    "createdAt": {"type": "string", "format": "date-time"},
                    "finishedAt": {"type": "string", "format": "date-time"},
                },
            },
        },
    }


_WEBHOOK_DELIVERY = {
    "type": "object",
    "required": ["webhookId", "endpoint", "event", "status", "attempts"],
    "properties": {
        "webhookId": {"type": "string", "description": "The `webhook-id` every attempt carried."},
        "endpoint": {"type": "string", "description": "The endpoint's name in the stage config."},
        "event": {"type": "string", "enum": list(JOB_EVENT_TYPES)},
        "status": {
            "type": "string",
            "enum": ["pending", "delivered", "failed"],
            "description": "pending: retrying; failed: the last retry failed too (the message is in the DLQ).",
        },
        "deliveredAt": _NULLABLE_TIME,
        "attempts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["attempt", "at", "durationMs"],
                "properties": {
                    "attempt": {"type": "integer"},
                    "at": {"type": "string", "format": "date-time"},
                    "statusCode": {"type": "integer", "nullable": True, "description": "null: no HTTP answer."},
                    "error": {
                        "type": "string",
                        "nullable": True,
                        "description": "Why it failed (an HTTP status, a timeout, a refused address); null on 2xx.",
                    },
                    "durationMs": {"type": "integer"},
                },
            },
        },
    },
}

JOB_SCHEMAS: dict[str, dict[str, Any]] = {
    "JobPage": _JOB_PAGE,
    "WebhookDelivery": _WEBHOOK_DELIVERY,
    "VideoJobOutput": _VIDEO_OUTPUT,
    "TrendsJobOutput": _TRENDS_OUTPUT,
    "JobSucceededEvent": _event("job.succeeded", "succeeded", "succeeded"),
    "JobFailedEvent": _event(
        "job.failed", "failed", "failed for good (a permanent error, or its retries ran out; `errorReason` says which)"
    ),
}

_SIGNATURE_HEADERS = (
    (
        "webhook-id",
        "The message id, the same on every retry of one event: deduplicate on it.",
        {"type": "string", "pattern": "^msg_[A-Za-z0-9]+$", "maxLength": 64},
    ),
    ("webhook-timestamp", "Unix seconds when this attempt was signed.", {"type": "string", "pattern": "^[0-9]+$"}),
    (
        "webhook-signature",
        '`v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` with the endpoint\'s secret '
        "(`whsec_...`), per the Standard Webhooks specification; verify it with the `standardwebhooks` library.",
        {"type": "string", "maxLength": 1024},
    ),
)


def _webhook(schema: str, summary: str) -> dict[str, Any]:
    return {
        "post": {
            "operationId": f"on{schema.removesuffix('Event')}",
            "summary": summary,
            "description": (
                "Sent to each endpoint the stage config subscribes to this event type, signed per the Standard "
                "Webhooks specification. Answer 2xx within 15 s to acknowledge. Anything else (another status, a "
                "timeout, a refused connection) is retried with exponential back-off over about a day (5 s, 5 min, "
                "30 min, 2 h, 5 h, 10 h, 10 h), always with the same `webhook-id`; the last failure goes to the "
                "notifier's dead-letter queue."
            ),
            "security": [],
            "parameters": [
                {"name": name, "in": "header", "required": True, "description": text, "schema": schema_}
                for name, text, schema_ in _SIGNATURE_HEADERS
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
            },
            "responses": {"200": {"description": "Acknowledged (any 2xx is)."}},
        }
    }


WEBHOOKS: dict[str, dict[str, Any]] = {
    "job.succeeded": _webhook("JobSucceededEvent", "A job succeeded"),
    "job.failed": _webhook("JobFailedEvent", "A job failed for good"),
}
