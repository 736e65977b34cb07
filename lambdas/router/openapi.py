"""The API's OpenAPI 3.0 document, built from router.contract (the routes the handler serves) and common.payloads.

python -m router.openapi > docs/api/openapi.json   (with lambdas/ on PYTHONPATH)
"""

from __future__ import annotations

import json
from typing import Any

from common.payloads import TASK_PAYLOADS
from common.schema import Field, Shape, TaggedShape
from router.contract import MAX_IDEMPOTENCY_KEY_CHARS, OPERATOR_SCOPE_ROLE, RESPONSE_SCHEMAS, ROUTES, RouteSpec
from router.jobs_contract import WEBHOOKS

TITLE = "Huntaze API"
VERSION = "1.0.0"


def build() -> dict[str, Any]:
    shapes: dict[str, Shape | TaggedShape] = {}
    for spec in ROUTES:
        if spec.request is not None:
            shapes.update({s.name: s for s in spec.request.nested()})
    shapes.update({s.name: s for s in TASK_PAYLOADS.values()})
    schemas = {name: shape.json_schema() for name, shape in sorted(shapes.items())}
    schemas.update(RESPONSE_SCHEMAS)
    paths: dict[str, dict[str, Any]] = {}
    for spec in ROUTES:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Generated from lambdas/router/contract.py; do not edit.",
        },
        "security": [{"jwt": []}],
        "paths": paths,
        # The completion events the notifier posts (OpenAPI 3.1's `webhooks`; generators read it from 3.0 too).
        "webhooks": WEBHOOKS,
        "components": {
            "securitySchemes": {"jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": dict(sorted(schemas.items())),
        },
    }


def _operation(spec: RouteSpec) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": spec.operation_id, "summary": spec.summary}
    if spec.description:
        op["description"] = spec.description
    if not spec.auth:
        op["security"] = []
    elif spec.operator:
        op["security"] = [{"jwt": [OPERATOR_SCOPE_ROLE]}]
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
        for name in _path_params(spec.path)
    ]
    if spec.query is not None:
        params += [_query_param(name, field) for name, field in spec.query.fields.items()]
    params += [
        {"name": name, "in": "header", "required": False, "description": text, "schema": _HEADER_SCHEMA}
        for name, text in spec.headers.items()
    ]
    if params:
        op["parameters"] = params
    if spec.request is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{spec.request.name}"}}},
        }
    ok = _response("Success", spec.ok_schema)
    if spec.links:
        ok["links"] = {
            name: {"operationId": operation, "parameters": dict(parameters)}
            for name, (operation, parameters) in spec.links.items()
        }
    if spec.ok_headers:
        ok["headers"] = {
            name: {"description": text, "schema": {"type": "string"}} for name, text in spec.ok_headers.items()
        }
    responses: dict[str, Any] = {str(spec.ok_status): ok}
    errors: dict[int, Any] = {status: _response(text, "Error") for status, text in spec.errors.items()}
    errors.update({status: {"description": text} for status, text in spec.bodiless.items()})
    if spec.auth:
        errors[401] = _response(
            "Missing or invalid JWT: API Gateway's authorizer answers before the function runs", "Unauthorized"
        )
    if spec.operator:
        errors[403] = _operator_forbidden()
    responses.update({str(status): errors[status] for status in sorted(errors)})
    op["responses"] = responses
    return op


def _query_param(name: str, field: Field) -> dict[str, Any]:
    schema = {k: v for k, v in field.json_schema().items() if k not in ("description", "nullable", "example")}
    param: dict[str, Any] = {
        "name": name,
        "in": "query",
        "required": field.required,
        "description": field.description,
        "schema": schema,
    }
    if field.example is not None:
        param["example"] = field.example
    return param


def _response(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _operator_forbidden() -> dict[str, Any]:
    # API Gateway refuses first; the function's own check answers the same status
    # with its error body should a request ever pass the gateway without the scope.
    return {
        "description": (
            'The token lacks the stage\'s operator scope: API Gateway answers `{"message":"Forbidden"}` '
            "before the function runs (the function's own check: `operator_scope_required`)"
        ),
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [{"$ref": "#/components/schemas/Forbidden"}, {"$ref": "#/components/schemas/Error"}]
                }
            }
        },
    }


# Printable ASCII with at least one non-space (the key is used stripped).
_HEADER_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_IDEMPOTENCY_KEY_CHARS,
    "pattern": "^[ -~]*[!-~][ -~]*$",
}


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
