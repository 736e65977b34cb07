"""GET /v1/analytics: zero-filled rollup series per event type, owner-scoped, cached until a rollup changes the account.

Bad inputs tried: an unknown event type, `to` before `from`, a range over the
granularity's limit, a time that does not exist, an unknown parameter, a
missing one; an account the token does not list.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from router_events import ACCOUNTS_CLAIM, CLAIMS, OPERATOR_SCOPE

READER = {**CLAIMS, ACCOUNTS_CLAIM: "[acct-1]"}
HOUR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
DAY = HOUR.replace(hour=0)


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _post(call, events: list[tuple[str, str, str, str, float]], offset_min: int = 10) -> None:
    body = {
        "events": [
            {
                "eventId": eid,
                "accountId": account,
                "contentId": content,
                "eventType": kind,
                "value": value,
                "occurredAt": _iso(HOUR + timedelta(minutes=offset_min)),
            }
            for eid, account, content, kind, value in events
        ]
    }
    answer = call("POST", "/v1/events", body, claims={**CLAIMS, "scope": OPERATOR_SCOPE})
    assert answer.body["rejected"] == 0, answer.body


def _roll_up(db_conn) -> None:
    from cron import rollups

    rollups.run_incremental(
        db_conn, window_end=datetime.now(UTC) + timedelta(minutes=1), lookback=timedelta(hours=48), settle=timedelta(0)
    )


def _hours(**over) -> dict[str, str]:
    return {
        "accountId": "acct-1",
        "granularity": "hour",
        "from": _iso(HOUR - timedelta(hours=2)),
        "to": _iso(HOUR + timedelta(hours=2)),
        "eventTypes": "view,like",
        **over,
    }


@pytest.fixture
def operator_env(router_env, monkeypatch):
    from router import settings

    monkeypatch.setenv("OPERATOR_SCOPE", OPERATOR_SCOPE)
    settings.reset()
    yield
    settings.reset()


@pytest.fixture
def rolled_up(call, db_conn, operator_env):
    # Given views and a like of acct-1's two posts, a view of acct-2's, rolled up
    _post(
        call,
        [
            ("v1", "acct-1", "post-1", "view", 1),
            ("v2", "acct-1", "post-1", "view", 1),
            ("v3", "acct-1", "post-2", "view", 1),
            ("l1", "acct-1", "post-1", "like", 2.5),
            ("x1", "acct-2", "post-9", "view", 1),
        ],
    )
    _roll_up(db_conn)


def test_an_hourly_series_has_every_bucket_with_zeros_where_nothing_happened(call, rolled_up):
    answer = call("GET", "/v1/analytics", query=_hours(), claims=READER)
    assert answer.status == 200, answer.body
    views, likes = answer.body["series"]
    starts = [_iso(HOUR + timedelta(hours=h)) for h in range(-2, 2)]
    assert [b["start"] for b in views["buckets"]] == starts
    assert [(b["count"], b["value"]) for b in views["buckets"]] == [(0, 0.0), (0, 0.0), (3, 3.0), (0, 0.0)]
    assert [(b["count"], b["value"]) for b in likes["buckets"]] == [(0, 0.0), (0, 0.0), (1, 2.5), (0, 0.0)]
    assert views["total"] == {"count": 3, "value": 3.0} and likes["eventType"] == "like"
    assert answer.body["from"] == starts[0] and answer.body["to"] == _iso(HOUR + timedelta(hours=2))


def test_a_content_item_series_counts_only_that_item(call, rolled_up):
    answer = call("GET", "/v1/analytics", query=_hours(contentId="post-2", eventTypes="view"), claims=READER)
    assert [b["count"] for b in answer.body["series"][0]["buckets"]] == [0, 0, 1, 0]
    assert answer.body["contentId"] == "post-2"


def test_a_daily_series_sums_the_day_and_takes_the_range_to_whole_days(call, rolled_up):
    query = {
        "accountId": "acct-1",
        "granularity": "day",
        "from": _iso(DAY - timedelta(days=1, hours=-5)),
        "to": _iso(DAY + timedelta(hours=1)),
        "eventTypes": "view",
    }
    answer = call("GET", "/v1/analytics", query=query, claims=READER)
    buckets = answer.body["series"][0]["buckets"]
    assert [b["start"] for b in buckets] == [_iso(DAY - timedelta(days=1)), _iso(DAY)]
    assert [b["count"] for b in buckets] == [0, 3]


def test_an_account_the_token_does_not_list_is_refused(call, rolled_up):
    answer = call("GET", "/v1/analytics", query=_hours(accountId="acct-2"), claims=READER)
    assert answer.status == 403 and answer.body["error"] == "account_forbidden"


def test_an_operator_reads_any_account(call, rolled_up):
    answer = call("GET", "/v1/analytics", query=_hours(accountId="acct-2"), claims={**CLAIMS, "scope": OPERATOR_SCOPE})
    assert answer.status == 200 and answer.body["series"][0]["total"]["count"] == 1


def test_a_repeated_question_is_answered_from_the_cache(call, rolled_up):
    first = call("GET", "/v1/analytics", query=_hours(), claims=READER)
    second = call("GET", "/v1/analytics", query=_hours(), claims=READER)
    assert first.headers["X-Cache"] == "miss" and second.headers["X-Cache"] == "hit"
    assert second.body == first.body


def test_a_rollup_that_changes_the_account_invalidates_its_cached_answers(call, db_conn, rolled_up):
    # Given a cached answer
    call("GET", "/v1/analytics", query=_hours(), claims=READER)
    # When two more views arrive and the data job rolls them up
    _post(call, [("v4", "acct-1", "post-1", "view", 1), ("v5", "acct-1", "post-2", "view", 1)], offset_min=20)
    _roll_up(db_conn)
    # Then the next answer is computed afresh and counts them
    answer = call("GET", "/v1/analytics", query=_hours(), claims=READER)
    assert answer.headers["X-Cache"] == "miss"
    assert answer.body["series"][0]["total"]["count"] == 5


def test_a_rollup_of_another_account_leaves_the_cache_alone(call, db_conn, rolled_up):
    call("GET", "/v1/analytics", query=_hours(), claims=READER)
    _post(call, [("x2", "acct-2", "post-9", "view", 1)], offset_min=30)
    _roll_up(db_conn)
    assert call("GET", "/v1/analytics", query=_hours(), claims=READER).headers["X-Cache"] == "hit"


@pytest.mark.parametrize(
    ("over", "field", "problem"),
    [
        ({"eventTypes": "view,purchase"}, "eventTypes", "does not know: purchase"),
        ({"to": _iso(HOUR - timedelta(hours=5))}, "to", "must be after 'from'"),
        ({"from": _iso(HOUR - timedelta(days=40))}, "to", "more than 31 days"),
        ({"from": "2026-02-30T00:00:00Z"}, "from", "is not a real calendar time"),
        ({"granularity": "week"}, "granularity", "must be one of hour, day"),
        ({"eventTypes": "View"}, "eventTypes", "has an invalid format"),
        ({"extra": "1"}, "extra", "is not a known field"),
        ({"accountId": None}, "accountId", "is required"),
    ],
)
def test_a_bad_query_is_refused_naming_the_parameter(call, operator_env, over, field, problem):
    query = {k: v for k, v in _hours(**over).items() if v is not None}
    answer = call("GET", "/v1/analytics", query=query, claims=READER)
    assert answer.status == 400, answer.body
    assert any(e["field"] == field and problem in e["problem"] for e in answer.body["errors"]), answer.body
