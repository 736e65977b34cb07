"""The rollup window at its edges (cron/rollups.py), against real PostgreSQL.

Where test_rollups.py checks the numbers a run writes, these check which
window a run takes and what it reports: the default catch-up bound, a run with
nothing new, the exact row counts written and deleted per table, a recompute
of exactly 93 days, hour-aligned ranges, the time-left floor and the statement
timeout it sets.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from cron_testdata import T0, insert_events

from common.errors import TransientError
from cron import rollups
from cron.rollups import RollupResult

LOOKBACK = timedelta(hours=48)
SETTLE = timedelta(minutes=1)


def run(conn, window_end, lookback=LOOKBACK, **kw):
    return rollups.run_incremental(conn, window_end=window_end, lookback=lookback, settle=SETTLE, **kw)


def event(account: str, hour: int, content: str = "c") -> tuple:
    return (account, content, "view", Decimal(1), T0 - timedelta(hours=hour, minutes=-10))


def test_one_run_catches_up_at_most_a_day_of_ingest_by_default(db_conn):
    # Given events ingested at two times 30 hours apart, both before the window end
    first_ingest = T0 - timedelta(hours=31)
    insert_events(db_conn, [event("a", 32)], ingested_at=first_ingest)
    insert_events(db_conn, [event("a", 2)], ingested_at=T0 - timedelta(hours=1))
    # When one run starts with no watermark
    result = run(db_conn, T0 + timedelta(hours=40), lookback=timedelta(days=5))
    # Then it stops 24 hours after the first pending event, short of its window
    assert result.window_to == first_ingest + rollups.DEFAULT_MAX_CATCHUP
    assert timedelta(hours=24) == rollups.DEFAULT_MAX_CATCHUP
    assert (result.events, result.caught_up) == (1, False)


def test_a_run_with_nothing_new_reports_an_empty_window_at_the_watermark(db_conn):
    insert_events(db_conn, [event("a", 1)], ingested_at=T0 - timedelta(minutes=30))
    first = run(db_conn, T0)
    # When the same window end runs again
    again = run(db_conn, T0)
    assert again == RollupResult(first.window_to, first.window_to, 0, 0, 0, 0, 0, 0, 0, 0, caught_up=True)


def test_a_window_with_only_too_late_events_writes_nothing_and_counts_them(db_conn):
    old = (T0 - LOOKBACK - timedelta(hours=2)).replace(minute=5)
    insert_events(db_conn, [("a", "c", "view", Decimal(1), old)] * 3, ingested_at=T0 - timedelta(minutes=30))
    result = run(db_conn, T0)
    assert (result.events, result.late_events_skipped, result.hours, result.days) == (0, 3, 0, 0)
    assert (result.hourly_rows_written, result.daily_rows_written) == (0, 0)
    assert (result.hourly_rows_deleted, result.daily_rows_deleted) == (0, 0)


def test_a_run_reports_the_rows_it_wrote_per_table(db_conn):
    # Given 3 accounts with events in 2 hours of one day
    events = [event(acct, hour) for acct in ("a", "b", "c") for hour in (2, 3)]
    insert_events(db_conn, events, ingested_at=T0 - timedelta(minutes=30))
    result = run(db_conn, T0)
    # Then 6 hourly rows and 3 daily rows
    assert (result.hours, result.days) == (2, 1)
    assert (result.hourly_rows_written, result.daily_rows_written) == (6, 3)


def test_a_recompute_reports_the_rows_it_deleted_per_table(db_conn):
    # Given rolled-up events of 2 accounts in 3 hours, then one account's events deleted
    events = [event(acct, hour) for acct in ("a", "b") for hour in (2, 3, 4)]
    insert_events(db_conn, events, ingested_at=T0 - timedelta(minutes=30))
    run(db_conn, T0)
    db_conn.execute("DELETE FROM content_events WHERE account_id = 'b'")
    db_conn.commit()
    # When those hours are recomputed
    result = rollups.recompute_range(db_conn, start=T0 - timedelta(hours=5), end=T0)
    # Then 3 hourly rows and 1 daily row are gone, and the rows still backed are left as they were
    assert (result.hourly_rows_deleted, result.daily_rows_deleted) == (3, 1)
    assert (result.hourly_rows_written, result.daily_rows_written) == (0, 0)


def test_a_recompute_covers_whole_hours_from_the_start_and_reports_them(db_conn):
    # Given events in the first and last hour of a range that ends on an hour
    start, end = T0 - timedelta(hours=3, minutes=20), T0
    insert_events(
        db_conn,
        [
            ("a", "c", "view", Decimal(1), T0 - timedelta(hours=3, minutes=50)),
            ("a", "c", "view", Decimal(1), T0 - timedelta(minutes=1)),
        ],
        ingested_at=T0,
    )
    result = rollups.recompute_range(db_conn, start=start, end=end)
    # Then the range runs from the start's hour to the end, exclusive, and counts both events
    assert result == RollupResult(
        window_from=T0 - timedelta(hours=4),
        window_to=T0,
        events=2,
        late_events_skipped=0,
        hours=4,
        days=1,
        hourly_rows_written=2,
        daily_rows_written=1,
        hourly_rows_deleted=0,
        daily_rows_deleted=0,
        caught_up=True,
    )


def test_a_recompute_of_exactly_93_days_is_accepted(db_conn):
    result = rollups.recompute_range(db_conn, start=T0 - timedelta(days=93), end=T0)
    # (from 12:00 to 12:00: 94 calendar days touched)
    assert (result.hours, result.days) == (93 * 24, 94)


def test_a_recompute_one_second_over_93_days_is_refused(db_conn):
    with pytest.raises(ValueError, match="at most 93 days"):
        rollups.recompute_range(db_conn, start=T0 - timedelta(days=93, seconds=1), end=T0)


def test_a_result_serializes_its_times_as_iso_and_no_watermark_as_null():
    result = RollupResult(None, T0, 1, 0, 1, 1, 1, 1)
    assert result.to_dict() == {
        "window_from": None,
        "window_to": "2026-03-10T12:00:00+00:00",
        "events": 1,
        "late_events_skipped": 0,
        "hours": 1,
        "days": 1,
        "hourly_rows_written": 1,
        "daily_rows_written": 1,
        "hourly_rows_deleted": 0,
        "daily_rows_deleted": 0,
        "caught_up": True,
    }
    assert RollupResult(T0, T0, 0, 0, 0, 0, 0, 0).to_dict()["window_from"] == "2026-03-10T12:00:00+00:00"


@pytest.mark.parametrize(("left", "shown"), [(0.99, "1.0"), (0.04, "0.0"), (-3.0, "0.0")])
def test_less_than_a_second_left_refuses_the_run_saying_how_much(db_conn, left, shown):
    with pytest.raises(TransientError) as err:
        run(db_conn, T0, remaining_s=lambda: left)
    assert (err.value.reason, err.value.message) == (
        "rollup_out_of_time",
        f"{shown}s left before locking the watermark",
    )


def test_exactly_a_second_left_runs(db_conn):
    assert rollups.MIN_PHASE_S == 1.0
    assert run(db_conn, T0, remaining_s=lambda: 1.0).caught_up is True


@pytest.mark.parametrize(
    ("session_ms", "left", "expected"),
    [(0, 2.5, "2500ms"), (0, 1.2345, "1234ms"), (60000, 5.0, "5s"), (1000, 5.0, "1s")],
)
def test_a_phase_lowers_the_statement_timeout_to_the_time_left_and_never_raises_it(db_conn, session_ms, left, expected):
    # Given a session whose statement_timeout is session_ms (0: none)
    db_conn.execute(f"SET statement_timeout = {session_ms}")
    # When a phase starts with `left` seconds left
    with db_conn.transaction(), db_conn.cursor() as cur:
        rollups._check_time(cur, lambda: left, "a phase")
        shown = cur.execute("SHOW statement_timeout").fetchone()
    # Then its statements may run for the time left at most
    assert next(iter(shown.values())) == expected


def test_a_recompute_of_an_empty_range_is_refused(db_conn):
    with pytest.raises(ValueError, match="must end after it starts"):
        rollups.recompute_range(db_conn, start=T0, end=T0)


def test_an_incremental_run_reports_the_rows_it_deleted_per_table(db_conn):
    # Given accounts a and b rolled up in two hours of one day, then b's events deleted,
    # and a new event of account a in each of those hours
    insert_events(
        db_conn, [event(acct, hour) for acct in "ab" for hour in (2, 3)], ingested_at=T0 - timedelta(minutes=30)
    )
    run(db_conn, T0)
    db_conn.execute("DELETE FROM content_events WHERE account_id = 'b'")
    db_conn.commit()
    insert_events(db_conn, [event("a", 2), event("a", 3)], ingested_at=T0 + timedelta(minutes=5))
    # When the next run recomputes those hours
    result = run(db_conn, T0 + timedelta(minutes=15))
    # Then b's two hourly rows and its daily row are deleted, and a's rows are rewritten
    assert (result.hourly_rows_deleted, result.daily_rows_deleted) == (2, 1)
    assert (result.hourly_rows_written, result.daily_rows_written) == (2, 1)
