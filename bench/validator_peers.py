"""The router's request validation done by a library instead of common.schema: the benchmark's peers.

Each peer is the router's own handler with the AI route's body validated by
the library first, every problem reported at once, so a cold start pays for
the router plus the library: what replacing common.schema would cost.

* msgspec: a `Struct` per request shape, decoded and validated in one call.
* Powertools: `APIGatewayHttpResolver(enable_validation=True)`, which
  validates with pydantic from the route's type annotations.
"""

import json
from typing import Annotated, Any, Literal

from router.contract import AI_TYPES, MAX_IMAGES
from router.handler import lambda_handler as router_handler

_AiType = Literal[AI_TYPES]  # type: ignore[valid-type]


def _bad_request(errors: list[dict[str, str]]) -> dict[str, Any]:
    body = {"error": "invalid_request", "detail": "; ".join(e["problem"] for e in errors), "errors": errors}
    return {"statusCode": 400, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def msgspec_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    import msgspec

    class AiRouteRequest(msgspec.Struct, forbid_unknown_fields=True):
        prompt: Annotated[str, msgspec.Meta(min_length=1)]
        type: _AiType
        images: (
            Annotated[list[Annotated[str, msgspec.Meta(min_length=1)]], msgspec.Meta(max_length=MAX_IMAGES)] | None
        ) = None
        max_tokens: Annotated[int, msgspec.Meta(ge=1)] | None = None
        temperature: Annotated[float, msgspec.Meta(ge=0, le=2)] | None = None

    try:
        msgspec.json.decode(event.get("body") or "", type=AiRouteRequest)
    except msgspec.ValidationError as exc:
        # msgspec stops at the first problem: one entry, where common.schema names them all.
        return _bad_request([{"field": "body", "problem": str(exc)}])
    return router_handler(event, context)


_powertools_app = None


def powertools_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _powertools_app
    if _powertools_app is None:
        _powertools_app = _build_powertools_app()
    return _powertools_app.resolve(event, context)


def _build_powertools_app() -> Any:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
    from pydantic import BaseModel, ConfigDict, Field

    class AiRouteRequest(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        prompt: str = Field(min_length=1)
        type: _AiType
        images: list[Annotated[str, Field(min_length=1)]] | None = Field(None, max_length=MAX_IMAGES)
        max_tokens: int | None = Field(None, ge=1)
        temperature: float | None = Field(None, ge=0, le=2)

    app = APIGatewayHttpResolver(enable_validation=True)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Any:
        from aws_lambda_powertools.event_handler import Response

        errors = [{"field": ".".join(map(str, e["loc"][1:])), "problem": e["msg"]} for e in exc.errors()]
        return Response(400, "application/json", json.dumps({"error": "invalid_request", "errors": errors}))

    @app.post("/v1/ai/route")
    def route_ai(body: AiRouteRequest) -> dict[str, Any]:
        return router_handler(app.current_event.raw_event, app.lambda_context)

    return app
