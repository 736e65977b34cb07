"""The HTTP API's routes on the Powertools resolver: parse, call the logic module, answer.

Heavy modules (psycopg, boto3, redis, urllib3) are imported inside the routes
that need them, so a cold start only pays for the route it serves.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Response

from common.deadline import Deadline
from common.errors import ConfigurationError, WorkerError
from common.schema import SchemaError
from router import contract
from router.errors import ApiError, InvalidRequest, Unauthorized, from_worker_error
from router.resolver import HttpApiResolver
from router.settings import RouterSettings, router_settings

logger = logging.getLogger(__name__)

# Kept back from the Lambda's time (the `Deadline` reserve): to answer, even a 504, before the Lambda and API limits hit.
RESERVE_S = 1.5
JSON = "application/json"

app = HttpApiResolver()

# Built once: json.dumps/json.loads with options construct a new coder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str)
_NO_STORE = {"Cache-Control": "no-store"}  # shared safely: Response copies the headers it is given


def _route(spec: contract.RouteSpec) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register a route that answers its own ApiErrors.

    A rejected request is the common failure; answering it here skips the unwind
    through the resolver's frames and its exception-handler lookup, which cost
    more than the validation itself.
    """

    def register(handler: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def serve(**params: str) -> Response:
            try:
                return handler(**params)
            except ApiError as exc:
                return error_response(exc)
            except SchemaError as exc:
                return error_response(InvalidRequest(exc))

        return app.route(spec.rule, method=spec.method)(serve)

    return register


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status, JSON, _ENCODER.encode(body), headers={"Cache-Control": "no-store", **headers} if headers else _NO_STORE
    )


def error_response(exc: ApiError) -> Response:
    return json_response(exc.status, exc.body(), exc.headers)


# --- routes ----------------------------------------------------------------------


@_route(contract.HEALTH)
def health() -> Response:
    return json_response(200, {"status": "ok"})


@_route(contract.AI_ROUTE)
def route_ai() -> Response:
    settings = router_settings()
    caller = _caller()
    body = contract.AI_REQUEST.validate(_json_body(settings))

    from common import db
    from common.settings import ai_budget_settings
    from common.spend_guard import Spender, SpendGuard
    from router import ai
    from router.cache import get_cache

    req = ai.AiRequest.from_body(body, settings)
    answer, cached = ai.route_prompt(
        req,
        caller=caller,
        settings=settings,
        client=_azure_client,
        cache=lambda: get_cache(settings.cache_ttl_s),
        guard=SpendGuard(db.connection, Spender(caller, "ai_route"), ai_budget_settings()),
        budget_s=_deadline(settings).budget(settings.ai_deadline_s),
    )
    return json_response(200, {**answer, "cached": cached}, {"X-Cache": "hit" if cached else "miss"})


@_route(contract.USAGE)
def get_usage() -> Response:
    settings = router_settings()
    caller = _caller()
    from common import db
    from common.settings import ai_budget_settings
    from router.access import is_operator
    from router.usage import usage_view

    view = usage_view(
        caller, operator=is_operator(_claims(), settings), budgets=ai_budget_settings(), connection=db.connection
    )
    return json_response(200, view)


@_route(contract.CREATE_JOB)
def create_job() -> Response:
    settings = router_settings()
    caller = _caller()
    key = _idempotency_key(settings)
    raw = _json_body(settings)
    from router.access import require_operator_for

    # Who may queue the task is decided before its payload is judged: a caller
    # without the scope learns nothing of the operator tasks' payload rules.
    if isinstance(raw, dict) and isinstance(raw.get("task"), str):
        require_operator_for(raw["task"], _claims(), settings)
    body = contract.JOB_REQUEST.validate(raw)

    from common import db
    from router import dispatch, queues

    task, payload = dispatch.validate_job(body, settings)
    job_id, created = dispatch.submit_job(
        task, payload, key, owner=caller, settings=settings, connection=db.connection, send=queues.send
    )
    return json_response(202, {"jobId": str(job_id)}, {"Idempotent-Replay": "false" if created else "true"})


@_route(contract.GET_JOB)
def get_job(jobId: str) -> Response:  # noqa: N803 - the path parameter's name
    from common import db
    from router import dispatch

    caller = _caller()
    view = dispatch.job_status(jobId, caller=caller, admin=_is_admin(router_settings()), connection=db.connection)
    return json_response(200, view)


@_route(contract.CREATE_UPLOAD)
def create_upload() -> Response:
    settings = router_settings()
    caller = _caller()
    body = contract.UPLOAD_REQUEST.validate(_json_body(settings))

    from common import db
    from router import uploads

    return json_response(201, uploads.issue_upload(body, owner=caller, settings=settings, connection=db.connection))


@_route(contract.INGEST_EVENTS)
def ingest_events() -> Response:
    settings = router_settings()
    _caller()
    body = contract.EVENT_BATCH.validate(_json_body(settings, contract.MAX_EVENT_BATCH_BYTES))

    from common import db
    from router import ingest

    rules = ingest.rules_for(_claims(), settings)
    return json_response(200, ingest.ingest_batch(body["events"], rules=rules, connection=db.connection))


# --- errors ----------------------------------------------------------------------


@app.exception_handler(ApiError)
def _api_error(exc: ApiError) -> Response:
    # Routes answer their own; this covers one raised anywhere else.
    return error_response(exc)


@app.exception_handler(SchemaError)
def _schema_error(exc: SchemaError) -> Response:
    return error_response(InvalidRequest(exc))


@app.exception_handler(WorkerError)
def _worker_error(exc: WorkerError) -> Response:
    err = from_worker_error(exc)
    logger.warning("request failed: %s", exc)
    return json_response(err.status, err.body(), err.headers)


@app.exception_handler(ConfigurationError)
def _misconfigured(exc: ConfigurationError) -> Response:
    logger.exception("router is misconfigured")
    return json_response(500, {"error": "misconfigured", "detail": "the service is misconfigured"})


@app.not_found
def _not_found(_exc: Exception) -> Response:
    return json_response(
        404,
        {"error": "route_not_found", "detail": f"no route {app.current_event.http_method} {app.current_event.path}"},
    )


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response:
    logger.exception("unhandled error")
    return json_response(500, {"error": "internal_error", "detail": "unexpected error; it has been logged"})


# --- request helpers -------------------------------------------------------------


def _json_body(settings: RouterSettings, route_limit: int | None = None) -> Any:
    content_type = _header("content-type") or ""
    if content_type != JSON and content_type.split(";")[0].strip().lower() != JSON:
        raise ApiError(415, "unsupported_media_type", "send the body as Content-Type: application/json")
    raw = _body_text()
    if not raw:
        raise ApiError(400, "missing_body", "the request needs a JSON body")
    # isascii() is a flag lookup; only non-ASCII text needs encoding to count its bytes.
    size = len(raw) if raw.isascii() else len(raw.encode("utf-8", "surrogatepass"))
    limit = settings.max_body_bytes if route_limit is None else min(settings.max_body_bytes, route_limit)
    if size > limit:
        raise ApiError(413, "body_too_large", f"the body has {size} bytes; the limit is {limit}")
    try:
        return _DECODER.decode(raw)
    except ValueError as exc:
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        # The C decoder recurses per level; a ~1000-deep array is a couple of KB.
        raise ApiError(400, "malformed_json", "the body is nested too deeply") from None


def _body_text() -> str | None:
    """The body as text: API Gateway base64-encodes bodies it does not take for text; Powertools decodes them."""
    event = app.current_event
    if not event.raw_event.get("isBase64Encoded"):
        return event.raw_event.get("body")
    try:
        return event.decoded_body
    except ValueError:  # binascii.Error, UnicodeDecodeError
        raise ApiError(400, "invalid_encoding", "the base64-encoded body does not decode to UTF-8 text") from None


def _header(name: str) -> str | None:
    # HTTP API payload 2.0 lower-cases header names; reading the raw dict skips
    # building a case-insensitive copy on every access.
    return (app.current_event.raw_event.get("headers") or {}).get(name)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _idempotency_key(settings: RouterSettings) -> str | None:
    raw = _header("idempotency-key")
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > settings.max_idempotency_key_chars or not key.isprintable() or not key.isascii():
        raise ApiError(
            400,
            "invalid_idempotency_key",
            f"Idempotency-Key must be 1-{settings.max_idempotency_key_chars} printable ASCII characters",
        )
    return key


def _claims() -> dict[str, Any]:
    return ((app.current_event.raw_event.get("requestContext") or {}).get("authorizer") or {}).get("jwt", {}).get(
        "claims"
    ) or {}


def _caller() -> str:
    """The JWT subject API Gateway verified; refuses a request that skipped the authorizer."""
    sub = _claims().get("sub")
    if not sub:
        raise Unauthorized("no verified JWT on the request")
    return str(sub)


def _is_admin(settings: RouterSettings) -> bool:
    if settings.admin_claim_value is None:
        return False
    from router.access import has_claim_value

    return has_claim_value(_claims(), settings.admin_claim, settings.admin_claim_value)


def _deadline(settings: RouterSettings) -> Deadline:
    return Deadline.from_context(app.lambda_context, RESERVE_S, default_s=settings.ai_deadline_s)


def _azure_client():
    from common import azure_ai

    return azure_ai.get_client()


# The operator routes (alert states, silences), the job listing and the data read routes (analytics,
# trends) live in their own modules; importing them registers them.
from router import data_routes, job_routes, operator_routes  # noqa: E402, F401
