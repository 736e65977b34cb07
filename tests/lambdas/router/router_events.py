"""Helpers of the router tests: HTTP API v2 events, a Lambda context, Azure responses."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

from tests.fakes import LambdaContext as FakeLambdaContext
from tests.fakes import chat_completion

BUCKET = "huntaze-test-uploads"
MODELS = {"reasoning": "DeepSeek-R1", "generation": "DeepSeek-V3", "default": "Phi-4-multimodal-instruct"}
AZURE_KEY = "test-azure-key"
# POST /v1/events on the test stage.
EVENT_TYPES = ("view", "like")
ACCOUNTS_CLAIM = "accounts"
LOOKBACK_HOURS = 48
OPERATOR_SCOPE = "huntaze/operator"
CLAIMS = {"sub": "user-123", "iss": "https://auth.huntaze.com/", "aud": "huntaze-api"}


LambdaContext = partial(FakeLambdaContext, function_name="router", remaining_ms=29_000)


def http_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    raw_body: str | None = None,
    claims: dict[str, str] | None = CLAIMS,
    base64_body: bool | str = False,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload-2.0 event as the JWT authorizer passes it on."""
    all_headers = {"host": "api.example.com", "user-agent": "pytest"}
    if body is not None or raw_body is not None:
        all_headers["content-type"] = "application/json"
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    all_headers = {k: v for k, v in all_headers.items() if v is not None}
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    if base64_body is True and text is not None:
        text = base64.b64encode(text.encode()).decode()
    # base64_body="raw": `raw_body` is sent as the already-encoded body.
    route_key = f"{method} {path}"
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "api1",
        "domainName": "api.example.com",
        "domainPrefix": "api",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.1",
            "userAgent": "pytest",
        },
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
        "rawQueryString": urlencode(query or {}),
        "headers": all_headers,
        "requestContext": context,
        "isBase64Encoded": bool(base64_body),
    }
    if text is not None:
        event["body"] = text
    if query:
        event["queryStringParameters"] = dict(query)
    return event


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def completion(
    model: str, content: str, *, reasoning: str | None = None, prompt_tokens: int = 11, completion_tokens: int = 7
) -> dict[str, Any]:
    return chat_completion(
        content, model=model, reasoning=reasoning, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
    )


def queue_messages(router_env: dict[str, Any], task: str) -> list[dict[str, Any]]:
    sqs = router_env["sqs"]
    resp = sqs.receive_message(QueueUrl=router_env["queue_urls"][task], MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(m["Body"]) for m in resp.get("Messages", [])]
