"""The HTTP API front as a client sees it: authorizer, unknown routes, CORS for the Next.js dev server."""

from __future__ import annotations

import pytest

from tests.e2e.api_client import Api
from tools.local.system import LocalSystem

UNAUTHORIZED = {"message": "Unauthorized"}


def _secured_routes(local_system: LocalSystem) -> list[tuple[str, str]]:
    assert local_system.deployment is not None
    return [
        (r.method, r.path.replace("{jobId}", "00000000-0000-0000-0000-000000000000"))
        for r in local_system.deployment.api.routes
        if r.jwt
    ]


def test_health_answers_without_a_token(api: Api) -> None:
    answer = api.as_user(None).get("/health")

    assert answer.status == 200
    assert answer.body == {"status": "ok"}


def test_every_other_route_refuses_a_request_without_a_token(api: Api, local_system: LocalSystem) -> None:
    routes = _secured_routes(local_system)
    assert len(routes) >= 4

    answers = {(m, p): api.as_user(None).request(m, p, body={} if m == "POST" else None) for m, p in routes}

    assert {k: (a.status, a.body) for k, a in answers.items()} == {k: (401, UNAUTHORIZED) for k in answers}


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"ttl_s": -60}, id="expired"),
        pytest.param({"issuer": "https://someone-else.example/"}, id="other-issuer"),
    ],
)
def test_a_token_that_fails_a_check_is_refused(api: Api, token_for, claims: dict) -> None:
    answer = api.as_user(token_for("local-dev", **claims)).post("/v1/jobs", {"task": "data"})

    assert (answer.status, answer.body) == (401, UNAUTHORIZED)


def test_a_token_for_another_audience_is_refused(api: Api, local_system: LocalSystem) -> None:
    from tools.local import identity

    token = identity.token("local-dev", "another-api", state_dir=local_system.settings.state_dir)

    answer = api.as_user(token).post("/v1/jobs", {"task": "data"})

    assert (answer.status, answer.body) == (401, UNAUTHORIZED)


def test_a_token_signed_by_another_key_is_refused(api: Api, audience: str, tmp_path) -> None:
    from tools.local import identity

    forged = identity.token("local-dev", audience, state_dir=tmp_path)  # a fresh key in tmp_path

    answer = api.as_user(forged).post("/v1/jobs", {"task": "data"})

    assert (answer.status, answer.body) == (401, UNAUTHORIZED)


def test_an_unknown_route_is_not_found(api: Api) -> None:
    answer = api.get("/v1/nothing-here")

    assert (answer.status, answer.body) == (404, {"message": "Not Found"})


def test_the_nextjs_dev_origin_passes_the_cors_preflight(api: Api) -> None:
    answer = api.as_user(None).request(
        "OPTIONS",
        "/v1/jobs",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )

    assert answer.status == 204
    assert answer.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "authorization" in answer.headers["access-control-allow-headers"]
    assert "POST" in answer.headers["access-control-allow-methods"]


def test_an_answer_to_the_nextjs_dev_origin_carries_cors_headers(api: Api) -> None:
    answer = api.get("/health", headers={"Origin": "http://localhost:3000"})

    assert answer.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "x-cache" in answer.headers["access-control-expose-headers"]


def test_an_origin_not_configured_gets_no_cors_headers(api: Api) -> None:
    answer = api.get("/health", headers={"Origin": "https://evil.example"})

    assert "access-control-allow-origin" not in answer.headers


def test_an_operator_only_route_is_refused_at_the_gateway_without_the_scope(api, token_for, local_system) -> None:
    # Given the dev user's token, without the operator scope, and an operator's token
    dep = local_system.deployment
    scope = dep.functions[dep.api.function].environment["OPERATOR_SCOPE"]
    operator = api.as_user(token_for("local-operator", scope=scope))
    # When both read the alert states, an operator-only route
    refused, allowed = api.get("/v1/ops/alerts"), operator.get("/v1/ops/alerts")
    # Then the gateway answers 403 before the function runs, and the operator gets the states
    assert (refused.status, refused.body) == (403, {"message": "Forbidden"})
    assert allowed.status == 200 and "rules" in allowed.body
