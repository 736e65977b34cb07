"""The API's routes and request shapes: the source of the handlers' validation and the OpenAPI document.

The task payloads (what a job asks its worker for) live in common.payloads, shared with the workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from common.payloads import TASKS
from common.schema import Field, Shape

AI_REQUEST = Shape(
    "AiRouteRequest",
    "A prompt for the model chosen by `type`.",
    {
        "prompt": Field("string", "The user prompt.", required=True, low=1),
        "type": Field(
            "string",
            "reasoning -> DeepSeek-R1, generation -> DeepSeek-V3; vision, chat and default -> Phi-4-multimodal-instruct.",
            required=True,
            pattern=r"[a-z][a-z0-9_-]{0,31}",
        ),
        "images": Field(
            "array",
            "Images for the multimodal model: base64 JPEG/PNG, or data: URLs.",
            items=Field("string", "One image.", low=1),
        ),
        "max_tokens": Field("integer", "Most tokens to generate.", low=1),
        "temperature": Field("number", "Sampling temperature; 0 makes the answer cacheable.", low=0, high=2),
    },
)

JOB_REQUEST = Shape(
    "JobRequest",
    "A unit of async work; `payload` follows the task's schema (VideoPayload, TrendsPayload, DataPayload, AlertsPayload).",
    {
        "task": Field("string", "Which worker runs it.", required=True, enum=TASKS),
        "payload": Field("object", "The task's input.", required=False),
    },
)

UPLOAD_REQUEST = Shape(
    "UploadRequest",
    "A video the client is about to upload.",
    {
        "filename": Field(
            "string", "The file's name (used, sanitized, in the object key).", required=True, low=1, high=255
        ),
        "contentType": Field("string", "The MIME type the upload must carry.", required=True, low=1, high=100),
        "size": Field("integer", "Exact size in bytes the upload must have.", required=True, low=1),
    },
)

_ERROR = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "Stable machine code."},
        "detail": {"type": "string", "description": "What went wrong, for humans."},
    },
}
_USAGE = {
    "type": "object",
    "properties": {k: {"type": "integer"} for k in ("prompt_tokens", "completion_tokens", "total_tokens")},
}
_NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}
RESPONSE_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _ERROR,
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
        "properties": {
            "jobId": {"type": "string", "format": "uuid"},
            "task": {"type": "string", "enum": list(TASKS)},
            "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
            "attempts": {"type": "integer"},
            "error": {"type": "string", "nullable": True},
            "errorReason": {"type": "string", "nullable": True},
            "result": {"description": "The worker's result summary.", "nullable": True},
            "createdAt": {"type": "string", "format": "date-time"},
            "updatedAt": {"type": "string", "format": "date-time"},
            "startedAt": _NULLABLE_TIME,
            "finishedAt": _NULLABLE_TIME,
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


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str  # OpenAPI style: /v1/jobs/{jobId}
    operation_id: str
    summary: str
    ok_status: int
    ok_schema: str
    auth: bool = True
    request: Shape | None = None
    errors: dict[int, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    description: str | None = None

    @property
    def rule(self) -> str:
        """The Powertools resolver's spelling of the path (<param>)."""
        return self.path.replace("{", "<").replace("}", ">")


_BAD_BODY = {
    400: "Malformed JSON, wrong types or unknown fields",
    413: "Body or prompt over the limits",
    415: "Not an application/json body (or base64-encoded)",
}

HEALTH = RouteSpec("GET", "/health", "health", "Liveness check (no auth)", 200, "Health", auth=False)
AI_ROUTE = RouteSpec(
    "POST",
    "/v1/ai/route",
    "routeAi",
    "Route a prompt to the model of its type (Azure AI Foundry)",
    200,
    "AiRouteResponse",
    request=AI_REQUEST,
    errors={
        **_BAD_BODY,
        422: "Azure refused the request: `content_filtered` (its content filter) or `upstream_rejected` (invalid for the model)",
        429: "Daily AI budget spent",
        502: "Azure failed, or the AI service is misconfigured on our side (`azure_misconfigured`, `azure_auth_failed`)",
        503: "Azure is throttling or a dependency is down",
        504: "Azure did not answer in time",
    },
)
CREATE_JOB = RouteSpec(
    "POST",
    "/v1/jobs",
    "createJob",
    "Queue a job for a worker",
    202,
    "JobAccepted",
    request=JOB_REQUEST,
    errors={
        **_BAD_BODY,
        409: "Idempotency-Key reused with a different request",
        503: "The task's queue or the database is unavailable; retry after Retry-After with the same Idempotency-Key",
    },
    headers={
        "Idempotency-Key": (
            "Scoped to the caller (the JWT `sub`). A repeat with the same key returns the same job; "
            "while no worker has started it, its message is queued again (a lost first send is recovered; "
            "workers run a job once however many messages name it)."
        )
    },
    description=(
        "The job belongs to the caller (the JWT `sub`). On a 503 `queue_unavailable` the job may or may not "
        "be queued: retry with the same Idempotency-Key to get the same job, queued."
    ),
)
GET_JOB = RouteSpec(
    "GET",
    "/v1/jobs/{jobId}",
    "getJob",
    "A job's status",
    200,
    "Job",
    errors={400: "Not a job id", 404: "No such job, or not one the caller may see"},
    description=(
        "A caller sees the jobs it created (POST /v1/jobs, POST /v1/uploads). Another caller's job is a 404, "
        "like one that does not exist, so job ids reveal nothing. Jobs no caller created (scheduled runs, "
        "uploads that reached S3 directly) have no owner: only a caller whose JWT carries the configured admin "
        "claim (router config `admin_claim` / `admin_claim_value`) sees them; such a caller sees every job."
    ),
)
CREATE_UPLOAD = RouteSpec(
    "POST",
    "/v1/uploads",
    "createUpload",
    "A presigned S3 PUT for a video, and the job the upload will complete",
    201,
    "UploadTicket",
    request=UPLOAD_REQUEST,
    errors={**_BAD_BODY, 503: "The database is unavailable"},
)

# The operator routes build on RouteSpec above, so they are imported here, at the end.
from router.operator_contract import OPERATOR_ROUTES, OPERATOR_SCHEMAS  # noqa: E402

RESPONSE_SCHEMAS.update(OPERATOR_SCHEMAS)
ROUTES: tuple[RouteSpec, ...] = (HEALTH, AI_ROUTE, CREATE_JOB, GET_JOB, CREATE_UPLOAD, *OPERATOR_ROUTES)
