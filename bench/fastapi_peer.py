"""The same routes on FastAPI + Mangum: the usual design, kept only as the benchmark's peer.

Request models are pydantic (as a FastAPI app would have them); the work
behind each route calls the same logic modules as the router, so the
benchmark measures the framework, not the business code. The job route talks
to AWS the usual way, with boto3: its RDS client signs the database's IAM
token and its SQS client sends the job (the router signs both with botocore's
signer and no boto3 client, common/aws_sigv4.py); bench/bench_router_cold.py
measures the difference on a cold start.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from mangum import Mangum
from pydantic import BaseModel, ConfigDict, Field

from common.errors import TransientError
from common.settings import RdsEndpoint, database_settings
from router.errors import ApiError
from router.settings import router_settings


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class AiRouteRequest(_Strict):
    prompt: str = Field(min_length=1)
    type: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    images: list[Annotated[str, Field(min_length=1)]] | None = None
    max_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)


class JobRequest(_Strict):
    task: Literal["video", "trends", "data", "alerts"]
    payload: dict[str, Any] | None = None


class UploadRequest(_Strict):
    filename: str = Field(min_length=1, max_length=255)
    contentType: str = Field(min_length=1, max_length=100)  # noqa: N815 - the API's field name
    size: int = Field(ge=1)


app = FastAPI(title="Huntaze API (FastAPI peer)")


@app.exception_handler(ApiError)
async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


@app.exception_handler(RequestValidationError)
async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0]
    return JSONResponse(
        {"error": "invalid_request", "detail": f"{'.'.join(map(str, first['loc']))}: {first['msg']}"}, status_code=400
    )


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/ai/route")
def route_ai(body: AiRouteRequest) -> dict[str, Any]:
    from common import azure_ai, db
    from common.settings import ai_budget_settings
    from common.spend_guard import Spender, SpendGuard
    from router import ai
    from router.cache import get_cache

    settings = router_settings()
    req = ai.AiRequest.from_body(body.model_dump(exclude_none=True), settings)
    caller = "bench"
    answer, cached = ai.route_prompt(
        req,
        caller=caller,
        settings=settings,
        client=azure_ai.get_client,
        cache=lambda: get_cache(settings.cache_ttl_s),
        guard=SpendGuard(db.connection, Spender(caller, "ai_route"), ai_budget_settings()),
        budget_s=settings.ai_deadline_s,
    )
    return {**answer, "cached": cached}


@functools.cache
def _rds(region: str | None) -> Any:
    import boto3

    return boto3.client("rds", region_name=region)


def iam_token(endpoint: RdsEndpoint) -> str:
    return _rds(endpoint.region).generate_db_auth_token(
        DBHostname=endpoint.host, Port=endpoint.port, DBUsername=endpoint.user, Region=endpoint.region
    )


_conn: Any = None


@contextmanager
def _connection() -> Iterator[Any]:
    """The container's connection, as the function's own role with an IAM token (RDS's TLS verified)."""
    import psycopg
    from psycopg.rows import dict_row

    global _conn
    if _conn is None:
        settings = database_settings()
        endpoint = settings.iam
        assert endpoint is not None, "the peer logs in as on AWS: DB_HOST, DB_USER..."
        _conn = psycopg.connect(
            host=endpoint.host,
            port=endpoint.port,
            user=endpoint.user,
            password=iam_token(endpoint),
            dbname=endpoint.dbname,
            sslmode="verify-full",
            sslrootcert=settings.ssl_root_cert,
            connect_timeout=settings.connect_timeout_s,
            application_name=settings.application_name,
            options=" ".join(f"-c {name}={value}" for name, value in settings.server_options().items()),
            **settings.tcp_parameters(),
            row_factory=dict_row,
        )
    try:
        yield _conn
        _conn.commit()
    except BaseException:
        _conn.rollback()
        raise


@functools.cache
def _sqs() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "sqs", config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})
    )


def _send(queue_url: str, envelope: dict[str, Any]) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return _sqs().send_message(QueueUrl=queue_url, MessageBody=json.dumps(envelope, separators=(",", ":")))[
            "MessageId"
        ]
    except (BotoCoreError, ClientError) as exc:
        raise TransientError("queue_unavailable", f"cannot confirm the job was queued: {exc}") from exc


@app.post("/v1/jobs", status_code=202)
def create_job(request: Request, body: JobRequest, idempotency_key: str | None = Header(None)) -> dict[str, str]:
    from router import dispatch
    from router.access import require_operator_for

    settings = router_settings()
    # The caller and its scopes, from the JWT authorizer's claims Mangum passes on.
    claims = request.scope["aws.event"]["requestContext"]["authorizer"]["jwt"]["claims"]
    require_operator_for(body.task, claims, settings)
    task, payload = dispatch.validate_job(body.model_dump(exclude_none=True), settings)
    job_id, _ = dispatch.submit_job(
        task,
        payload,
        idempotency_key,
        owner=claims["sub"],
        settings=settings,
        connection=_connection,
        send=_send,
    )
    return {"jobId": str(job_id)}


@app.get("/v1/jobs/{job_id}")
def get_job(job_id: str) -> dict[str, Any]:
    from common import db
    from router import dispatch

    return dispatch.job_status(job_id, connection=db.connection)


@app.post("/v1/uploads", status_code=201)
def create_upload(body: UploadRequest) -> dict[str, Any]:
    from common import db
    from router import uploads

    return uploads.issue_upload(body.model_dump(), settings=router_settings(), connection=db.connection)


handler = Mangum(app, lifespan="off")
