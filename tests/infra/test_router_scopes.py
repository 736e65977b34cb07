"""The operator scope: one name in config, handed to the router and to operator-only routes."""

from __future__ import annotations

import json

from stacks.cron import CRON_TASKS
from stacks.router import ApiRoute, api_routes


def _router_env(templates) -> dict[str, str]:
    (fn,) = [
        f["Properties"]
        for f in templates["Router"].find_resources("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "router.handler.lambda_handler"
    ]
    return fn["Environment"]["Variables"]


def test_the_router_learns_the_operator_scope_and_the_scheduled_tasks(templates, cfg):
    env = _router_env(templates)
    assert env["OPERATOR_SCOPE"] == cfg.router.operator_scope == "huntaze/operator"
    assert env["OPERATOR_TASKS"].split(",") == list(CRON_TASKS)


def test_a_route_whose_security_names_scopes_carries_them(tmp_path):
    # Given an OpenAPI document with an operator-only route, a JWT route and a public one
    document = tmp_path / "openapi.json"
    document.write_text(
        json.dumps(
            {
                "security": [{"jwt": []}],
                "paths": {
                    "/v1/ops/alerts": {"post": {"security": [{"jwt": ["huntaze/operator"]}]}},
                    "/v1/jobs": {"post": {}},
                    "/health": {"get": {"security": []}},
                },
            }
        )
    )
    # Then each route has what its security requirement says
    assert api_routes(document) == [
        ApiRoute("POST", "/v1/ops/alerts", True, ("huntaze/operator",)),
        ApiRoute("POST", "/v1/jobs", True, ()),
        ApiRoute("GET", "/health", False, ()),
    ]


def test_api_gateway_requires_exactly_the_scopes_of_each_route(templates, cfg):
    from stacks.router import OPERATOR_SCOPE_ROLE

    routes = templates["Router"].find_resources("AWS::ApiGatewayV2::Route")
    by_key = {r["Properties"]["RouteKey"]: r["Properties"].get("AuthorizationScopes", []) for r in routes.values()}
    stage_scope = {OPERATOR_SCOPE_ROLE: cfg.router.operator_scope}
    assert by_key == {f"{r.method} {r.path}": [stage_scope.get(s, s) for s in r.scopes] for r in api_routes()}


def test_operator_only_routes_require_the_stages_operator_scope_at_the_gateway(templates, cfg):
    from router.contract import OPERATOR_SCOPE_ROLE, ROUTES
    from stacks import router as router_stack

    # Given the routes the contract marks operator-only, and the role name the document gives them
    assert router_stack.OPERATOR_SCOPE_ROLE == OPERATOR_SCOPE_ROLE
    operator_keys = {f"{r.method} {r.path}" for r in ROUTES if r.operator}
    assert operator_keys, "the alert operator routes are operator-only"
    # When the Router stack is synthesized
    routes = templates["Router"].find_resources("AWS::ApiGatewayV2::Route")
    scopes = {r["Properties"]["RouteKey"]: r["Properties"].get("AuthorizationScopes") for r in routes.values()}
    # Then exactly those routes carry the stage's operator scope, and no other route carries a scope
    assert {key for key, s in scopes.items() if s} == operator_keys
    assert all(scopes[key] == [cfg.router.operator_scope] for key in operator_keys)
