"""GET /v1/trends: a stored snapshot as the app shows it, and its ETag.

The movers are ranked as the trends worker ranks them for its summary
(`common.trend_movers`), so the summary talks about the items listed. The
ETag is a digest of the answer itself: whatever changes in the snapshot (its
summary arriving after the fact included) changes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from common.schema import SchemaError
from common.trend_movers import item_key, movers
from router import trends_store
from router.data_contract import DEFAULT_MOVERS
from router.errors import ApiError

Connect = Callable[[], AbstractContextManager[Any]]
_MOVER_FIELDS = ("kind", "name", "scale", "previous", "current", "change", "ratio", "confidence", "sources")


def parse(query: Mapping[str, str]) -> tuple[datetime | None, int]:
    """(the window asked for, or None for the latest; movers per direction)."""
    window = None
    if "window" in query:
        try:
            window = datetime.fromisoformat(query["window"].upper())
        except ValueError:
            raise SchemaError.at("window", "is not a real calendar time") from None
    return window, query.get("limit", DEFAULT_MOVERS)


def read(window: datetime | None, limit: int, *, connection: Connect) -> dict[str, Any]:
    with connection() as conn:
        row = trends_store.snapshot(conn, window)
    if row is None:
        what = "no trends snapshot yet" if window is None else f"no trends snapshot for the window {window.isoformat()}"
        raise ApiError(404, "trends_not_found", what)
    return render(row, limit)


def render(row: Mapping[str, Any], limit: int) -> dict[str, Any]:
    growth = row["growth"] or {}
    rising, falling = movers(growth, limit)
    return {
        "window": _stamp(row["window_start"]),
        "createdAt": _stamp(row["created_at"]),
        "baseline": not growth,
        "rising": [_mover(g) for g in rising],
        "falling": [_mover(g) for g in falling],
        "sources": {
            "answered": sorted(row["source_reports"] or {}),
            "failed": [
                {"source": str(e.get("source")), "reason": str(e.get("reason"))} for e in row["source_errors"] or []
            ],
        },
        "summary": row["summary"],
        "model": row["model"],
    }


def etag(answer: Mapping[str, Any]) -> str:
    body = json.dumps(answer, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def not_modified(if_none_match: str | None, tag: str) -> bool:
    """Whether If-None-Match names this ETag (weak comparison, as RFC 9110 asks for GET), or is `*`."""
    if not if_none_match:
        return False
    candidates = [c.strip() for c in if_none_match.split(",")]
    return "*" in candidates or any(c.removeprefix("W/") == tag for c in candidates)


def _mover(growth: Mapping[str, Any]) -> dict[str, Any]:
    return {"item": item_key(growth["kind"], growth["name"], growth["scale"])} | {
        k: growth.get(k) for k in _MOVER_FIELDS
    }


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
