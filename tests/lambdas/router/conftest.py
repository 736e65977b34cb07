"""Router fixtures: the handler called in-process with HTTP API v2 events.

Real PostgreSQL and Redis (shared fixtures), SQS and S3 through moto, Azure
AI Foundry through a local HTTP server that speaks its chat-completions API.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from router_events import (
    ACCOUNTS_CLAIM,
    AZURE_KEY,
    BUCKET,
    EVENT_TYPES,
    LOOKBACK_HOURS,
    MODELS,
    Answer,
    LambdaContext,
    http_event,
)


@pytest.fixture
def router_env(
    monkeypatch: pytest.MonkeyPatch, database_env: str, redis_url: str, redis_client, sqs_over_http, httpserver
) -> Iterator[dict[str, Any]]:
    """Environment of the deployed function, pointed at the local services; queues for video and trends only
    (the router sends over HTTP to moto's server; the tests read the queues through the mock)."""
    import boto3

    from common import azure_ai, spend_guard
    from common import settings as common_settings
    from router import cache, queues, uploads
    from router import settings as router_settings
    from tools import function_env

    s3 = boto3.client("s3", region_name="us-east-2")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    sqs = boto3.client("sqs", region_name="us-east-2")
    urls = {task: sqs.create_queue(QueueName=f"huntaze-test-{task}")["QueueUrl"] for task in ("video", "trends")}
    env = {
        **function_env.router(),
        **function_env.azure(httpserver.url_for("/").rstrip("/"), AZURE_KEY),
        "AI_MODELS": json.dumps(MODELS),
        "AI_DEFAULT_TYPES": "vision,chat",
        # Micro-dollars: a day of 10000, a caller's day and the month of 1000000.
        "AI_DAILY_BUDGET_USD": "0.01",
        "AI_CALLER_DAILY_BUDGET_USD": "1",
        "AI_MONTHLY_BUDGET_USD": "1",
        "AI_MAX_PROMPT_CHARS": "2000",
        "MAX_BODY_BYTES": "200000",
        "AI_MAX_IMAGES": "2",
        "AZURE_AI_ENDPOINT": httpserver.url_for("/").rstrip("/"),
        "AZURE_AI_KEY": AZURE_KEY,
        "REDIS_URL": redis_url,
        "UPLOADS_BUCKET": BUCKET,
        "UPLOAD_MAX_BYTES": str(50 * 1024 * 1024),
        "QUEUE_URL_VIDEO": urls["video"],
        "QUEUE_URL_TRENDS": urls["trends"],
        "EVENT_TYPES": ",".join(EVENT_TYPES),
        "EVENT_ACCOUNTS_CLAIM": ACCOUNTS_CLAIM,
        "EVENT_LOOKBACK_HOURS": str(LOOKBACK_HOURS),
        # Any caller may queue any task here; tests/lambdas/router/test_router_operator_scope.py sets the stage's list.
        "OPERATOR_TASKS": "",
    }
    for name in ("QUEUE_URL_DATA", "QUEUE_URL_ALERTS", "REDIS_HOST", "AZURE_AI_KEY_PARAMETER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def reset_all() -> None:
        for reset in (
            common_settings.reset,
            router_settings.reset,
            cache.reset,
            queues.reset,
            uploads.reset,
            azure_ai.reset_client,
            spend_guard.reset,
        ):
            reset()

    reset_all()
    yield {"s3": s3, "sqs": sqs, "queue_urls": urls, "env": env}
    reset_all()


@pytest.fixture
def call(router_env) -> Callable[..., Answer]:
    """Invoke the handler the way Lambda does and decode the JSON answer."""
    from router.handler import lambda_handler

    def _call(
        method: str, path: str, body: Any = None, *, context: LambdaContext | None = None, **kwargs: Any
    ) -> Answer:
        result = lambda_handler(http_event(method, path, body, **kwargs), context or LambdaContext())
        body = json.loads(result["body"]) if result.get("body") else None
        return Answer(result["statusCode"], body, result.get("headers") or {})

    return _call


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
