"""The data read routes (`router.data_contract`): parse the query, check who asks, call the logic module."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Response

from router import api
from router.contract import MAX_IDEMPOTENCY_KEY_CHARS
from router.data_contract import ANALYTICS, ANALYTICS_QUERY, TRENDS, TRENDS_QUERY
from router.errors import ApiError


@api._route(ANALYTICS)
def get_analytics() -> Response:
    settings = api.router_settings()
    api._caller()
    query = ANALYTICS_QUERY.validate_query(_query())

    from common import db
    from router import analytics
    from router.cache import get_cache

    request = analytics.parse(query, settings)
    analytics.require_access(api._claims(), settings, request.account)
    answer, cached = analytics.read(request, connection=db.connection, cache=get_cache(settings.cache_ttl_s))
    return api.json_response(200, answer, {"X-Cache": "hit" if cached else "miss"})


@api._route(TRENDS)
def get_trends() -> Response:
    api._caller()
    query = TRENDS_QUERY.validate_query(_query())
    if_none_match = _if_none_match()

    from common import db
    from router import trends

    window, limit = trends.parse(query)
    answer = trends.read(window, limit, connection=db.connection)
    tag = trends.etag(answer)
    # Cacheable by the caller, but only after asking again (the next snapshot may land any time).
    headers = {"ETag": tag, "Cache-Control": "private, no-cache"}
    if trends.not_modified(if_none_match, tag):
        return Response(304, None, "", headers=headers)
    return api.json_response(200, answer, headers)


def _query() -> dict[str, Any]:
    """The query string's parameters (API Gateway joins a repeated one's values with commas)."""
    return dict(api.app.current_event.raw_event.get("queryStringParameters") or {})


def _if_none_match() -> str | None:
    """The header as the document describes every request header (printable ASCII, at most 512 characters):
    one that is not is refused rather than silently taken for an ETag that matches nothing."""
    raw = api._header("if-none-match")
    if raw is not None and not (
        raw.strip() and len(raw) <= MAX_IDEMPOTENCY_KEY_CHARS and raw.isascii() and raw.isprintable()
    ):
        raise ApiError(
            400, "invalid_request", f"If-None-Match must be 1-{MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters"
        )
    return raw
