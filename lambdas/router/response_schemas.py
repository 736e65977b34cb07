"""The bodies the API answers, as JSON Schema: errors, jobs, upload tickets, usage (the OpenAPI document's components).

Split from router.contract (the routes and request shapes), which re-exports what the handlers use.
"""

from __future__ import annotations

from typing import Any

from common.events import EVENT
from common.tasks import TASKS

_ERROR = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "Stable machine code."},
        "detail": {"type": "string", "description": "What went wrong, for humans."},
        "errors": {
            "type": "array",
            "description": "With `invalid_request`: every bad field, each with what is wrong with it.",
            "items": {"$ref": "#/components/schemas/Problem"},
        },
    },
    "example": {
        "error": "invalid_request",
        "detail": "'prompt' must be a string, got integer; 'type' must be a string, got array",
        "errors": [
            {"field": "prompt", "problem": "must be a string, got integer"},
            {"field": "type", "problem": "must be a string, got array"},
        ],
    },
}
_PROBLEM = {
    "type": "object",
    "required": ["field", "problem"],
    "properties": {
        "field": {"type": "string", "description": "Path of the field: `prompt`, `payload.since`, `images[2]`."},
        "problem": {"type": "string", "description": "What is wrong with it."},
    },
}
# API Gateway's JWT authorizer answers this before the function runs; the
# function answers the same body if a request ever reaches it unauthenticated.
UNAUTHORIZED_BODY = {"message": "Unauthorized"}
_UNAUTHORIZED = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string", "enum": [UNAUTHORIZED_BODY["message"]]}},
    "example": UNAUTHORIZED_BODY,
}
# API Gateway answers this, before the function runs, when a route's authorization
# scopes are not in the token (the operator-only routes).
FORBIDDEN_BODY = {"message": "Forbidden"}
_FORBIDDEN = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string", "enum": [FORBIDDEN_BODY["message"]]}},
    "example": FORBIDDEN_BODY,
}
_USAGE = {
    "type": "object",
    "properties": {k: {"type": "integer"} for k in ("prompt_tokens", "completion_tokens", "total_tokens")},
}
_NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}
RESPONSE_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _ERROR,
    "Problem": _PROBLEM,
    "Unauthorized": _UNAUTHORIZED,
    "Forbidden": _FORBIDDEN,
    "Health": {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok"]}}},
    "AiRouteResponse": {
        "type": "object",
        "required": ["model", "output", "usage"],
        "properties": {
            "model": {"type": "string"},
            "output": {"type": "string", "description": "The answer, without any reasoning."},
            "reasoning": {"type": "string", "nullable": True, "description": "DeepSeek-R1's reasoning, kept apart."},
            "usage": _USAGE,
            "cached": {"type": "boolean"},
        },
    },
    "JobAccepted": {
        "type": "object",
        "required": ["jobId"],
        "properties": {"jobId": {"type": "string", "format": "uuid"}},
    },
    "Job": {
        "type": "object",
        "required": ["jobId", "task", "status", "attempts", "payload", "createdAt", "updatedAt"],
        "properties": {
            "jobId": {"type": "string", "format": "uuid"},
            "task": {"type": "string", "enum": list(TASKS)},
            "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
            "attempts": {"type": "integer"},
            "error": {"type": "string", "nullable": True},
            "errorReason": {"type": "string", "nullable": True},
            "payload": {"type": "object", "description": "The job's input, as its worker reads it."},
            "result": {"description": "The worker's result summary.", "nullable": True},
            "createdAt": {"type": "string", "format": "date-time"},
            "updatedAt": {"type": "string", "format": "date-time"},
            "startedAt": _NULLABLE_TIME,
            "finishedAt": _NULLABLE_TIME,
            "output": {
                "description": (
                    "GET /v1/jobs/{jobId} only: what the worker stored beyond its summary (a video's analysis and "
                    "features, a trends run's snapshot); null until it has stored it, and for tasks that store "
                    "nothing more than `result`."
                ),
                "nullable": True,
                "oneOf": [
                    {"$ref": "#/components/schemas/VideoJobOutput"},
                    {"$ref": "#/components/schemas/TrendsJobOutput"},
                ],
                "discriminator": {
                    "propertyName": "kind",
                    "mapping": {
                        "video": "#/components/schemas/VideoJobOutput",
                        "trends": "#/components/schemas/TrendsJobOutput",
                    },
                },
            },
            "webhooks": {
                "type": "array",
                "description": (
                    "GET /v1/jobs/{jobId} only: the job's completion webhooks, one per event and endpoint, each "
                    "with every attempt at it (oldest first)."
                ),
                "items": {"$ref": "#/components/schemas/WebhookDelivery"},
            },
        },
    },
    "Event": EVENT.json_schema(),
    "EventBatchResult": {
        "type": "object",
        "required": ["accepted", "duplicates", "rejected", "results"],
        "properties": {
            "accepted": {"type": "integer", "description": "Events recorded by this request."},
            "duplicates": {
                "type": "integer",
                "description": "Events already recorded (an earlier batch) or repeated in this one: not counted again.",
            },
            "rejected": {"type": "integer", "description": "Events refused; see their `errors`."},
            "results": {
                "type": "array",
                "description": "One per event, in the order sent.",
                "items": {
                    "type": "object",
                    "required": ["index", "status"],
                    "properties": {
                        "index": {"type": "integer", "description": "The event's position in `events`."},
                        "eventId": {"type": "string", "description": "The event's `eventId`, when it sent one."},
                        "status": {"type": "string", "enum": ["accepted", "duplicate", "rejected"]},
                        "errors": {
                            "type": "array",
                            "description": "With `rejected`: every problem, each naming its field (`events[3].occurredAt`).",
                            "items": {"$ref": "#/components/schemas/Problem"},
                        },
                    },
                },
            },
        },
    },
    "Usage": {
        "type": "object",
        "required": ["caller", "todayUsd", "monthUsd", "remainingTodayUsd", "budgets"],
        "properties": {
            "caller": {"type": "string", "description": "The caller (JWT `sub`) the figures are for."},
            "todayUsd": {"type": "number", "description": "What its settled AI calls cost today (UTC), in USD."},
            "monthUsd": {"type": "number", "description": "What they cost this calendar month (UTC), in USD."},
            "remainingTodayUsd": {
                "type": "number",
                "description": "What its next calls may still spend today: the least of its own and the stage's "
                "daily budget left, calls in flight counted at their worst case.",
            },
            "budgets": {
                "type": "object",
                "properties": {
                    "callerDailyUsd": {"type": "number"},
                    "stageDailyUsd": {"type": "number"},
                    "stageRemainingTodayUsd": {"type": "number"},
                    "stageMonthlyUsd": {"type": "number", "description": "Operators only: the alert's monthly budget."},
                },
            },
            "callers": {
                "type": "array",
                "description": "Operators only: every caller with spend this month.",
                "items": {
                    "type": "object",
                    "required": ["caller", "todayUsd", "monthUsd"],
                    "properties": {
                        "caller": {"type": "string"},
                        "todayUsd": {"type": "number"},
                        "monthUsd": {"type": "number"},
                    },
                },
            },
            "stageTodayUsd": {"type": "number", "description": "Operators only: every caller's spend today."},
            "stageMonthUsd": {"type": "number", "description": "Operators only: every caller's spend this month."},
        },
    },
    "UploadTicket": {
        "type": "object",
        "required": ["jobId", "uploadUrl", "method", "headers", "bucket", "key", "expiresIn"],
        "properties": {
            "jobId": {"type": "string", "format": "uuid"},
            "uploadUrl": {"type": "string", "format": "uri"},
            "method": {"type": "string", "enum": ["PUT"]},
            "headers": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Send exactly these.",
            },
            "bucket": {"type": "string"},
            "key": {"type": "string"},
            "expiresIn": {"type": "integer", "description": "Seconds the URL stays valid."},
        },
    },
}
