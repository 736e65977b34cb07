"""tools/local/apigw: the HTTP API front's event building, answers, authorizer and throttle, in-process."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from tools.local import identity
from tools.local.apigw import HttpApiFront, TokenBucket
from tools.local.deployment import HttpApi, Route

AUDIENCE = "huntaze-api"


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def front(state_dir: Path) -> tuple[HttpApiFront, list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps({"ok": True})}

    api = HttpApi(
        routes=[
            Route("GET", "/health", False),
            Route("POST", "/v1/jobs", True),
            Route("GET", "/v1/jobs/{jobId}", True),
        ],
        issuer=identity.ISSUER,
        audience=[AUDIENCE],
        cors={"AllowOrigins": ["http://localhost:3000"], "AllowMethods": ["GET", "POST"]},
        throttle_rate=1000,
        throttle_burst=1000,
        function="Router",
    )
    return HttpApiFront(api, invoke, jwks=identity.jwks(state_dir), issuer=identity.ISSUER), events


def _bearer(state_dir: Path, **kwargs: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {identity.token('user-1', AUDIENCE, state_dir=state_dir, **kwargs)}"}


def test_a_json_body_reaches_the_function_as_text_with_the_callers_claims(front, state_dir: Path) -> None:
    app, events = front

    response = Client(app).post(
        "/v1/jobs?x=1&x=2",
        data=b'{"task":"data"}',
        headers={**_bearer(state_dir, scope="a b"), "Content-Type": "application/json"},
    )

    assert response.status_code == 200
    (event,) = events
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /v1/jobs"
    assert event["body"] == '{"task":"data"}'
    assert event["isBase64Encoded"] is False
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["rawQueryString"] == "x=1&x=2"
    jwt = event["requestContext"]["authorizer"]["jwt"]
    assert jwt["claims"]["sub"] == "user-1"
    assert isinstance(jwt["claims"]["exp"], str)  # every claim is a string, as API Gateway passes them
    assert jwt["scopes"] == ["a", "b"]


def test_a_binary_body_reaches_the_function_base64_encoded(front, state_dir: Path) -> None:
    app, events = front
    payload = bytes(range(256))

    Client(app).post(
        "/v1/jobs", data=payload, headers={**_bearer(state_dir), "Content-Type": "application/octet-stream"}
    )

    (event,) = events
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_bytes_that_are_not_utf8_under_a_json_type_reach_the_function_base64_encoded(front, state_dir: Path) -> None:
    app, events = front

    Client(app).post("/v1/jobs", data=b"\x80{", headers={**_bearer(state_dir), "Content-Type": "application/json"})

    assert events[0]["isBase64Encoded"] is True
    assert base64.b64decode(events[0]["body"]) == b"\x80{"


def test_path_parameters_come_from_the_route_template(front, state_dir: Path) -> None:
    app, events = front

    Client(app).get("/v1/jobs/abc-123", headers=_bearer(state_dir))

    assert events[0]["pathParameters"] == {"jobId": "abc-123"}
    assert events[0]["routeKey"] == "GET /v1/jobs/{jobId}"


def test_a_missing_token_is_refused_before_the_function_runs(front) -> None:
    app, events = front

    response = Client(app).post("/v1/jobs", json={"task": "data"})

    assert response.status_code == 401
    assert response.get_json() == {"message": "Unauthorized"}
    assert events == []


def test_a_route_of_another_method_is_not_found(front) -> None:
    app, events = front

    response = Client(app).post("/health")

    assert (response.status_code, response.get_json()) == (404, {"message": "Not Found"})
    assert events == []


def test_a_bare_json_result_becomes_a_200_json_answer(state_dir: Path) -> None:
    api = HttpApi([Route("GET", "/health", False)], identity.ISSUER, [AUDIENCE], {}, 10, 10, "Router")
    app = HttpApiFront(api, lambda _event: {"status": "ok"}, jwks=identity.jwks(state_dir), issuer=identity.ISSUER)

    response = Client(app).get("/health")

    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    assert response.headers["content-type"] == "application/json"


def test_a_function_that_raises_gives_a_500_internal_server_error(state_dir: Path) -> None:
    def broken(_event: dict[str, Any]) -> Any:
        raise RuntimeError("boom")

    api = HttpApi([Route("GET", "/health", False)], identity.ISSUER, [AUDIENCE], {}, 10, 10, "Router")
    app = HttpApiFront(api, broken, jwks=identity.jwks(state_dir), issuer=identity.ISSUER)

    response = Client(app).get("/health")

    assert (response.status_code, response.get_json()) == (500, {"message": "Internal Server Error"})


def test_the_throttle_allows_the_burst_then_refuses_until_tokens_refill() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])

    burst = [bucket.take() for _ in range(4)]
    now[0] += 0.5  # one token back at 2 per second

    assert burst == [True, True, True, False]
    assert (bucket.take(), bucket.take()) == (True, False)


def test_a_front_built_without_the_throttle_passes_more_than_the_burst(state_dir: Path) -> None:
    api = HttpApi([Route("GET", "/health", False)], identity.ISSUER, [AUDIENCE], {}, 1, 1, "Router")
    throttled = HttpApiFront(api, lambda _e: {"status": "ok"}, jwks=identity.jwks(state_dir), issuer=identity.ISSUER)
    free = HttpApiFront(
        api, lambda _e: {"status": "ok"}, jwks=identity.jwks(state_dir), issuer=identity.ISSUER, throttle=False
    )

    limited = [Client(throttled).get("/health").status_code for _ in range(3)]
    unlimited = [Client(free).get("/health").status_code for _ in range(3)]

    assert limited == [200, 429, 429]
    assert unlimited == [200, 200, 200]


def test_the_stage_front_serves_the_synthesized_routes_with_the_local_issuer(state_dir: Path) -> None:
    from tools.local.apigw import front_for_stage

    events: list[dict[str, Any]] = []
    app = front_for_stage(lambda e: events.append(e) or {"statusCode": 202, "body": "{}"}, state_dir=state_dir)

    refused = Client(app).post("/v1/jobs", json={"task": "data"})
    accepted = Client(app).post("/v1/jobs", json={"task": "data"}, headers=_bearer(state_dir))

    assert refused.status_code == 401
    assert accepted.status_code == 202
    assert events[0]["routeKey"] == "POST /v1/jobs"
