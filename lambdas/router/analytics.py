"""GET /v1/analytics: a bounded range of rollup buckets, zero-filled, one series per event type, cached.

The answer is cached under the account's generation (`analytics_generations`,
bumped by the data rollup in the statement that changes the account's rows).
The generation is read *before* the rollups, so what is stored under a
generation is at least as new as it; a rollup that changes the account
moves it to a new generation, and every earlier answer is unreachable (and
expires with the cache's TTL).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from common.schema import Problem, SchemaError
from router import analytics_store
from router.access import may_write_account
from router.cache import ResponseCache
from router.data_contract import GRANULARITIES, MAX_EVENT_TYPES, MAX_RANGE
from router.errors import ApiError
from router.settings import RouterSettings

Connect = Callable[[], AbstractContextManager[Any]]
CACHE_PREFIX = "analytics:v1"


@dataclass(frozen=True)
class AnalyticsRequest:
    account: str
    content: str | None
    granularity: str
    start: datetime  # the first bucket's start
    end: datetime  # the last bucket's end
    types: tuple[str, ...]

    @property
    def buckets(self) -> list[datetime]:
        step = GRANULARITIES[self.granularity]
        out, at = [], self.start
        while at < self.end:
            out.append(at)
            at += step
        return out

    def cache_key(self, generation: int) -> str:
        asked = "\0".join(
            [self.content or "", self.granularity, self.start.isoformat(), self.end.isoformat(), *self.types]
        )
        digest = hashlib.sha256(f"{self.account}\0{asked}".encode()).hexdigest()
        return f"{CACHE_PREFIX}:{generation}:{digest}"


def parse(query: Mapping[str, str], settings: RouterSettings) -> AnalyticsRequest:
    """The request the (shape-checked) query asks for; `SchemaError` naming each parameter that is wrong."""
    problems: list[Problem] = []
    granularity = query["granularity"]
    start, end = _time(query["from"], "from", problems), _time(query["to"], "to", problems)
    types = tuple(dict.fromkeys(query["eventTypes"].split(",")))
    unknown = [t for t in types if t not in settings.event_types]
    if unknown:
        problems.append(
            Problem(
                "eventTypes",
                f"has types this stage does not know: {', '.join(unknown)} (known: {', '.join(settings.event_types)})",
            )
        )
    if len(types) > MAX_EVENT_TYPES:
        problems.append(Problem("eventTypes", f"must name at most {MAX_EVENT_TYPES} types"))
    if start is not None and end is not None:
        try:
            start, end = _floor(start, granularity), _ceil(end, granularity)
        except OverflowError:
            problems.append(Problem("to", "is beyond the last representable time"))
            raise SchemaError(problems) from None
        if end <= start:
            problems.append(Problem("to", "must be after 'from'"))
        elif end - start > MAX_RANGE[granularity]:
            problems.append(
                Problem("to", f"is more than {MAX_RANGE[granularity].days} days after 'from' for {granularity}s")
            )
    if problems:
        raise SchemaError(problems)
    assert start is not None and end is not None
    return AnalyticsRequest(query["accountId"], query.get("contentId"), granularity, start, end, types)


def require_access(claims: Mapping[str, Any], settings: RouterSettings, account: str) -> None:
    """403 unless the token may see the account: the same accounts it may write events for, or an operator."""
    if not may_write_account(claims, settings, account):
        raise ApiError(403, "account_forbidden", "the account is not one this token may read analytics for")


def read(request: AnalyticsRequest, *, connection: Connect, cache: ResponseCache) -> tuple[dict[str, Any], bool]:
    """(the answer, whether it came from the cache)."""
    with connection() as conn:
        key = request.cache_key(analytics_store.generation(conn, request.account))
        hit = cache.get(key)
        if hit is not None:
            return hit, True
        sums = analytics_store.sums(
            conn,
            granularity=request.granularity,
            account=request.account,
            content=request.content,
            start=request.start,
            end=request.end,
            types=request.types,
        )
    answer = render(request, sums)
    cache.set(key, answer)
    return answer, False


def render(request: AnalyticsRequest, sums: analytics_store.Sums) -> dict[str, Any]:
    buckets = request.buckets
    stamps = [_stamp(b) for b in buckets]
    series = []
    for event_type in request.types:
        points = [sums.get((b, event_type), (0, 0.0)) for b in buckets]
        series.append(
            {
                "eventType": event_type,
                "total": {"count": sum(p[0] for p in points), "value": float(sum(p[1] for p in points))},
                "buckets": [
                    {"start": stamp, "count": count, "value": float(value)}
                    for stamp, (count, value) in zip(stamps, points, strict=True)
                ],
            }
        )
    return {
        "accountId": request.account,
        "contentId": request.content,
        "granularity": request.granularity,
        "from": _stamp(request.start),
        "to": _stamp(request.end),
        "series": series,
    }


def _time(text: str, name: str, problems: list[Problem]) -> datetime | None:
    try:
        return datetime.fromisoformat(text.upper()).astimezone(UTC)
    except (ValueError, OverflowError):
        problems.append(Problem(name, "is not a real calendar time"))
        return None


def _floor(at: datetime, granularity: str) -> datetime:
    at = at.replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0) if granularity == "day" else at


def _ceil(at: datetime, granularity: str) -> datetime:
    floor = _floor(at, granularity)
    return floor if floor == at else floor + GRANULARITIES[granularity]


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
