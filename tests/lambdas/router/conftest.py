"""Router fixtures: the handler called in-process with HTTP API v2 events.

Real PostgreSQL and Redis (shared fixtures), SQS and S3 through moto, Azure
AI Foundry through a local HTTP server that speaks its chat-completions API.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

BUCKET = "huntaze-test-uploads"
MODELS = {"reasoning": "DeepSeek-R1", "generation": "DeepSeek-V3", "default": "Phi-4-multimodal-instruct"}
AZURE_KEY = "test-azure-key"
CLAIMS = {"sub": "user-123", "iss": "https://auth.huntaze.com/", "aud": "huntaze-api"}


@dataclass
class LambdaContext:
    remaining_ms: int = 29_000
    function_name: str = "router"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-2:123456789012:function:router"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def http_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    raw_body: str | None = None,
    claims: dict[str, str] | None = CLAIMS,
    base64_body: bool = False,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload-2.0 event as the JWT authorizer passes it on."""
    all_headers = {"host": "api.example.com", "user-agent": "pytest"}
    if body is not None or raw_body is not None:
        all_headers["content-type"] = "application/json"
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    all_headers = {k: v for k, v in all_headers.items() if v is not None}
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    if base64_body and text is not None:
        text = base64.b64encode(text.encode()).decode()
    route_key = f"{method} {path}"
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "api1",
        "domainName": "api.example.com",
        "domainPrefix": "api",
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.1", "userAgent": "pytest"},
        "requestId": "req-1",
        "routeKey": route_key,
        "stage": "$default",
        "time": "01/Jan/2026:00:00:00 +0000",
        "timeEpoch": 1767225600000,
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": all_headers,
        "requestContext": context,
        "isBase64Encoded": base64_body,
    }
    if text is not None:
        event["body"] = text
    return event


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@pytest.fixture
def router_env(monkeypatch: pytest.MonkeyPatch, database_env: str, redis_url: str, redis_client, aws, httpserver) -> Iterator[dict[str, Any]]:
    """Environment of the deployed function, pointed at the local services; queues for video and trends only."""
    import boto3
    from common import azure_ai
    from common import settings as common_settings
    from router import cache, queues, uploads
    from router import settings as router_settings

    s3 = boto3.client("s3", region_name="us-east-2")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    sqs = boto3.client("sqs", region_name="us-east-2")
    urls = {task: sqs.create_queue(QueueName=f"huntaze-test-{task}")["QueueUrl"] for task in ("video", "trends")}
    env = {
        "AI_MODELS": json.dumps(MODELS),
        "AI_DEFAULT_TYPES": "vision,chat",
        "AI_DAILY_TOKEN_BUDGET": "10000",
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
    }
    for name in ("QUEUE_URL_DATA", "QUEUE_URL_ALERTS", "REDIS_HOST", "AZURE_AI_KEY_SECRET_ARN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def reset_all() -> None:
        for reset in (common_settings.reset, router_settings.reset, cache.reset, queues.reset, uploads.reset, azure_ai.reset_client):
            reset()

    reset_all()
    yield {"s3": s3, "sqs": sqs, "queue_urls": urls, "env": env}
    reset_all()


@pytest.fixture
def call(router_env) -> Callable[..., Answer]:
    """Invoke the handler the way Lambda does and decode the JSON answer."""
    from router.handler import lambda_handler

    def _call(method: str, path: str, body: Any = None, *, context: LambdaContext | None = None, **kwargs: Any) -> Answer:
        result = lambda_handler(http_event(method, path, body, **kwargs), context or LambdaContext())
        return Answer(result["statusCode"], json.loads(result["body"]), result.get("headers") or {})

    return _call


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def completion(model: str, content: str, *, reasoning: str | None = None, prompt_tokens: int = 11, completion_tokens: int = 7) -> dict[str, Any]:
    """A chat-completions response body as Azure AI Foundry returns it."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 1767225600,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens},
    }


def queue_messages(router_env: dict[str, Any], task: str) -> list[dict[str, Any]]:
    sqs = router_env["sqs"]
    resp = sqs.receive_message(QueueUrl=router_env["queue_urls"][task], MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(m["Body"]) for m in resp.get("Messages", [])]
