"""GET /v1/jobs' page query on 1,000,000 jobs: the keyset cursor (router.job_queries) vs OFFSET pagination.

One throwaway database, migrated with the real migrations (so with the owner
indexes of migration 0012), holds 1M jobs: a heavy caller owns 200,000 of them,
5,000 others share the rest. Both ways read the same page of the heavy caller,
newest first, 20 jobs, at the same depth; the script checks they answer the
same jobs, then prints the median time of each over repeated runs and the
ratio. The first page and a status-filtered page are timed too (keyset only).

    .venv/bin/python bench/bench_jobs_list.py                # 1,000,000 jobs, page at depth 100,000
    .venv/bin/python bench/bench_jobs_list.py --jobs 200000 --depth 20000

PostgreSQL: bench/support.py (the configured, the local or an embedded server).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from psycopg.rows import dict_row  # noqa: E402
from support import scratch_database  # noqa: E402

from router.job_queries import Position, list_owned_jobs  # noqa: E402
from router.job_store import job_columns  # noqa: E402

HEAVY = "heavy-caller"
PAGE = 20
TARGET = 10.0

GENERATE = """
INSERT INTO jobs (task, status, owner, created_at, updated_at, finished_at, attempts, result)
SELECT (ARRAY['video', 'video', 'video', 'trends', 'data'])[1 + floor(random() * 5)::int],
       s.status,
       CASE WHEN g %% 5 = 0 THEN %(heavy)s ELSE 'user-' || (g %% 5000) END,
       t.at, t.at, CASE WHEN s.status IN ('succeeded', 'failed') THEN t.at + interval '20 seconds' END,
       1, '{"analysisId": 1}'::jsonb
FROM generate_series(1, %(n)s) AS g,
     LATERAL (SELECT timestamptz '2026-11-30 00:00Z' - (g * interval '7 seconds') AS at) AS t,
     LATERAL (SELECT (ARRAY['succeeded', 'succeeded', 'succeeded', 'failed', 'queued'])[1 + floor(random() * 5)::int]
              AS status WHERE g > 0) AS s
"""


def offset_page(conn: psycopg.Connection, owner: str, depth: int, status: str | None = None) -> list[uuid.UUID]:
    """The page OFFSET pagination reads: skip `depth` rows of the same order (on the same index), then take a page."""
    where = "owner IS NOT NULL AND md5(owner) = md5(%s) AND owner = %s" + (" AND status = %s" if status else "")
    params = (owner, owner, status) if status else (owner, owner)
    rows = conn.execute(
        f"SELECT {job_columns()} FROM jobs WHERE {where} ORDER BY created_at DESC, id DESC OFFSET %s LIMIT %s",
        (*params, depth, PAGE),
    ).fetchall()
    return [r["id"] for r in rows]


def keyset_page(
    conn: psycopg.Connection, owner: str, after: Position | None, status: str | None = None
) -> list[uuid.UUID]:
    page, _ = list_owned_jobs(conn, owner, limit=PAGE, after=after, status=status)
    return [j.id for j in page]


def median_ms(run, repeats: int) -> float:
    run()  # warm the cache: both ways are timed on a warm buffer pool
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--depth", type=int, default=100_000, help="rows before the page (of the heavy caller's)")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    with scratch_database("bench_jobs") as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            started = time.perf_counter()
            conn.execute(GENERATE, {"n": args.jobs, "heavy": HEAVY})
            conn.execute("VACUUM ANALYZE jobs")
            print(f"{args.jobs} jobs generated and analysed in {time.perf_counter() - started:.1f} s")
        with psycopg.connect(dsn, row_factory=dict_row) as conn:
            run(conn, args)


def run(conn: psycopg.Connection, args: argparse.Namespace) -> None:
    heavy_count = conn.execute("SELECT count(*) AS n FROM jobs WHERE owner = %s", (HEAVY,)).fetchone()["n"]
    depth = min(args.depth, heavy_count - PAGE)
    # The position a client holding the cursor of the page before would send.
    last = conn.execute(
        "SELECT created_at, id FROM jobs WHERE owner = %s ORDER BY created_at DESC, id DESC OFFSET %s LIMIT 1",
        (HEAVY, depth - 1),
    ).fetchone()
    after = Position(last["created_at"], last["id"])
    assert keyset_page(conn, HEAVY, after) == offset_page(conn, HEAVY, depth), "the two ways disagree"
    conn.commit()

    plan = conn.execute(
        "EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM jobs WHERE owner IS NOT NULL AND md5(owner) = md5(%(o)s) AND owner = %(o)s "
        "AND (created_at, id) < (%(at)s, %(id)s) ORDER BY created_at DESC, id DESC LIMIT 21",
        {"o": HEAVY, "at": after.created_at, "id": after.id},
    ).fetchall()
    print("keyset plan:", " / ".join(r["QUERY PLAN"].strip() for r in plan[:3] + plan[-1:]))
    offset_plan = conn.execute(
        "EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM jobs WHERE owner IS NOT NULL AND md5(owner) = md5(%s) "
        "AND owner = %s ORDER BY created_at DESC, id DESC OFFSET %s LIMIT %s",
        (HEAVY, HEAVY, depth, PAGE),
    ).fetchall()
    print("OFFSET plan:", " / ".join(r["QUERY PLAN"].strip() for r in offset_plan[:3] + offset_plan[-1:]))
    conn.commit()

    first = median_ms(lambda: keyset_page(conn, HEAVY, None), args.repeats)
    failed = median_ms(lambda: keyset_page(conn, HEAVY, None, status="failed"), args.repeats)
    keyset = median_ms(lambda: keyset_page(conn, HEAVY, after), args.repeats)
    offset = median_ms(lambda: offset_page(conn, HEAVY, depth), args.repeats)
    print(f"caller with {heavy_count} of {args.jobs} jobs, pages of {PAGE}")
    print(f"first page (keyset): {first:.2f} ms; first page of failed jobs: {failed:.2f} ms")
    print(f"page at depth {depth}: keyset {keyset:.2f} ms, OFFSET {offset:.2f} ms")
    print(f"jobs_list_page_at_depth_{depth}: {offset / keyset:.1f}x OFFSET pagination (target >= {TARGET:g})")


if __name__ == "__main__":
    main()
