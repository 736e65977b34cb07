"""POST /v1/events: per-event results, deduplication by (account, eventId), account scoping, limits (real PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from router_events import ACCOUNTS_CLAIM, CLAIMS, LOOKBACK_HOURS, OPERATOR_SCOPE

WRITER = {**CLAIMS, ACCOUNTS_CLAIM: "[acct-1 acct-2]"}


def _at(hours_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat().replace("+00:00", "Z")


def _event(event_id: str, **over) -> dict:
    return {
        "eventId": event_id,
        "accountId": "acct-1",
        "contentId": "post-1",
        "eventType": "view",
        "value": 1,
        "occurredAt": _at(1),
        **over,
    }


def _stored(db_conn) -> list[tuple]:
    rows = db_conn.execute(
        "SELECT account_id, event_id, content_id, event_type, value FROM content_events ORDER BY account_id, event_id"
    ).fetchall()
    return [(r["account_id"], r["event_id"], r["content_id"], r["event_type"], float(r["value"])) for r in rows]


def _statuses(answer) -> list[str]:
    return [r["status"] for r in answer.body["results"]]


def test_a_batch_is_recorded_and_each_event_reported_accepted(call, db_conn):
    # Given two good events of the caller's accounts
    batch = [_event("e1"), _event("e2", accountId="acct-2", eventType="like", value=2.5)]
    # When posted
    answer = call("POST", "/v1/events", {"events": batch}, claims=WRITER)
    # Then both are stored as sent, and reported accepted in order
    assert answer.status == 200, answer.body
    assert answer.body["accepted"] == 2 and answer.body["duplicates"] == 0 and answer.body["rejected"] == 0
    assert answer.body["results"] == [
        {"index": 0, "eventId": "e1", "status": "accepted"},
        {"index": 1, "eventId": "e2", "status": "accepted"},
    ]
    assert _stored(db_conn) == [("acct-1", "e1", "post-1", "view", 1.0), ("acct-2", "e2", "post-1", "like", 2.5)]


def test_a_resent_batch_is_all_duplicates_and_stores_nothing_more(call, db_conn):
    batch = {"events": [_event("e1"), _event("e2")]}
    call("POST", "/v1/events", batch, claims=WRITER)
    # When the same batch is sent again
    answer = call("POST", "/v1/events", batch, claims=WRITER)
    # Then every event is a duplicate and the table still holds one row each
    assert answer.status == 200
    assert _statuses(answer) == ["duplicate", "duplicate"] and answer.body["duplicates"] == 2
    assert len(_stored(db_conn)) == 2


def test_an_event_repeated_within_a_batch_is_recorded_once(call, db_conn):
    answer = call("POST", "/v1/events", {"events": [_event("e1"), _event("e1", value=9)]}, claims=WRITER)
    assert _statuses(answer) == ["accepted", "duplicate"]
    assert _stored(db_conn) == [("acct-1", "e1", "post-1", "view", 1.0)]


def test_the_same_event_id_in_two_accounts_is_two_events(call, db_conn):
    answer = call("POST", "/v1/events", {"events": [_event("e1"), _event("e1", accountId="acct-2")]}, claims=WRITER)
    assert _statuses(answer) == ["accepted", "accepted"]
    assert len(_stored(db_conn)) == 2


def test_bad_events_are_rejected_with_their_fields_and_the_good_ones_recorded(call, db_conn):
    # Given a batch mixing one good event with bad ones
    batch = [
        _event("bad-type", eventType="purchase"),
        _event("good"),
        _event("too-old", occurredAt=_at(LOOKBACK_HOURS + 1)),
        {"eventId": "no-fields", "accountId": "acct-1"},
        _event("future", occurredAt=_at(-1)),
        _event("naive-time", occurredAt="2026-11-30T08:00:00"),
        _event("other-account", accountId="acct-3"),
        _event("no-such-day", occurredAt="2026-02-30T08:00:00Z"),
    ]
    # When posted
    answer = call("POST", "/v1/events", {"events": batch}, claims=WRITER)
    # Then only the good one is stored, and each bad one names its field and why
    assert answer.status == 200
    assert _statuses(answer) == ["rejected", "accepted"] + ["rejected"] * 6
    errors = {r["eventId"]: r.get("errors") for r in answer.body["results"]}
    assert errors["bad-type"] == [{"field": "events[0].eventType", "problem": "must be one of view, like"}]
    (old,) = errors["too-old"]
    assert old["field"] == "events[2].occurredAt" and "look-back window" in old["problem"]
    assert {e["field"] for e in errors["no-fields"]} == {
        "events[3].contentId",
        "events[3].eventType",
        "events[3].occurredAt",
    }
    assert errors["future"] == [{"field": "events[4].occurredAt", "problem": "is in the future"}]
    assert errors["naive-time"] == [{"field": "events[5].occurredAt", "problem": "has an invalid format"}]
    assert errors["other-account"] == [
        {"field": "events[6].accountId", "problem": "is not an account this token may write events for"}
    ]
    assert errors["no-such-day"] == [{"field": "events[7].occurredAt", "problem": "is not a real calendar time"}]
    assert answer.body["accepted"] == 1 and answer.body["rejected"] == 7
    assert [r[1] for r in _stored(db_conn)] == ["good"]


def test_a_token_without_the_accounts_claim_writes_nothing(call, db_conn):
    answer = call("POST", "/v1/events", {"events": [_event("e1")]})
    assert _statuses(answer) == ["rejected"]
    assert _stored(db_conn) == []


def test_an_operator_writes_any_account(call, db_conn, monkeypatch):
    # Given the stage's operator scope, and a token (the app's backend) carrying it and no accounts
    from router import settings

    monkeypatch.setenv("OPERATOR_SCOPE", OPERATOR_SCOPE)
    settings.reset()
    answer = call(
        "POST", "/v1/events", {"events": [_event("e1", accountId="anyone")]}, claims={**CLAIMS, "scope": OPERATOR_SCOPE}
    )
    assert _statuses(answer) == ["accepted"]
    assert _stored(db_conn)[0][0] == "anyone"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": []}, "events"),
        ({"events": [_event(f"e{i}") for i in range(1001)]}, "events"),
        ({"events": [_event("e1"), 7]}, "events[1]"),
        ({"events": [_event("e1")], "extra": 1}, "extra"),
    ],
    ids=["empty", "over-1000", "not-an-object", "unknown-field"],
)
def test_a_malformed_batch_is_refused_whole_and_stores_nothing(call, db_conn, body, field):
    answer = call("POST", "/v1/events", body, claims=WRITER)
    assert answer.status == 400 and answer.body["error"] == "invalid_request"
    assert field in {e["field"] for e in answer.body["errors"]}
    assert _stored(db_conn) == []


def test_a_body_over_one_megabyte_is_413(call, router_env, db_conn, monkeypatch):
    # Given a stage whose general body limit is higher than the batch limit
    from router import contract, settings

    monkeypatch.setenv("MAX_BODY_BYTES", str(4_000_000))
    settings.reset()
    # and a batch of one event made over a megabyte by whitespace (valid JSON)
    raw = json.dumps({"events": [_event("e1")]}) + " " * 1_000_000
    assert 1_000_000 < len(raw) < 4_000_000
    answer = call("POST", "/v1/events", raw_body=raw, claims=WRITER)
    assert answer.status == 413 and str(contract.MAX_EVENT_BATCH_BYTES) in answer.body["detail"]
    assert _stored(db_conn) == []


def test_no_token_is_401(call, db_conn):
    answer = call("POST", "/v1/events", {"events": [_event("e1")]}, claims=None)
    assert answer.status == 401
    assert _stored(db_conn) == []


def test_a_database_outage_is_503_to_retry(call, router_env, closed_port, monkeypatch, db_conn):
    from common import db, settings

    monkeypatch.setenv("DATABASE_URL", f"postgresql://nobody@127.0.0.1:{closed_port}/none")
    settings.reset()
    db.close()
    answer = call("POST", "/v1/events", {"events": [_event("e1")]}, claims=WRITER)
    assert answer.status == 503 and answer.body["error"].startswith("db_")
    assert "Retry-After" in answer.headers
