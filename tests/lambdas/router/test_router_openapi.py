"""The committed OpenAPI document matches the code, and the handler serves exactly its routes."""

from __future__ import annotations

import json
from pathlib import Path

from router import contract, openapi
from router.api import app

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "api" / "openapi.json"


def test_committed_document_matches_the_code():
    # Regenerate with: PYTHONPATH=lambdas .venv/bin/python -m router.openapi > docs/api/openapi.json
    assert json.loads(DOCUMENT.read_text()) == openapi.build()


def test_handler_serves_exactly_the_documented_routes():
    served = {(r.method, r.path) for r in app._static_routes + app._dynamic_routes}
    assert served == {(s.method, s.rule) for s in contract.ROUTES}


def test_document_is_valid_openapi():
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

    OpenAPI.model_validate(openapi.build())


def test_only_health_is_public():
    doc = openapi.build()
    public = [(m, p) for p, ops in doc["paths"].items() for m, op in ops.items() if op.get("security") == []]
    assert public == [("get", "/health")]


def test_health_needs_no_token(call):
    answer = call("GET", "/health", claims=None)
    assert answer.status == 200 and answer.body == {"status": "ok"}


def test_an_unknown_route_is_a_json_404(call):
    answer = call("GET", "/v1/nothing")
    assert answer.status == 404 and answer.body["error"] == "route_not_found"


def test_operator_routes_document_the_gateways_forbidden_body_on_403():
    # Given the document, When the 403 of every operator-only route is read
    doc = openapi.build()
    operator = [(s.method.lower(), s.path) for s in contract.ROUTES if s.operator]
    schemas = [doc["paths"][p][m]["responses"]["403"]["content"]["application/json"]["schema"] for m, p in operator]

    # Then API Gateway's {"message":"Forbidden"} is among the bodies it allows
    assert operator and all({"$ref": "#/components/schemas/Forbidden"} in s["anyOf"] for s in schemas)
    assert doc["components"]["schemas"]["Forbidden"]["example"] == contract.FORBIDDEN_BODY


def test_every_route_that_reads_a_body_documents_the_bad_body_statuses():
    doc = openapi.build()
    with_body = [(s.method.lower(), s.path) for s in contract.ROUTES if s.request is not None]

    documented = {key: set(doc["paths"][key[1]][key[0]]["responses"]) for key in with_body}

    assert all({"400", "413", "415"} <= statuses for statuses in documented.values()), documented


def test_queueing_a_job_documents_the_operator_scope_403():
    responses = openapi.build()["paths"]["/v1/jobs"]["post"]["responses"]
    assert "operator_scope_required" in responses["403"]["description"]
