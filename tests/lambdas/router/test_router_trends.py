"""GET /v1/trends: the latest (or a chosen) snapshot's movers, sources and summary, with ETag / If-None-Match.

Bad inputs tried: a window that is not a time, a limit out of range, an unknown parameter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from psycopg.types.json import Jsonb
from router_events import CLAIMS

WINDOW = datetime(2026, 11, 30, 6, tzinfo=UTC)


def _growth(name: str, previous: int, current: int, confidence: float) -> dict:
    change = current - previous
    return {
        "kind": "hashtag",
        "name": name,
        "scale": "mentions",
        "previous": previous,
        "current": current,
        "change": change,
        "ratio": round(change / previous, 4) if previous else None,
        "confidence": confidence,
        "sources": ["blog"],
    }


def _store(db_conn, window: datetime, growth: list[dict], summary: str | None = None) -> None:
    db_conn.execute(
        "INSERT INTO trend_snapshots (window_start, items, growth, summary, model, source_errors, source_reports) "
        "VALUES (%s, '[]', %s, %s, %s, %s, %s)",
        (
            window,
            Jsonb({f"hashtag:{g['name']}@mentions": g for g in growth}),
            summary,
            "DeepSeek-V3" if summary else None,
            Jsonb([{"source": "tiktok", "reason": "http_503", "message": "down"}]),
            Jsonb({"blog": {"items": 3}, "reddit": {"items": 5}}),
        ),
    )
    db_conn.commit()


@pytest.fixture
def snapshots(db_conn):
    _store(db_conn, WINDOW - timedelta(hours=6), [_growth("old", 1, 9, 0.99)], "Earlier.")
    _store(
        db_conn,
        WINDOW,
        [
            _growth("rising", 10, 30, 0.998),
            _growth("faint", 1, 2, 0.44),
            _growth("falling", 40, 10, 0.999),
        ],
        "#rising climbs while #falling fades.",
    )


def test_the_latest_snapshot_lists_its_confident_movers_sources_and_summary(call, snapshots):
    answer = call("GET", "/v1/trends", claims=CLAIMS)
    assert answer.status == 200, answer.body
    body = answer.body
    assert body["window"] == "2026-11-30T06:00:00Z" and body["baseline"] is False
    assert [(m["item"], m["previous"], m["current"], m["change"]) for m in body["rising"]] == [
        ("hashtag:rising@mentions", 10, 30, 20)
    ]
    assert [(m["name"], m["ratio"]) for m in body["falling"]] == [("falling", -0.75)]
    assert body["sources"] == {"answered": ["blog", "reddit"], "failed": [{"source": "tiktok", "reason": "http_503"}]}
    assert body["summary"] == "#rising climbs while #falling fades." and body["model"] == "DeepSeek-V3"


def test_a_chosen_window_returns_that_snapshot(call, snapshots):
    answer = call("GET", "/v1/trends", query={"window": "2026-11-30T00:00:00Z"}, claims=CLAIMS)
    assert answer.status == 200 and [m["name"] for m in answer.body["rising"]] == ["old"]


def test_the_same_etag_back_is_a_304_without_a_body(call, snapshots):
    tag = call("GET", "/v1/trends", claims=CLAIMS).headers["ETag"]
    again = call("GET", "/v1/trends", claims=CLAIMS, headers={"If-None-Match": f'W/{tag}, "other"'})
    assert again.status == 304 and again.body is None and again.headers["ETag"] == tag


@pytest.mark.parametrize("value", ["r\tpKIZ1f[sH~", "   ", "é", "x" * 513], ids=["tab", "blank", "non_ascii", "long"])
def test_an_if_none_match_the_document_forbids_is_a_400(call, snapshots, value):
    # The document describes the header as 1-512 printable ASCII characters; the contract test sends others.
    answer = call("GET", "/v1/trends", claims=CLAIMS, headers={"If-None-Match": value})
    assert answer.status == 400 and answer.body["error"] == "invalid_request"
    assert "If-None-Match" in answer.body["detail"]


def test_a_new_snapshot_changes_the_etag(call, db_conn, snapshots):
    tag = call("GET", "/v1/trends", claims=CLAIMS).headers["ETag"]
    _store(db_conn, WINDOW + timedelta(hours=6), [_growth("next", 2, 20, 0.99)])
    answer = call("GET", "/v1/trends", claims=CLAIMS, headers={"If-None-Match": tag})
    assert answer.status == 200 and answer.headers["ETag"] != tag
    assert answer.body["summary"] is None and [m["name"] for m in answer.body["rising"]] == ["next"]


def test_the_limit_caps_the_movers_per_direction(call, db_conn):
    _store(db_conn, WINDOW, [_growth(f"tag{i}", 10, 40 + i, 0.99) for i in range(5)])
    assert len(call("GET", "/v1/trends", query={"limit": "2"}, claims=CLAIMS).body["rising"]) == 2


def test_no_snapshot_is_a_404(call, db_conn):
    answer = call("GET", "/v1/trends", claims=CLAIMS)
    assert answer.status == 404 and answer.body["error"] == "trends_not_found"


def test_an_unauthenticated_request_is_refused(call, snapshots):
    assert call("GET", "/v1/trends", claims=None).status == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [({"window": "yesterday"}, "window"), ({"limit": "0"}, "limit"), ({"limit": "51"}, "limit"), ({"x": "1"}, "x")],
)
def test_a_bad_query_is_refused_naming_the_parameter(call, snapshots, query, field):
    answer = call("GET", "/v1/trends", query=query, claims=CLAIMS)
    assert answer.status == 400 and [e["field"] for e in answer.body["errors"]] == [field]
