"""Reading the data rollups for GET /v1/analytics: an account's generation, then its sums per bucket and type."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

TABLES = {"hour": "content_rollups_hourly", "day": "content_rollups_daily"}

# (account_id, bucket_start) is indexed on both tables: one range scan of the account's rows.
_SUMS = """
SELECT bucket_start, event_type, sum(event_count)::bigint, sum(value_sum)::float8
FROM {table}
WHERE account_id = %(account)s AND bucket_start >= %(start)s AND bucket_start < %(end)s
  AND event_type = ANY (%(types)s::text[]) {content}
GROUP BY 1, 2
"""
_QUERIES = {
    (granularity, by_content): _SUMS.format(table=table, content="AND content_id = %(content)s" if by_content else "")
    for granularity, table in TABLES.items()
    for by_content in (False, True)
}

Sums = dict[tuple[datetime, str], tuple[int, float]]


def generation(conn: psycopg.Connection, account: str) -> int:
    """The account's analytics generation (0 before any rollup wrote its rows)."""
    from psycopg.rows import tuple_row

    with conn.cursor(row_factory=tuple_row) as cur:
        cur.execute("SELECT generation FROM analytics_generations WHERE account_id = %s", (account,))
        row = cur.fetchone()
    return int(row[0]) if row else 0


def sums(
    conn: psycopg.Connection,
    *,
    granularity: str,
    account: str,
    content: str | None,
    start: datetime,
    end: datetime,
    types: Sequence[str],
) -> Sums:
    """(bucket start, event type) -> (count, value) for the buckets that have rows."""
    from psycopg.rows import tuple_row

    params = {"account": account, "content": content, "start": start, "end": end, "types": list(types)}
    with conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(_QUERIES[(granularity, content is not None)], params)
        return {(row[0], row[1]): (row[2], row[3]) for row in cur.fetchall()}
