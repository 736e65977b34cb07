"""End to end in-process: events posted, the same batch posted again (and raced), then the data rollup counts each once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
from router_events import ACCOUNTS_CLAIM, CLAIMS

WRITER = {**CLAIMS, ACCOUNTS_CLAIM: "[acct-1]"}


def test_a_resent_batch_is_rolled_up_once(call, db_conn):
    # Given three views and a like of two posts an hour ago, posted, then posted again after a "lost answer"
    from cron import rollups

    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    at = (hour + timedelta(minutes=10)).isoformat()
    batch = {
        "events": [
            {
                "eventId": f"v{i}",
                "accountId": "acct-1",
                "contentId": f"post-{i % 2}",
                "eventType": "view",
                "occurredAt": at,
            }
            for i in range(3)
        ]
        + [
            {
                "eventId": "l0",
                "accountId": "acct-1",
                "contentId": "post-0",
                "eventType": "like",
                "value": 2,
                "occurredAt": at,
            }
        ]
    }
    assert call("POST", "/v1/events", batch, claims=WRITER).body["accepted"] == 4
    assert call("POST", "/v1/events", batch, claims=WRITER).body["duplicates"] == 4
    # When the scheduled data job rolls them up
    result = rollups.run_incremental(
        db_conn, window_end=datetime.now(UTC) + timedelta(minutes=1), lookback=timedelta(hours=48), settle=timedelta(0)
    )
    # Then each event is counted once, hourly and daily
    assert result.events == 4
    hourly = db_conn.execute(
        "SELECT content_id, event_type, event_count, value_sum FROM content_rollups_hourly "
        "WHERE bucket_start = %s ORDER BY 1, 2",
        (hour,),
    ).fetchall()
    assert [(r["content_id"], r["event_type"], r["event_count"], r["value_sum"]) for r in hourly] == [
        ("post-0", "like", 1, Decimal(2)),
        ("post-0", "view", 2, Decimal(2)),
        ("post-1", "view", 1, Decimal(1)),
    ]
    daily = db_conn.execute("SELECT sum(event_count) AS n FROM content_rollups_daily").fetchone()
    assert daily["n"] == 4


def test_the_same_batch_sent_twice_at_once_is_stored_once(database_url, db_conn):
    # Given two sessions inserting the same batch, released together
    from common import event_store
    from common.events import Event

    at = datetime.now(UTC) - timedelta(minutes=5)
    batch = [Event(f"e{i}", "acct-1", "post-1", "view", Decimal(1), at) for i in range(200)]
    barrier = threading.Barrier(2)
    written: list[set] = []

    def send() -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            barrier.wait()
            written.append(event_store.insert_events(conn, batch))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then between them every event was written exactly once, and the table holds each once
    assert len(written) == 2 and not (written[0] & written[1])
    assert written[0] | written[1] == {("acct-1", f"e{i}") for i in range(200)}
    assert db_conn.execute("SELECT count(*) AS n FROM content_events").fetchone()["n"] == 200
