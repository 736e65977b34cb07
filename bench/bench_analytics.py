"""GET /v1/analytics through the router's handler: a 90-day daily and a 7-day hourly series, uncached and cached.

    .venv/bin/python bench/bench_analytics.py                       # 200,000 events (make bench)
    .venv/bin/python bench/bench_analytics.py --events 10000000     # the full run in docs/performance/analytics.md

Events are generated in a throwaway PostgreSQL database over 90 days (20
accounts x 25 content items x 4 event types; the table's secondary indexes
are built after the load, as a bulk load does), rolled up into the hourly
and daily tables (by one GROUP BY per table, the same sums as the data
worker's recompute; `--worker-rollup` runs `cron.rollups.recompute_range`
itself, 11 minutes for 10M events here), vacuumed as autovacuum would,
and then asked for through `router.handler.lambda_handler` (JWT claims, query
validation, the owner check, the generation read, the rollup query, zero-fill,
the answer) with Valkey as the cache. Uncached: each request finds a new
generation (bumped in the table between requests, as a rollup would), so it
reads PostgreSQL; cached: the same request again. The peer is the same
series computed from the raw events (`GROUP BY date_trunc(...)` over
content_events), what the route would cost without the rollups.

The last line: the 50 ms target over the worst uncached p95 (>= 1 meets it).

PostgreSQL and Valkey: bench/support.py (the configured, the local or an embedded server).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from support import LambdaContext, percentile, redis_url, router_env, scratch_database  # noqa: E402

END = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
DAYS = 90
TYPES = ("view", "like", "share", "comment")
TARGET_MS = 50.0

GENERATE = """
INSERT INTO content_events (event_id, account_id, content_id, event_type, value, occurred_at, ingested_at)
SELECT 'e' || g,
       'acct-' || (g %% 20),
       'post-' || ((g / 20) %% 25),
       (ARRAY['view', 'like', 'share', 'comment'])[1 + (g / 500) %% 4],
       1 + g %% 3,
       %(end)s - (random() * interval '{days} days') - interval '1 second',
       %(end)s - interval '1 hour'
FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS g
"""

ROLLUP_HOURLY = """
INSERT INTO content_rollups_hourly (bucket_start, account_id, content_id, event_type, event_count, value_sum)
SELECT date_trunc('hour', occurred_at, 'UTC'), account_id, content_id, event_type, count(*), sum(value)
FROM content_events GROUP BY 1, 2, 3, 4
"""
ROLLUP_DAILY = """
INSERT INTO content_rollups_daily (bucket_start, account_id, content_id, event_type, event_count, value_sum)
SELECT date_trunc('day', bucket_start, 'UTC'), account_id, content_id, event_type, sum(event_count), sum(value_sum)
FROM content_rollups_hourly GROUP BY 1, 2, 3, 4
"""

RAW = """
SELECT date_trunc(%(unit)s, occurred_at, 'UTC') AS b, event_type, count(*), sum(value)
FROM content_events
WHERE account_id = %(account)s AND occurred_at >= %(start)s AND occurred_at < %(end)s AND event_type = ANY(%(types)s) {content}
GROUP BY 1, 2
"""


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


SERIES = {
    "90-day daily, account": {"granularity": "day", "from": _iso(END - timedelta(days=DAYS)), "to": _iso(END)},
    "7-day hourly, account": {"granularity": "hour", "from": _iso(END - timedelta(days=7)), "to": _iso(END)},
    "90-day daily, content item": {
        "granularity": "day",
        "from": _iso(END - timedelta(days=DAYS)),
        "to": _iso(END),
        "contentId": "post-7",
    },
}


def _event(query: dict[str, str]) -> dict:
    return {
        "version": "2.0",
        "routeKey": "GET /v1/analytics",
        "rawPath": "/v1/analytics",
        "rawQueryString": urlencode(query),
        "queryStringParameters": query,
        "headers": {"host": "api.example.com"},
        "requestContext": {
            "http": {"method": "GET", "path": "/v1/analytics", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.1"},
            "routeKey": "GET /v1/analytics",
            "stage": "$default",
            "requestId": "r",
            "authorizer": {"jwt": {"claims": {"sub": "bench", "accounts": "[acct-3]"}, "scopes": None}},
        },
        "isBase64Encoded": False,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=30, help="requests per series and mode")
    parser.add_argument("--worker-rollup", action="store_true", help="roll up with the data worker's recompute")
    args = parser.parse_args()

    with scratch_database("bench_analytics") as dsn, redis_url(14) as cache_url:
        try:
            run(dsn, cache_url, args)
        finally:
            from common import db

            db.close()


def run(dsn: str, cache_url: str, args: argparse.Namespace) -> None:
    from cron import rollups

    with psycopg.connect(dsn, autocommit=True) as conn:
        t = time.perf_counter()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'content_events' AND indexname <> 'content_events_pkey'"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        step = 1_000_000
        for lo in range(1, args.events + 1, step):
            conn.execute(GENERATE.format(days=DAYS), {"end": END, "lo": lo, "hi": min(lo + step - 1, args.events)})
        for _, definition in indexes:
            conn.execute(definition)
        conn.execute("VACUUM ANALYZE content_events")
        print(f"generated {args.events:,} events over {DAYS} days in {time.perf_counter() - t:.1f}s")
        t = time.perf_counter()
        if args.worker_rollup:
            conn.autocommit = False
            rollups.recompute_range(conn, start=END - timedelta(days=DAYS), end=END)
            conn.autocommit = True
        else:
            conn.execute(ROLLUP_HOURLY)
            conn.execute(ROLLUP_DAILY)
        conn.execute("VACUUM ANALYZE content_rollups_hourly")
        conn.execute("VACUUM ANALYZE content_rollups_daily")
        hourly, daily = conn.execute(
            "SELECT (SELECT count(*) FROM content_rollups_hourly), (SELECT count(*) FROM content_rollups_daily)"
        ).fetchone()
        how = "the worker's recompute" if args.worker_rollup else "one GROUP BY per table"
        print(f"rolled up by {how} in {time.perf_counter() - t:.1f}s: {hourly:,} hourly rows, {daily:,} daily rows")

    import redis

    cache = redis.Redis.from_url(cache_url)
    cache.flushdb()
    os.environ.update(router_env(DATABASE_URL=dsn, REDIS_URL=cache_url))
    from router.handler import lambda_handler

    worst_uncached = 0.0
    with psycopg.connect(dsn, autocommit=True) as bump:
        for name, series in SERIES.items():
            query = {"accountId": "acct-3", "eventTypes": ",".join(TYPES), **series}
            event = _event(query)
            timings: dict[str, list[float]] = {"uncached": [], "cached": []}
            for run in range(args.runs + 1):
                # A rollup of the account moves its generation: the next request reads PostgreSQL.
                bump.execute(
                    "INSERT INTO analytics_generations (account_id) VALUES ('acct-3') "
                    "ON CONFLICT (account_id) DO UPDATE SET generation = analytics_generations.generation + 1"
                )
                for mode in ("uncached", "cached"):
                    t = time.perf_counter()
                    answer = lambda_handler(event, LambdaContext())
                    elapsed = (time.perf_counter() - t) * 1000
                    expected = "miss" if mode == "uncached" else "hit"
                    if answer["statusCode"] != 200 or answer["headers"].get("X-Cache") != expected:
                        raise SystemExit(f"{name} {mode}: {answer['statusCode']} {answer['body'][:300]}")
                    if run:
                        timings[mode].append(elapsed)
            body = json.loads(answer["body"])
            total = sum(s["total"]["count"] for s in body["series"])
            raw_ms = []
            for _ in range(3):
                unit = series["granularity"]
                t = time.perf_counter()
                bump.execute(
                    RAW.format(content="AND content_id = %(content)s" if "contentId" in series else ""),
                    {
                        "unit": unit,
                        "account": "acct-3",
                        "start": datetime.fromisoformat(series["from"]),
                        "end": datetime.fromisoformat(series["to"]),
                        "types": list(TYPES),
                        "content": series.get("contentId"),
                    },
                ).fetchall()
                raw_ms.append((time.perf_counter() - t) * 1000)
            un, ca = timings["uncached"], timings["cached"]
            worst_uncached = max(worst_uncached, percentile(un, 0.95))
            print(
                f"{name:28s}: {len(body['series'][0]['buckets'])} buckets x {len(TYPES)} types, {total:,} events; "
                f"uncached p50 {statistics.median(un):.1f} ms p95 {percentile(un, 0.95):.1f} ms; "
                f"cached p50 {statistics.median(ca):.1f} ms p95 {percentile(ca, 0.95):.1f} ms; "
                f"from raw events {statistics.median(raw_ms):.0f} ms"
            )
    print(
        f"analytics: {TARGET_MS / worst_uncached:.1f}x the {TARGET_MS:.0f} ms budget, worst uncached p95 (target >= 1)"
    )


if __name__ == "__main__":
    main()
