"""The API's routes and request shapes: the source of the handlers' validation and the OpenAPI document.

The task payloads (what a job asks its worker for) live in common.payloads, shared with the workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from common.events import EVENT
from common.payloads import TASK_PAYLOADS
from common.schema import Field, Shape, TaggedShape
from common.tasks import API_TASKS

# The answers' schemas (and the 401/403 bodies API Gateway sends), re-exported for the handlers and the document.
from router.response_schemas import FORBIDDEN_BODY, RESPONSE_SCHEMAS, UNAUTHORIZED_BODY  # noqa: F401

# What the document promises is the most any stage accepts. A stage's config
# may set lower limits (AI_MAX_IMAGES, AI_MAX_PROMPT_CHARS, UPLOAD_MAX_BYTES,
# UPLOAD_CONTENT_TYPES): over those, the answer is the documented 413 / 415.
# tests/infra/test_config.py keeps every stage's config within these.
AI_TYPES = ("reasoning", "generation", "vision", "chat", "default")
MAX_IMAGES = 20
# Lambda's synchronous payload limit: no body, so no prompt or image, is longer.
MAX_BODY_BYTES = 6_000_000
UPLOAD_CONTENT_TYPES = ("video/mp4", "video/quicktime", "video/webm")
# S3's limit for one PUT.
MAX_UPLOAD_BYTES = 5 * 1024**3
MAX_IDEMPOTENCY_KEY_CHARS = 512
# POST /v1/events: the most events, and bytes, one batch may carry.
MAX_EVENTS = 1000
MAX_EVENT_BATCH_BYTES = 1_000_000

# The types the multimodal default model answers take images; the others are text-only models.
IMAGE_TYPES = ("vision", "chat", "default")
# Base64 of a JPEG (starts FF D8 FF: "/9j/") or a PNG (89 50 4E 47 0D 0A 1A 0A: "iVBORw0KGg" + o-r),
# bare or as a data: URL of the same type: what router.ai accepts as an image.
_B64_TAIL = r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"
IMAGE = (
    rf"(?:data:image/jpeg;base64,)?/9j/{_B64_TAIL}"
    rf"|(?:data:image/png;base64,)?iVBORw0KGg(?:o=|[o-r][A-Za-z0-9+/]{_B64_TAIL})"
)


def _ai_request(name: str, types: tuple[str, ...], description: str) -> Shape:
    fields = {
        "prompt": Field(
            "string", "The user prompt.", required=True, low=1, high=MAX_BODY_BYTES, example="Summarise this caption"
        ),
        "type": Field(
            "string",
            "reasoning -> DeepSeek-R1, generation -> DeepSeek-V3; vision, chat and default -> Phi-4-multimodal-instruct.",
            required=True,
            enum=types,
            example=types[0],
        ),
        "max_tokens": Field("integer", "Most tokens to generate.", low=1, high=1_000_000),
        "temperature": Field("number", "Sampling temperature; 0 makes the answer cacheable.", low=0, high=2),
    }
    if types == IMAGE_TYPES:
        fields["images"] = Field(
            "array",
            "Images for the multimodal model: base64 JPEG/PNG, or data: URLs of them.",
            high=MAX_IMAGES,
            items=Field("string", "One image.", low=1, high=MAX_BODY_BYTES, pattern=IMAGE),
        )
    return Shape(name, description, fields)


_TEXT_AI = _ai_request(
    "TextAiRouteRequest", tuple(t for t in AI_TYPES if t not in IMAGE_TYPES), "A prompt for a text-only model."
)
_VISION_AI = _ai_request("VisionAiRouteRequest", IMAGE_TYPES, "A prompt, with images if any, for the multimodal model.")
AI_REQUEST = TaggedShape(
    "AiRouteRequest",
    "A prompt for the model chosen by `type`; only the multimodal model's types take `images`.",
    "type",
    {t: _VISION_AI if t in IMAGE_TYPES else _TEXT_AI for t in AI_TYPES},
)


def _job_request(task: str) -> Shape:
    payload = TASK_PAYLOADS[task]
    needs_payload = any(f.required for f in payload.fields.values())
    return Shape(
        f"{task.capitalize()}JobRequest",
        f"A {task} job.",
        {
            "task": Field("string", "Which worker runs it.", required=True, enum=(task,), example=task),
            "payload": Field("object", "The task's input.", required=needs_payload, shape=payload),
        },
    )


JOB_REQUEST = TaggedShape(
    "JobRequest",
    "A unit of async work; `task` says which worker runs it and which shape `payload` has.",
    "task",
    {task: _job_request(task) for task in API_TASKS},
)

UPLOAD_REQUEST = Shape(
    "UploadRequest",
    "A video the client is about to upload.",
    {
        "filename": Field(
            "string",
            "The file's name (used, sanitized, in the object key).",
            required=True,
            low=1,
            high=255,
            example="clip.mp4",
        ),
        "contentType": Field(
            "string",
            "The MIME type the upload must carry.",
            required=True,
            enum=UPLOAD_CONTENT_TYPES,
            example="video/mp4",
        ),
        "size": Field(
            "integer",
            "Exact size in bytes the upload must have.",
            required=True,
            low=1,
            high=MAX_UPLOAD_BYTES,
            example=10_485_760,
        ),
    },
)

EVENT_BATCH = Shape(
    "EventBatch",
    "Analytics events to record. Each is checked on its own against `Event`: one that does not fit is "
    "reported as rejected in the answer, and the others are still recorded.",
    {
        "events": Field(
            "array",
            f"1 to {MAX_EVENTS} events, at most {MAX_EVENT_BATCH_BYTES} bytes of body in all.",
            required=True,
            low=1,
            high=MAX_EVENTS,
            items=Field("object", "One event (schema `Event`)."),
            example=[EVENT.sample()],
        ),
    },
)


# The role an operator-only route requires in the OpenAPI document; each stage maps it to
# its own OAuth scope (config router.operator_scope) for API Gateway and the handler.
OPERATOR_SCOPE_ROLE = "operator"


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str  # OpenAPI style: /v1/jobs/{jobId}
    operation_id: str
    summary: str
    ok_status: int
    ok_schema: str
    auth: bool = True
    request: Shape | TaggedShape | None = None
    errors: dict[int, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    # OpenAPI links from the success answer: name -> (operationId, {parameter: runtime expression}).
    links: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    # Operator-only as a whole: the document names OPERATOR_SCOPE_ROLE in the route's
    # security, which the Router stack turns into the stage's operator scope.
    operator: bool = False
    # The query string's parameters, each a field of this shape (`Shape.validate_query` reads integers).
    query: Shape | None = None
    # Answers without a body (a 304), status -> description.
    bodiless: dict[int, str] = field(default_factory=dict)
    # Headers of the success answer, name -> description.
    ok_headers: dict[str, str] = field(default_factory=dict)

    @property
    def rule(self) -> str:
        """The Powertools resolver's spelling of the path (<param>)."""
        return self.path.replace("{", "<").replace("}", ">")


BAD_BODY = {
    400: (
        "`missing_body`, `malformed_json` (not JSON, or nested too deeply), `invalid_encoding` (base64 that does not "
        "decode to UTF-8), or `invalid_request`: every field that does not fit the schema, listed in `errors`"
    ),
    413: "`body_too_large`: the body is over this stage's limit (MAX_BODY_BYTES)",
    415: "`unsupported_media_type`: the Content-Type is not application/json",
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
        **BAD_BODY,
        400: BAD_BODY[400]
        + "; `unknown_type` (a type this stage has no model for), `images_not_supported` (images with a type whose "
        "model takes none), `invalid_image` (not a base64 JPEG/PNG), or `max_tokens` over this stage's limit",
        413: BAD_BODY[413]
        + "; `prompt_too_long` or `too_many_images`: over this stage's AI_MAX_PROMPT_CHARS / AI_MAX_IMAGES",
        422: "Azure refused the request: `content_filtered` (its content filter) or `upstream_rejected` (invalid for the model)",
        429: "`daily_budget_exceeded` (the stage's AI budget for the UTC day) or `caller_budget_exceeded` (the "
        "caller's): no room for this request's worst case (its `max_tokens` at the model's output price); "
        "Retry-After is the next 00:00 UTC",
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
        **BAD_BODY,
        400: BAD_BODY[400]
        + "; `invalid_idempotency_key`: not 1 to this stage's MAX_IDEMPOTENCY_KEY_CHARS printable ASCII characters",
        403: "`operator_scope_required`: a scheduled task (this stage's OPERATOR_TASKS) queued by a caller without "
        "the stage's operator scope",
        409: "Idempotency-Key reused with a different request",
        503: (
            "`task_unavailable` (this stage runs no such worker), `queue_unavailable` or `db_*` (the queue or the "
            "database is unavailable): retry after Retry-After with the same Idempotency-Key"
        ),
    },
    links={"GetJob": ("getJob", {"jobId": "$response.body#/jobId"})},
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
    "A job's status and, once it succeeded, the worker's full output",
    200,
    "Job",
    errors={400: "`invalid_job_id`: not a UUID", 404: "`job_not_found`: no such job, or not one the caller may see"},
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
    errors={
        **BAD_BODY,
        413: BAD_BODY[413] + "; `upload_too_large`: `size` is over this stage's UPLOAD_MAX_BYTES",
        415: BAD_BODY[415]
        + "; `unsupported_content_type`: `contentType` is not among this stage's UPLOAD_CONTENT_TYPES",
        503: "`db_*`: the database is unavailable; retry after Retry-After",
    },
    links={"GetJob": ("getJob", {"jobId": "$response.body#/jobId"})},
)

INGEST_EVENTS = RouteSpec(
    "POST",
    "/v1/events",
    "ingestEvents",
    "Record a batch of analytics events",
    200,
    "EventBatchResult",
    request=EVENT_BATCH,
    errors={
        **BAD_BODY,
        413: f"`body_too_large`: the body is over {MAX_EVENT_BATCH_BYTES} bytes (or this stage's MAX_BODY_BYTES)",
        503: "`db_*`: the database is unavailable; resend the same batch after Retry-After (nothing is counted twice)",
    },
    description=(
        "Each event is judged on its own: `accepted` (recorded now), `duplicate` (its `eventId` was already "
        "recorded for its account, or repeats in this batch) or `rejected` (with every problem, each naming its "
        "field). A rejected event never sinks the others. A caller writes only the accounts its token lists in the "
        "stage's accounts claim (config `events.accounts_claim`); a token with the operator scope writes any. "
        "An event older than the data rollups' look-back window, less an hour, is rejected: it would never be counted."
    ),
)

USAGE = RouteSpec(
    "GET",
    "/v1/usage",
    "getUsage",
    "The caller's AI spend today and this month, and its budget left today",
    200,
    "Usage",
    description=(
        "Every model call (this API's AI route, the caller's video analyses) is priced from the usage Azure "
        "reports. A caller with the operator scope also sees every caller's spend and the stage's."
    ),
)

# The operator, job-listing and data routes build on RouteSpec above, so they are imported here, at the end.
from router.data_contract import DATA_ROUTES, DATA_SCHEMAS  # noqa: E402
from router.jobs_contract import JOB_SCHEMAS, LIST_JOBS  # noqa: E402
from router.operator_contract import OPERATOR_ROUTES, OPERATOR_SCHEMAS  # noqa: E402

RESPONSE_SCHEMAS.update(OPERATOR_SCHEMAS)
RESPONSE_SCHEMAS.update(JOB_SCHEMAS)
RESPONSE_SCHEMAS.update(DATA_SCHEMAS)
ROUTES: tuple[RouteSpec, ...] = (
    HEALTH,
    AI_ROUTE,
    CREATE_JOB,
    LIST_JOBS,
    GET_JOB,
    CREATE_UPLOAD,
    INGEST_EVENTS,
    USAGE,
    *DATA_ROUTES,
    *OPERATOR_ROUTES,
)
