"""Aggregation of content_events into hourly/daily rollups, against real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from cron_testdata import T0, counts_only, expected_rollups, generate_events, insert_events, table

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
