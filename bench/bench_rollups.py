"""Rollups of content_events: the data worker's SQL vs a naive row-by-row Python upsert loop.

Both run in the same process against the same PostgreSQL, on the same
generated events, into freshly emptied rollup tables; the script checks that
they produce identical rollups, then prints both times and the ratio.

    .venv/bin/python bench/bench_rollups.py                 # 1,000,000 events, naive loop on all of them
    .venv/bin/python bench/bench_rollups.py --naive-rows 200000   # naive loop timed on a prefix, extrapolated

PostgreSQL: TEST_PG_ADMIN_DSN or 127.0.0.1:5432 (user postgres). A throwaway
database is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambdas")]

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402

from cron import rollups  # noqa: E402
from migrate import runner as migrate  # noqa: E402

ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--naive-rows", type=int, default=None, help="time the naive loop on this many events and extrapolate"
    )
    args = parser.parse_args()

    dbname = f"bench_rollups_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    try:
        with psycopg.connect(make_conninfo(ADMIN_DSN, dbname=dbname), autocommit=True) as conn:
            migrate.apply_migrations(conn)
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
                print(
                    f"naive loop : {naive_s:8.2f}s  ({done:,} events, 2 upserts each); rollups identical: {identical}"
                )
                if not identical:
                    raise SystemExit("the two methods disagree")
            else:
                measured = naive_s
                naive_s = measured * args.events / done
                print(
                    f"naive loop : {measured:8.2f}s on the first {done:,} events -> {naive_s:8.2f}s EXTRAPOLATED "
                    f"linearly to {args.events:,} (not measured)"
                )
            print(f"ratio      : {naive_s / sql_s:8.1f}x faster with the worker's SQL (target >= 20x)")
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


def reset_rollups_ac(conn: psycopg.Connection) -> None:
    # VACUUM cannot run inside a transaction block.
    conn.autocommit = True
    try:
        reset_rollups(conn)
    finally:
        conn.autocommit = False


if __name__ == "__main__":
    main()
