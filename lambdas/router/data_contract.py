"""The read routes of the product's data: GET /v1/analytics (the rollups) and GET /v1/trends (the snapshots).

Their query shapes, answer schemas and limits; the handlers are `router.data_routes`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from common.events import EVENT, RFC3339
from common.schema import Field, Shape
from router.contract import RouteSpec

GRANULARITIES = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
# The longest range per granularity: 31 days of hours (744 buckets), 366 of days.
MAX_RANGE = {"hour": timedelta(days=31), "day": timedelta(days=366)}
MAX_EVENT_TYPES = 10
# GET /v1/trends: movers per direction by default, and at most.
DEFAULT_MOVERS = 10
MAX_MOVERS = 50

_EVENT_FIELDS = EVENT.fields
ANALYTICS_QUERY = Shape(
    "AnalyticsQuery",
    "Which rollups: an account's (or one of its content items'), by hour or day, over [from, to).",
    {
        "accountId": Field(
            "string",
            "The account: one the caller's token lists in the accounts claim, or any for an operator.",
            required=True,
            low=1,
            high=128,
            pattern=_EVENT_FIELDS["accountId"].pattern,
            example="acct-42",
        ),
        "contentId": Field("string", "Only this content item of the account.", low=1, high=256, example="post-9001"),
        "granularity": Field("string", "The bucket size.", required=True, enum=tuple(GRANULARITIES), example="day"),
        "from": Field(
            "string",
            "Start (RFC 3339); taken down to its bucket's start.",
            required=True,
            pattern=RFC3339,
            example="2026-11-01T00:00:00Z",
        ),
        "to": Field(
            "string",
            f"End, exclusive (RFC 3339); after `from`, at most {MAX_RANGE['hour'].days} days of hours or "
            f"{MAX_RANGE['day'].days} of days later.",
            required=True,
            pattern=RFC3339,
            example="2026-11-30T00:00:00Z",
        ),
        "eventTypes": Field(
            "string",
            f"Comma-separated event types (1 to {MAX_EVENT_TYPES}) of this stage's list: one series each.",
            required=True,
            low=1,
            high=MAX_EVENT_TYPES * 65,
            pattern=r"[a-z][a-z0-9_]{0,63}(?:,[a-z][a-z0-9_]{0,63})*",
            example="view,like",
        ),
    },
)

TRENDS_QUERY = Shape(
    "TrendsQuery",
    "Which snapshot: the latest, or the one of a window.",
    {
        "window": Field(
            "string",
            "The window's start (RFC 3339), as the trends job stored it; absent: the latest snapshot.",
            pattern=RFC3339,
            example="2026-11-30T06:00:00Z",
        ),
        "limit": Field(
            "integer",
            "Movers per direction.",
            low=1,
            high=MAX_MOVERS,
            default=DEFAULT_MOVERS,
            example=DEFAULT_MOVERS,
        ),
    },
)

_NUMBERS = {
    "type": "object",
    "required": ["count", "value"],
    "properties": {
        "count": {"type": "integer", "description": "Events counted."},
        "value": {"type": "number", "description": "Sum of their `value`."},
    },
}
_MOVER = {
    "type": "object",
    "required": ["item", "kind", "name", "scale", "previous", "current", "change", "confidence"],
    "properties": {
        "item": {"type": "string", "description": "`kind:name@scale`."},
        "kind": {"type": "string", "description": "hashtag, sound, topic..."},
        "name": {"type": "string"},
        "scale": {"type": "string", "description": "What is counted: mentions, views, posts, searches."},
        "previous": {"type": "integer", "description": "The count in each answering source's previous window."},
        "current": {"type": "integer", "description": "The count now."},
        "change": {"type": "integer"},
        "ratio": {"type": "number", "nullable": True, "description": "change / previous; null when previous is 0."},
        "confidence": {"type": "number", "description": "0..1: how sure the move is (see the trends worker)."},
        "sources": {"type": "array", "items": {"type": "string"}, "description": "The sources it was measured in."},
    },
}
DATA_SCHEMAS: dict[str, dict[str, Any]] = {
    "Analytics": {
        "type": "object",
        "required": ["accountId", "granularity", "from", "to", "series"],
        "properties": {
            "accountId": {"type": "string"},
            "contentId": {"type": "string", "nullable": True},
            "granularity": {"type": "string", "enum": list(GRANULARITIES)},
            "from": {"type": "string", "format": "date-time", "description": "The first bucket's start."},
            "to": {"type": "string", "format": "date-time", "description": "The end of the last bucket."},
            "series": {
                "type": "array",
                "description": "One per asked event type, in the order asked.",
                "items": {
                    "type": "object",
                    "required": ["eventType", "total", "buckets"],
                    "properties": {
                        "eventType": {"type": "string"},
                        "total": _NUMBERS,
                        "buckets": {
                            "type": "array",
                            "description": "Every bucket of the range, in order; one with no events has zeros.",
                            "items": {
                                "type": "object",
                                "required": ["start", "count", "value"],
                                "properties": {
                                    "start": {"type": "string", "format": "date-time"},
                                    **_NUMBERS["properties"],
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "Trends": {
        "type": "object",
        "required": ["window", "createdAt", "baseline", "rising", "falling", "sources", "summary"],
        "properties": {
            "window": {"type": "string", "format": "date-time", "description": "The window's start."},
            "createdAt": {"type": "string", "format": "date-time"},
            "baseline": {
                "type": "boolean",
                "description": "True when no source had an earlier window to compare with: no growth yet.",
            },
            "rising": {"type": "array", "items": _MOVER},
            "falling": {"type": "array", "items": _MOVER},
            "sources": {
                "type": "object",
                "required": ["answered", "failed"],
                "properties": {
                    "answered": {"type": "array", "items": {"type": "string"}},
                    "failed": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"source": {"type": "string"}, "reason": {"type": "string"}},
                        },
                    },
                },
            },
            "summary": {"type": "string", "nullable": True, "description": "The AI summary of the movers."},
            "model": {"type": "string", "nullable": True},
        },
    },
}

ANALYTICS = RouteSpec(
    "GET",
    "/v1/analytics",
    "getAnalytics",
    "Rollups of an account or content item, by hour or day, one zero-filled series per event type",
    200,
    "Analytics",
    query=ANALYTICS_QUERY,
    errors={
        400: "`invalid_request`: a parameter does not fit (listed in `errors`), an event type this stage does not "
        "know, `to` not after `from`, or a range over the granularity's limit",
        403: "`account_forbidden`: the account is not one the caller's token lists (nor is the caller an operator)",
        503: "`db_*`: the database is unavailable; retry after Retry-After",
    },
    ok_headers={"X-Cache": "`hit` when answered from the cache (invalidated whenever a rollup changes the account)"},
    description=(
        "The data rollup job's hourly or daily rows for the account (or one content item), summed per bucket. "
        "Every bucket of the range is present (zeros where nothing happened), so a chart has no gaps. Events "
        "reach the rollups on the data job's next run (every 15 minutes). Answers are cached; a rollup that "
        "changes any of the account's rows makes the cached answers unreachable at once."
    ),
)
TRENDS = RouteSpec(
    "GET",
    "/v1/trends",
    "getTrends",
    "The latest trends snapshot (or one window's): rising and falling items, the sources, the AI summary",
    200,
    "Trends",
    query=TRENDS_QUERY,
    headers={"If-None-Match": "The ETag of the snapshot the caller holds: 304 while it is still current."},
    ok_headers={"ETag": "Identifies this answer; send it back as If-None-Match."},
    bodiless={304: "Not modified: the snapshot (and so the answer) is the one the caller's ETag names"},
    errors={
        400: "`invalid_request`: `window` is not RFC 3339, `limit` is out of range, or If-None-Match is not "
        "printable ASCII",
        404: "`trends_not_found`: no snapshot yet, or none for that window",
        503: "`db_*`: the database is unavailable; retry after Retry-After",
    },
    description="Any authenticated caller may read it. Poll with If-None-Match: an unchanged snapshot costs a 304.",
)
DATA_ROUTES = (ANALYTICS, TRENDS)
