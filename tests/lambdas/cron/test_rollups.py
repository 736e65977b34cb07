"""Aggregation of content_events into hourly/daily rollups, against real PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from cron_testdata import (
    T0,
    counts_only,
    expected_rollups,
    generate_events,
    insert_events,
    insert_events_ingested_after,
    table,
)

from common.errors import TransientError
from cron import rollups

LOOKBACK = timedelta(hours=48)
SETTLE = timedelta(minutes=1)


def _run(conn, window_end):
    return rollups.run_incremental(conn, window_end=window_end, lookback=LOOKBACK, settle=SETTLE)


def test_rollups_match_an_independent_python_computation(db_conn):
    # Given 3000 events over 30 hours, ingested before the window end
    events = generate_events(3000, start=T0 - timedelta(hours=30), hours=30)
    insert_events(db_conn, events, ingested_at=T0 - timedelta(minutes=10))

    # When the data worker rolls up the window
    result = _run(db_conn, T0)

    # Then hourly and daily rollups equal what Python computes from the same events
    assert counts_only(table(db_conn, "content_rollups_hourly")) == expected_rollups(events, "hour")
    assert counts_only(table(db_conn, "content_rollups_daily")) == expected_rollups(events, "day")
    assert result.events == 3000 and result.late_events_skipped == 0


def test_rerunning_a_window_changes_nothing(db_conn):
    # Given a rolled-up window
    events = generate_events(1500, start=T0 - timedelta(hours=10), hours=10, seed=3)
    insert_events(db_conn, events, ingested_at=T0 - timedelta(minutes=5))
    _run(db_conn, T0)
    hourly, daily = table(db_conn, "content_rollups_hourly"), table(db_conn, "content_rollups_daily")

    # When the same hours are recomputed (a re-run posted through the API) and the schedule repeats
    again = rollups.recompute_range(db_conn, start=T0 - timedelta(hours=10), end=T0)
    repeat = _run(db_conn, T0)

    # Then no row is written (updated_at included) and the numbers are the same
    assert again.hourly_rows_written == 0 and again.daily_rows_written == 0
    assert repeat.events == 0
    assert table(db_conn, "content_rollups_hourly") == hourly
    assert table(db_conn, "content_rollups_daily") == daily


def test_late_event_inside_lookback_is_counted_in_its_own_hour(db_conn):
    # Given a rolled-up window
    events = generate_events(500, start=T0 - timedelta(hours=6), hours=6, seed=11)
    insert_events(db_conn, events, ingested_at=T0 - timedelta(minutes=5))
    _run(db_conn, T0)

    # When an event that happened 20 hours earlier arrives in the next window
    late = [("acct-1", "c-1", "view", Decimal("2.5"), T0 - timedelta(hours=20, minutes=15))]
    insert_events(db_conn, late, ingested_at=T0 + timedelta(minutes=5))
    result = _run(db_conn, T0 + timedelta(minutes=15))

    # Then its hour and day include it, exactly as a full recomputation would
    assert result.events == 1 and result.late_events_skipped == 0
    assert counts_only(table(db_conn, "content_rollups_hourly")) == expected_rollups(events + late, "hour")
    assert counts_only(table(db_conn, "content_rollups_daily")) == expected_rollups(events + late, "day")


def test_event_older_than_lookback_is_skipped_and_reported(db_conn):
    # Given an event that happened 3 days before it is ingested (look-back is 48 h)
    ancient = [("acct-2", "c-9", "like", Decimal(1), T0 - timedelta(days=3))]
    insert_events(db_conn, ancient, ingested_at=T0 - timedelta(minutes=5))

    # When the window is rolled up
    result = _run(db_conn, T0)

    # Then it is not counted, and the run says so
    assert result.late_events_skipped == 1 and result.events == 0
    assert table(db_conn, "content_rollups_hourly") == {}


def test_events_ingested_inside_the_settle_margin_wait_for_the_next_run(db_conn):
    # Given one event ingested 30 s before the window end (settle is 60 s)
    recent = [("acct-0", "c-0", "view", Decimal(1), T0 - timedelta(minutes=1))]
    insert_events(db_conn, recent, ingested_at=T0 - timedelta(seconds=30))

    # When this window and then the next are rolled up
    first = _run(db_conn, T0)
    second = _run(db_conn, T0 + timedelta(minutes=15))

    # Then the event is counted once, by the next run
    assert (first.events, second.events) == (0, 1)
    assert counts_only(table(db_conn, "content_rollups_hourly")) == expected_rollups(recent, "hour")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (T0, T0 - timedelta(hours=1), "must end after it starts"),
        (T0 - timedelta(days=200), T0, "at most"),
        (T0.replace(tzinfo=None), T0, "time zones"),
    ],
    ids=["reversed", "too-long", "naive"],
)
def test_bad_recompute_range_is_refused_without_writing(db_conn, start, end, message):
    insert_events(db_conn, [("a", "c", "view", Decimal(1), T0 - timedelta(hours=1))], ingested_at=T0)
    with pytest.raises(ValueError, match=message):
        rollups.recompute_range(db_conn, start=start, end=end)
    assert table(db_conn, "content_rollups_hourly") == {}


def _watermark(conn):
    with conn.transaction():
        row = conn.execute("SELECT value_at FROM rollup_watermarks WHERE name = %s", (rollups.WATERMARK,)).fetchone()
    return row["value_at"] if row else None


def test_event_of_a_transaction_still_open_during_a_run_is_counted_after_it_commits(db_conn, database_url):
    # Given an ingest transaction that inserted an event (ingested_at = its start) and is still open
    occurred = datetime.now(UTC) - timedelta(minutes=10)
    event = ("acct-0", "c-0", "view", Decimal(1), occurred)
    with psycopg.connect(database_url) as ingest:
        ingest.execute(
            "INSERT INTO content_events (account_id, content_id, event_type, value, occurred_at) VALUES (%s, %s, %s, %s, %s)",
            event,
        )
        # When the rollup runs past the event's ingest time while it is uncommitted
        first = _run(db_conn, datetime.now(UTC) + timedelta(minutes=5))
        ingest.commit()
    # And runs again after the commit
    second = _run(db_conn, datetime.now(UTC) + timedelta(minutes=5))

    # Then the second run counts it (the watermark did not pass the open transaction)
    assert (first.events, second.events) == (0, 1)
    assert first.caught_up is False
    assert counts_only(table(db_conn, "content_rollups_hourly")) == expected_rollups([event], "hour")


def test_long_backlog_is_rolled_up_over_several_bounded_runs(db_conn):
    # Given 40 hours of events never rolled up (a stream, each ingested 2 minutes after it happened)
    events = generate_events(2000, start=T0 - timedelta(hours=40), hours=40, seed=21)
    insert_events_ingested_after(db_conn, events, delay=timedelta(minutes=2))
    catchup = timedelta(hours=6)

    # When the scheduled run repeats with at most 6 hours of ingest time per run
    runs = []
    while not runs or not runs[-1].caught_up:
        runs.append(
            rollups.run_incremental(
                db_conn, window_end=T0 + timedelta(hours=1), lookback=LOOKBACK, settle=SETTLE, max_catchup=catchup
            )
        )
        assert len(runs) <= 12, "the backlog never drains"

    # Then each run stayed inside its bound, together they counted every event once,
    # and the rollups are those of one full computation
    assert len(runs) >= 40 // 6
    for r in runs:
        ingested = [
            e[4] + timedelta(minutes=2)
            for e in events
            if (r.window_from or e[4]) <= e[4] + timedelta(minutes=2) < r.window_to
        ]
        assert len(ingested) == r.events and (not ingested or max(ingested) - min(ingested) <= catchup)
    assert sum(r.events for r in runs) == len(events)
    assert counts_only(table(db_conn, "content_rollups_hourly")) == expected_rollups(events, "hour")
    assert counts_only(table(db_conn, "content_rollups_daily")) == expected_rollups(events, "day")


def test_run_without_time_left_stops_between_phases_and_writes_nothing(db_conn):
    # Given pending events and a caller whose time runs out after the scan phase
    events = generate_events(200, start=T0 - timedelta(hours=3), hours=3, seed=4)
    insert_events(db_conn, events, ingested_at=T0 - timedelta(minutes=5))
    clock = itertools.chain([30.0], itertools.repeat(0.4))

    # When the window is rolled up
    with pytest.raises(TransientError) as err:
        rollups.run_incremental(
            db_conn, window_end=T0, lookback=LOOKBACK, settle=SETTLE, remaining_s=lambda: next(clock)
        )

    # Then it gave up as retryable before recomputing, leaving no partial rollup nor a moved watermark
    assert err.value.reason == "rollup_out_of_time"
    assert table(db_conn, "content_rollups_hourly") == {} and _watermark(db_conn) is None
    # And with time the same window completes
    done = rollups.run_incremental(db_conn, window_end=T0, lookback=LOOKBACK, settle=SETTLE, remaining_s=lambda: 60.0)
    assert done.events == 200


def test_recompute_drops_buckets_whose_events_were_deleted(db_conn):
    # Given rolled-up events, one alone in its bucket (and its day), two sharing another
    kept = [("a", "c1", "view", Decimal(1), T0 - timedelta(hours=2, minutes=50))]
    shared = [("a", "c1", "view", Decimal(2), T0 - timedelta(hours=2, minutes=40))]
    alone = [("b", "c2", "like", Decimal(3), T0 - timedelta(hours=1, minutes=30))]
    insert_events(db_conn, kept + shared + alone, ingested_at=T0 - timedelta(minutes=5))
    _run(db_conn, T0)

    # When two events are deleted (GDPR erasure, bad data) and the range is recomputed
    with db_conn.transaction():
        db_conn.execute("DELETE FROM content_events WHERE value IN (2, 3)")
    result = rollups.recompute_range(db_conn, start=T0 - timedelta(hours=3), end=T0)

    # Then the emptied bucket is gone, the other shrank, and the daily rows agree
    assert counts_only(table(db_conn, "content_rollups_hourly")) == expected_rollups(kept, "hour")
    assert counts_only(table(db_conn, "content_rollups_daily")) == expected_rollups(kept, "day")
    assert (result.hourly_rows_deleted, result.daily_rows_deleted) == (1, 1)


def test_recompute_waits_for_the_watermark_lock_of_a_running_rollup(db_conn, database_url):
    # Given another session inside a rollup run (holding the watermark row)
    insert_events(db_conn, [("a", "c", "view", Decimal(1), T0 - timedelta(hours=1))], ingested_at=T0)
    with psycopg.connect(database_url) as running:
        running.execute(rollups._LOCK_WATERMARK, (rollups.WATERMARK,))
        db_conn.execute("SET lock_timeout = '200ms'")
        db_conn.commit()

        # When a recompute of the same hours starts / Then it queues behind it (here: gives up waiting)
        with pytest.raises(psycopg.errors.LockNotAvailable):
            rollups.recompute_range(db_conn, start=T0 - timedelta(hours=2), end=T0)
        running.rollback()
    assert table(db_conn, "content_rollups_hourly") == {}
