"""Incremental hourly/daily rollups of ``content_events``, computed in PostgreSQL.

Each run reads the events ingested since the watermark, finds the hour
buckets they fall in, and *recomputes* those buckets from the raw events
(``INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE``); daily rows are
then recomputed from their hourly rows. Recomputing instead of adding
increments is what makes a run idempotent: running a window twice, or a
retried job, writes the same numbers, and a row whose numbers did not change
is not touched at all.

Late events (``occurred_at`` long before they were ingested) are counted when
their hour is inside the look-back window; older ones are skipped and
counted in the result so the loss is visible.

The ingested-at watermark stops ``settle`` before the window end: events
inserted by a transaction still open at that moment carry an ``ingested_at``
in the past and would otherwise be passed over for good.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

WATERMARK = "content_rollups"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A backfill is one transaction; keep it bounded.
MAX_RECOMPUTE = timedelta(days=93)

# Lets a catch-up run group in memory instead of spilling to disk; local to the transaction.
_WORK_MEM = "SET LOCAL work_mem = '32MB'"

_HOUR = "date_trunc('hour', e.occurred_at, 'UTC')"

_NEW_EVENTS = f"""
SELECT {_HOUR} AS hour,
       count(*) FILTER (WHERE e.occurred_at >= %(lookback)s) AS counted,
       count(*) FILTER (WHERE e.occurred_at < %(lookback)s) AS too_late
FROM content_events e
WHERE e.ingested_at > %(lo)s AND e.ingested_at <= %(hi)s
GROUP BY 1
"""

_RECOMPUTE_HOURLY = f"""
INSERT INTO content_rollups_hourly AS r
       (bucket_start, account_id, content_id, event_type, event_count, value_sum, updated_at)
SELECT {_HOUR}, e.account_id, e.content_id, e.event_type, count(*), sum(e.value), now()
FROM unnest(%(hours)s::timestamptz[]) AS h(start)
JOIN content_events e ON e.occurred_at >= h.start AND e.occurred_at < h.start + interval '1 hour'
GROUP BY 1, 2, 3, 4
ON CONFLICT (bucket_start, account_id, content_id, event_type) DO UPDATE
SET event_count = EXCLUDED.event_count, value_sum = EXCLUDED.value_sum, updated_at = EXCLUDED.updated_at
WHERE (r.event_count, r.value_sum) IS DISTINCT FROM (EXCLUDED.event_count, EXCLUDED.value_sum)
"""

_RECOMPUTE_DAILY = """
INSERT INTO content_rollups_daily AS r
       (bucket_start, account_id, content_id, event_type, event_count, value_sum, updated_at)
SELECT date_trunc('day', h.bucket_start, 'UTC'), h.account_id, h.content_id, h.event_type,
       sum(h.event_count), sum(h.value_sum), now()
FROM unnest(%(days)s::timestamptz[]) AS d(start)
JOIN content_rollups_hourly h ON h.bucket_start >= d.start AND h.bucket_start < d.start + interval '1 day'
GROUP BY 1, 2, 3, 4
ON CONFLICT (bucket_start, account_id, content_id, event_type) DO UPDATE
SET event_count = EXCLUDED.event_count, value_sum = EXCLUDED.value_sum, updated_at = EXCLUDED.updated_at
WHERE (r.event_count, r.value_sum) IS DISTINCT FROM (EXCLUDED.event_count, EXCLUDED.value_sum)
"""


@dataclass(frozen=True)
class RollupResult:
    window_from: datetime | None
    window_to: datetime
    events: int
    late_events_skipped: int
    hours: int
    days: int
    hourly_rows_written: int
    daily_rows_written: int

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        for key in ("window_from", "window_to"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def run_incremental(
    conn: psycopg.Connection, *, window_end: datetime, lookback: timedelta, settle: timedelta
) -> RollupResult:
    """Roll up everything ingested since the watermark, up to ``window_end - settle``."""
    hi = window_end - settle
    with conn.transaction(), _cursor(conn) as cur:
        cur.execute(_WORK_MEM)
        # The upsert locks the watermark row: overlapping runs queue up here
        # instead of both moving it.
        cur.execute(
            "INSERT INTO rollup_watermarks (name) VALUES (%s) "
            "ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING value_at",
            (WATERMARK,),
        )
        lo: datetime | None = cur.fetchone()[0]
        if lo is not None and hi <= lo:
            return RollupResult(lo, hi, 0, 0, 0, 0, 0, 0)
        lookback_start = _hour_floor(window_end - lookback)
        cur.execute(_NEW_EVENTS, {"lo": lo or _EPOCH, "hi": hi, "lookback": lookback_start})
        new = cur.fetchall()
        hours = sorted(hour for hour, counted, _ in new if counted > 0)
        counted = sum(r[1] for r in new)
        too_late = sum(r[2] for r in new)
        hourly, daily = _recompute(cur, hours)
        cur.execute("UPDATE rollup_watermarks SET value_at = %s, updated_at = now() WHERE name = %s", (hi, WATERMARK))
    return RollupResult(lo, hi, counted, too_late, len(hours), len({_day(h) for h in hours}), hourly, daily)


def recompute_range(conn: psycopg.Connection, *, start: datetime, end: datetime) -> RollupResult:
    """Recompute every hour bucket in ``[start, end)`` from the raw events (a backfill or a re-run).

    The watermark is left alone: this corrects history, it does not consume new events.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("the range needs time zones")
    if end <= start:
        raise ValueError("the range must end after it starts")
    if end - start > MAX_RECOMPUTE:
        raise ValueError(f"a recompute covers at most {MAX_RECOMPUTE.days} days")
    hours = []
    hour = _hour_floor(start)
    while hour < end:
        hours.append(hour)
        hour += timedelta(hours=1)
    with conn.transaction(), _cursor(conn) as cur:
        cur.execute(_WORK_MEM)
        cur.execute(
            "SELECT count(*) FROM content_events WHERE occurred_at >= %s AND occurred_at < %s", (hours[0], hour)
        )
        events = cur.fetchone()[0]
        hourly, daily = _recompute(cur, hours)
    return RollupResult(hours[0], hour, events, 0, len(hours), len({_day(h) for h in hours}), hourly, daily)


def _recompute(cur: psycopg.Cursor, hours: list[datetime]) -> tuple[int, int]:
    if not hours:
        return 0, 0
    cur.execute(_RECOMPUTE_HOURLY, {"hours": hours})
    hourly = cur.rowcount
    cur.execute(_RECOMPUTE_DAILY, {"days": sorted({_day(h) for h in hours})})
    return hourly, cur.rowcount


def _cursor(conn: psycopg.Connection) -> psycopg.Cursor:
    from psycopg.rows import tuple_row

    return conn.cursor(row_factory=tuple_row)


def _hour_floor(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _day(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
