"""Rollups of content_events: the data worker's incremental run against PostgreSQL's own answer.

1. Against ``REFRESH MATERIALIZED VIEW``: on a history of H events, one
   scheduled run that adds 20,000 new events (15 minutes of traffic), timed
   against refreshing materialized views of the same hourly and daily rollups
   over the whole history. Run at each history size: the incremental run's
   time should follow the increment, not the history.
2. Against a naive row-by-row Python upsert loop (the second line): both from
   empty rollups on the same events; the script checks they agree.

    .venv/bin/python bench/bench_rollups.py                              # histories 100k and 1M (make bench)
    .venv/bin/python bench/bench_rollups.py --histories 1000000,10000000 # the full size (issue 16)
    .venv/bin/python bench/bench_rollups.py --events 1000000 --naive-rows 0  # naive loop on every event

PostgreSQL: bench/support.py (the configured, the local or an embedded server). A throwaway
database is created and dropped.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from support import scratch_database  # noqa: E402

from cron import rollups  # noqa: E402

WINDOW_END = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DAYS = 7

GENERATE = """
INSERT INTO content_events (account_id, content_id, event_type, value, occurred_at, ingested_at)
SELECT 'acct-' || (random() * 4)::int,
       'c-' || (random() * 39)::int,
       (ARRAY['view', 'like', 'share', 'comment'])[1 + (random() * 3)::int],
       round((random() * 50)::numeric, 1),
       %(end)s - random() * interval '{days} days',
       %(end)s - interval '5 minutes'
FROM generate_series(1, %(n)s);
"""

NAIVE_HOURLY = """
INSERT INTO content_rollups_hourly (bucket_start, account_id, content_id, event_type, event_count, value_sum)
VALUES (%s, %s, %s, %s, 1, %s)
ON CONFLICT (bucket_start, account_id, content_id, event_type) DO UPDATE
SET event_count = content_rollups_hourly.event_count + 1,
    value_sum = content_rollups_hourly.value_sum + EXCLUDED.value_sum, updated_at = now()
"""
NAIVE_DAILY = NAIVE_HOURLY.replace("content_rollups_hourly", "content_rollups_daily")


def naive(conn: psycopg.Connection, limit: int | None) -> int:
    """Read every event and upsert its hourly and daily rows one statement at a time."""
    rows = 0
    with conn.transaction(), conn.cursor(name="events") as read, conn.cursor() as write:
        read.itersize = 10_000
        query = "SELECT account_id, content_id, event_type, value, occurred_at FROM content_events ORDER BY id"
        read.execute(query + (f" LIMIT {int(limit)}" if limit else ""))
        for account, content, event_type, value, occurred in read:
            at = occurred.astimezone(UTC)
            hour = at.replace(minute=0, second=0, microsecond=0)
            write.execute(NAIVE_HOURLY, (hour, account, content, event_type, value))
            write.execute(NAIVE_DAILY, (hour.replace(hour=0), account, content, event_type, value))
            rows += 1
    return rows


def reset_rollups(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("TRUNCATE content_rollups_hourly, content_rollups_daily, rollup_watermarks")
    conn.execute("VACUUM ANALYZE content_rollups_hourly")
    conn.execute("VACUUM ANALYZE content_rollups_daily")


def snapshot(conn: psycopg.Connection, name: str) -> None:
    with conn.transaction():
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(f"{name}_sql")))
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} AS SELECT bucket_start, account_id, content_id, event_type, event_count, value_sum FROM {}"
            ).format(sql.Identifier(f"{name}_sql"), sql.Identifier(name))
        )


def same(conn: psycopg.Connection, name: str) -> bool:
    q = sql.SQL(
        "SELECT count(*) FROM ((SELECT bucket_start, account_id, content_id, event_type, event_count, value_sum FROM {a} "
        "EXCEPT SELECT * FROM {b}) UNION ALL (SELECT * FROM {b} EXCEPT "
        "SELECT bucket_start, account_id, content_id, event_type, event_count, value_sum FROM {a})) d"
    ).format(a=sql.Identifier(name), b=sql.Identifier(f"{name}_sql"))
    with conn.transaction():
        return conn.execute(q).fetchone()[0] == 0


INCREMENT = 20_000
HISTORY_DAYS = 30
MATVIEWS = """
CREATE MATERIALIZED VIEW mv_hourly AS
SELECT date_trunc('hour', occurred_at, 'UTC') AS bucket_start, account_id, content_id, event_type,
       count(*) AS event_count, sum(value) AS value_sum
FROM content_events GROUP BY 1, 2, 3, 4;
CREATE UNIQUE INDEX ON mv_hourly (bucket_start, account_id, content_id, event_type);
CREATE MATERIALIZED VIEW mv_daily AS
SELECT date_trunc('day', occurred_at, 'UTC') AS bucket_start, account_id, content_id, event_type,
       count(*) AS event_count, sum(value) AS value_sum
FROM content_events GROUP BY 1, 2, 3, 4;
CREATE UNIQUE INDEX ON mv_daily (bucket_start, account_id, content_id, event_type);
"""
# The increment: 15 minutes of traffic, ingested after the history, occurring in the last 20 minutes.
INCREMENT_SQL = """
INSERT INTO content_events (account_id, content_id, event_type, value, occurred_at, ingested_at)
SELECT 'acct-' || (random() * 4)::int, 'c-' || (random() * 39)::int,
       (ARRAY['view', 'like', 'share', 'comment'])[1 + (random() * 3)::int],
       round((random() * 50)::numeric, 1),
       %(end)s - random() * interval '20 minutes',
       %(end)s + random() * interval '14 minutes'
FROM generate_series(1, %(n)s);
"""


def incremental_vs_refresh(history: int) -> tuple[float, float]:
    """(incremental run adding INCREMENT events, refresh of both views) in seconds, on ``history`` events."""
    with scratch_database("bench_rollups") as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        t = time.perf_counter()
        conn.execute("SELECT setseed(0.42)")
        conn.execute(GENERATE.format(days=HISTORY_DAYS), {"end": WINDOW_END, "n": history})
        conn.execute("VACUUM ANALYZE content_events")
        conn.autocommit = False
        # The history is already rolled up (the earlier scheduled runs).
        rollups.run_incremental(
            conn,
            window_end=WINDOW_END,
            lookback=timedelta(days=HISTORY_DAYS + 1),
            settle=timedelta(0),
            max_catchup=timedelta(days=365),
        )
        conn.autocommit = True
        conn.execute(MATVIEWS)
        conn.execute("VACUUM ANALYZE")
        print(f"history {history:>11,}: generated, rolled up and viewed in {time.perf_counter() - t:.1f}s")
        conn.execute(INCREMENT_SQL, {"end": WINDOW_END, "n": INCREMENT})
        conn.autocommit = False
        # The scheduled run (data worker: 2 days of late-event look-back, 1 minute settle).
        t = time.perf_counter()
        result = rollups.run_incremental(
            conn,
            window_end=WINDOW_END + timedelta(minutes=16),
            lookback=timedelta(days=2),
            settle=timedelta(minutes=1),
        )
        incremental_s = time.perf_counter() - t
        assert result.events == INCREMENT, result
        conn.autocommit = True
        t = time.perf_counter()
        conn.execute("REFRESH MATERIALIZED VIEW mv_hourly")
        conn.execute("REFRESH MATERIALIZED VIEW mv_daily")
        refresh_s = time.perf_counter() - t
        mismatch = conn.execute(
            "SELECT count(*) FROM ((SELECT bucket_start, account_id, content_id, event_type, event_count, value_sum "
            "FROM content_rollups_hourly EXCEPT SELECT * FROM mv_hourly) UNION ALL (SELECT * FROM mv_hourly EXCEPT "
            "SELECT bucket_start, account_id, content_id, event_type, event_count, value_sum "
            "FROM content_rollups_hourly)) d"
        ).fetchone()[0]
        if mismatch:
            raise SystemExit(f"incremental rollups and the refreshed view disagree on {mismatch} hourly rows")
        print(
            f"history {history:>11,}: incremental run {incremental_s * 1000:8.1f} ms "
            f"({result.hours} hours recomputed); REFRESH MATERIALIZED VIEW hourly+daily {refresh_s:8.2f} s"
        )
        return incremental_s, refresh_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--histories", default="100000,1000000", help="history sizes, comma-separated (full size: 1000000,10000000)"
    )
    parser.add_argument("--events", type=int, default=100_000, help="events for the naive-loop comparison")
    parser.add_argument(
        "--naive-rows",
        type=int,
        default=20_000,
        help="time the naive loop on this many events and extrapolate (0: all of them)",
    )
    args = parser.parse_args()
    histories = [int(h) for h in args.histories.split(",")]
    naive_ratio = naive_comparison(args.events, args.naive_rows or None)
    timings = {h: incremental_vs_refresh(h) for h in histories}
    small, large = histories[0], histories[-1]
    growth = timings[large][0] / timings[small][0]
    print(
        f"incremental run: {timings[small][0] * 1000:.1f} ms at {small:,} events of history, "
        f"{timings[large][0] * 1000:.1f} ms at {large:,} ({growth:.2f}x; target <= 1.5x)"
    )
    print(f"rollups naive: {naive_ratio:.1f}x naive row-by-row loop (target >= 20)")
    ratio = timings[large][1] / timings[large][0]
    print(f"rollups: {ratio:.0f}x REFRESH MATERIALIZED VIEW at {large:,} events (target >= 100)")


def naive_comparison(events: int, naive_rows: int | None) -> float:
    """The worker's SQL from empty rollups vs the naive loop, on ``events`` events: the ratio."""
    args = argparse.Namespace(events=events, naive_rows=naive_rows)
    with scratch_database("bench_rollups_naive") as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        conn.autocommit = False
        t = time.perf_counter()
        with conn.transaction():
            conn.execute("SELECT setseed(0.42)")
            conn.execute(GENERATE.format(days=DAYS), {"end": WINDOW_END, "n": args.events})
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE content_events")
        conn.autocommit = False
        print(f"generated {args.events:,} events over {DAYS} days in {time.perf_counter() - t:.1f}s")

        # The worker's code: one incremental run covering every event.
        reset_rollups_ac(conn)
        t = time.perf_counter()
        result = rollups.run_incremental(
            conn, window_end=WINDOW_END, lookback=timedelta(days=DAYS + 1), settle=timedelta(minutes=1)
        )
        sql_s = time.perf_counter() - t
        assert result.events == args.events, result
        print(
            f"worker SQL : {sql_s:8.2f}s  ({result.hourly_rows_written:,} hourly rows, {result.daily_rows_written:,} daily rows)"
        )
        snapshot(conn, "content_rollups_hourly")
        snapshot(conn, "content_rollups_daily")

        # The naive loop, into emptied tables.
        reset_rollups_ac(conn)
        t = time.perf_counter()
        done = naive(conn, args.naive_rows)
        naive_s = time.perf_counter() - t
        if done == args.events:
            identical = same(conn, "content_rollups_hourly") and same(conn, "content_rollups_daily")
            print(f"naive loop : {naive_s:8.2f}s  ({done:,} events, 2 upserts each); rollups identical: {identical}")
            if not identical:
                raise SystemExit("the two methods disagree")
        else:
            measured = naive_s
            naive_s = measured * args.events / done
            print(
                f"naive loop : {measured:8.2f}s on the first {done:,} events -> {naive_s:8.2f}s EXTRAPOLATED "
                f"linearly to {args.events:,} (not measured)"
            )
        return naive_s / sql_s


def reset_rollups_ac(conn: psycopg.Connection) -> None:
    # VACUUM cannot run inside a transaction block.
    conn.autocommit = True
    try:
        reset_rollups(conn)
    finally:
        conn.autocommit = False


if __name__ == "__main__":
    main()
