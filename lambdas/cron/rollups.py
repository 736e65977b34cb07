"""Incremental hourly/daily rollups of ``content_events``, computed in PostgreSQL.

Each run reads the events ingested since the watermark, finds the hour
buckets they fall in, and *recomputes* those buckets from the raw events;
daily rows are then recomputed from their hourly rows. A recompute upserts
the fresh numbers (a row whose numbers did not change is not touched at all)
and deletes the rows of those buckets that no event backs any more, in one
statement, so running a window twice, a retried job or a backfill writes the
same rollups as a full recomputation would.

Late events (``occurred_at`` long before they were ingested) are counted when
their hour is inside the look-back window; older ones are skipped and
counted in the result so the loss is visible.

Where the watermark may stop (the window ``[lo, hi)`` of ``ingested_at``):

* ``ingested_at`` defaults to ``now()``, the *start* of the inserting
  transaction, so a row can become visible long after the time it carries.
  ``hi`` therefore never passes the start of the oldest transaction still
  running in this database (see `_UPPER_BOUND`): whatever such a
  transaction inserts will carry a time at or after ``hi`` and is read by a
  later run. ``settle`` only absorbs clock skew between the scheduler and
  the database now.
* One run covers at most ``max_catchup`` of ingest time, starting at the
  first pending event; after an outage the next scheduled runs continue.
* Between phases the caller's remaining time is checked, and no statement is
  allowed to run past it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from common.errors import TransientError
from common.payloads import MAX_DATA_RANGE

if TYPE_CHECKING:
    import psycopg

WATERMARK = "content_rollups"
# A backfill is one transaction; keep it bounded (the data task's contract says the same to the API).
MAX_RECOMPUTE = MAX_DATA_RANGE
DEFAULT_MAX_CATCHUP = timedelta(hours=24)
# Below this many seconds a phase is not started: it would be cancelled anyway.
MIN_PHASE_S = 1.0

RemainingSeconds = Callable[[], float]

# Lets a catch-up run group in memory instead of spilling to disk; local to the transaction.
_WORK_MEM = "SET LOCAL work_mem = '32MB'"

# The upsert locks the watermark row: overlapping incremental runs and
# recomputes queue up here instead of writing the same buckets at once.
_LOCK_WATERMARK = (
    "INSERT INTO rollup_watermarks (name) VALUES (%s) "
    "ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING value_at"
)

# Why the start of the oldest running transaction, and why *every* client
# transaction rather than only those with an xid (backend_xid IS NOT NULL):
# a transaction gets an xid at its first write, but the rows it writes carry
# its start time, so one that has only read so far would be missed. Read-only
# transactions hold the watermark back only while they run, and every
# session of this app has idle_in_transaction_session_timeout and
# statement_timeout (common.settings), so the hold is bounded. Background
# workers (autovacuum) insert no events and are left out.
# Caveat: pg_stat_activity shows xact_start only for sessions of roles the
# reader belongs to (or with pg_read_all_stats); the events must be written
# by the same role as this worker, or the worker's role be granted
# pg_read_all_stats. The xid8 alternative (an ingest_xid column compared with
# pg_snapshot_xmin) has no such caveat but needs a new indexed column on the
# largest table; this needs none.
_UPPER_BOUND = """
SELECT least(%(hi)s::timestamptz, statement_timestamp(),
             (SELECT min(a.xact_start) FROM pg_stat_activity a
              WHERE a.datname = current_database() AND a.backend_type = 'client backend'
                AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL)) AS hi,
       (SELECT min(e.ingested_at) FROM content_events e WHERE e.ingested_at >= %(lo)s) AS first_pending
"""

_HOUR = "date_trunc('hour', e.occurred_at, 'UTC')"

_NEW_EVENTS = f"""
SELECT {_HOUR} AS hour,
       count(*) FILTER (WHERE e.occurred_at >= %(lookback)s) AS counted,
       count(*) FILTER (WHERE e.occurred_at < %(lookback)s) AS too_late
FROM content_events e
WHERE e.ingested_at >= %(lo)s AND e.ingested_at < %(hi)s
GROUP BY 1
"""

_KEY = "(f.bucket_start, f.account_id, f.content_id, f.event_type) = (r.bucket_start, r.account_id, r.content_id, r.event_type)"

# fresh: the buckets' numbers now; gone: rows of those buckets nothing backs
# any more (deleted events); written: rows whose numbers changed; bumped: the
# analytics generation of every account whose rows changed (GET /v1/analytics
# caches under it, so the change invalidates that account's cached answers at
# the moment it commits). One statement, so a reader never sees a bucket half
# recomputed, nor new rows under an old generation.
_REPLACE = """
WITH fresh AS MATERIALIZED ({fresh}),
gone AS (
    DELETE FROM {table} r
    WHERE r.bucket_start = ANY (%(buckets)s::timestamptz[])
      AND NOT EXISTS (SELECT 1 FROM fresh f WHERE {key})
    RETURNING r.account_id
),
written AS (
    INSERT INTO {table} AS r (bucket_start, account_id, content_id, event_type, event_count, value_sum, updated_at)
    SELECT bucket_start, account_id, content_id, event_type, event_count, value_sum, now() FROM fresh
    ON CONFLICT (bucket_start, account_id, content_id, event_type) DO UPDATE
    SET event_count = EXCLUDED.event_count, value_sum = EXCLUDED.value_sum, updated_at = EXCLUDED.updated_at
    WHERE (r.event_count, r.value_sum) IS DISTINCT FROM (EXCLUDED.event_count, EXCLUDED.value_sum)
    RETURNING r.account_id
),
bumped AS (
    INSERT INTO analytics_generations AS g (account_id)
    SELECT account_id FROM written UNION SELECT account_id FROM gone
    ON CONFLICT (account_id) DO UPDATE SET generation = g.generation + 1, updated_at = now()
    RETURNING 1
)
SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM gone), (SELECT count(*) FROM bumped)
"""

_RECOMPUTE_HOURLY = _REPLACE.format(
    table="content_rollups_hourly",
    key=_KEY,
    fresh=f"""
    SELECT {_HOUR} AS bucket_start, e.account_id, e.content_id, e.event_type,
           count(*) AS event_count, sum(e.value) AS value_sum
    FROM unnest(%(buckets)s::timestamptz[]) AS h(start)
    JOIN content_events e ON e.occurred_at >= h.start AND e.occurred_at < h.start + interval '1 hour'
    GROUP BY 1, 2, 3, 4""",
)

_RECOMPUTE_DAILY = _REPLACE.format(
    table="content_rollups_daily",
    key=_KEY,
    fresh="""
    SELECT date_trunc('day', h.bucket_start, 'UTC') AS bucket_start, h.account_id, h.content_id, h.event_type,
           sum(h.event_count) AS event_count, sum(h.value_sum) AS value_sum
    FROM unnest(%(buckets)s::timestamptz[]) AS d(start)
    JOIN content_rollups_hourly h ON h.bucket_start >= d.start AND h.bucket_start < d.start + interval '1 day'
    GROUP BY 1, 2, 3, 4""",
)

# Lowers (never raises) this transaction's statement_timeout to the time left.
_CAP_STATEMENT_TIMEOUT = """
SELECT set_config('statement_timeout',
                  (CASE WHEN s.setting::bigint = 0 THEN %(ms)s ELSE least(s.setting::bigint, %(ms)s) END)::text,
                  true)
FROM pg_settings s WHERE s.name = 'statement_timeout'
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
    hourly_rows_deleted: int = 0
    daily_rows_deleted: int = 0
    # False when this run stopped short of its window (catch-up bound or an
    # open transaction); the next run continues from window_to.
    caught_up: bool = True

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        for key in ("window_from", "window_to"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def run_incremental(
    conn: psycopg.Connection,
    *,
    window_end: datetime,
    lookback: timedelta,
    settle: timedelta,
    max_catchup: timedelta = DEFAULT_MAX_CATCHUP,
    remaining_s: RemainingSeconds | None = None,
) -> RollupResult:
    """Roll up what was ingested since the watermark, up to ``window_end - settle`` at most."""
    wanted = window_end - settle
    with conn.transaction(), _cursor(conn) as cur:
        _check_time(cur, remaining_s, "locking the watermark")
        cur.execute(_WORK_MEM)
        cur.execute(_LOCK_WATERMARK, (WATERMARK,))
        lo: datetime | None = cur.fetchone()[0]
        # Statistics are snapshotted once per transaction; read them fresh, after the lock wait.
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute(_UPPER_BOUND, {"hi": wanted, "lo": lo or datetime.min.replace(tzinfo=UTC)})
        hi, first_pending = cur.fetchone()
        if first_pending is not None:
            hi = min(hi, first_pending + max_catchup)
        if lo is not None and hi <= lo:
            # Nothing new can be read: caught up unless the window ends past the watermark.
            return RollupResult(lo, lo, 0, 0, 0, 0, 0, 0, caught_up=lo >= wanted)
        lookback_start = _hour_floor(window_end - lookback)
        cur.execute(_NEW_EVENTS, {"lo": lo or datetime.min.replace(tzinfo=UTC), "hi": hi, "lookback": lookback_start})
        new = cur.fetchall()
        hours = sorted(hour for hour, counted, _ in new if counted > 0)
        counted = sum(r[1] for r in new)
        too_late = sum(r[2] for r in new)
        written, deleted = _recompute(cur, hours, remaining_s)
        cur.execute("UPDATE rollup_watermarks SET value_at = %s, updated_at = now() WHERE name = %s", (hi, WATERMARK))
    return RollupResult(
        window_from=lo,
        window_to=hi,
        events=counted,
        late_events_skipped=too_late,
        hours=len(hours),
        days=len({_day(h) for h in hours}),
        hourly_rows_written=written[0],
        daily_rows_written=written[1],
        hourly_rows_deleted=deleted[0],
        daily_rows_deleted=deleted[1],
        caught_up=hi >= wanted,
    )


def recompute_range(
    conn: psycopg.Connection, *, start: datetime, end: datetime, remaining_s: RemainingSeconds | None = None
) -> RollupResult:
    """Recompute every hour bucket in ``[start, end)`` from the raw events (a backfill or a re-run).

    Buckets whose events were deleted disappear. The watermark is not moved
    (this corrects history, it does not consume new events), but its lock is
    taken so a concurrent incremental run does not recompute the same buckets
    at the same time.
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
        _check_time(cur, remaining_s, "locking the watermark")
        cur.execute(_WORK_MEM)
        cur.execute(_LOCK_WATERMARK, (WATERMARK,))
        cur.execute(
            "SELECT count(*) FROM content_events WHERE occurred_at >= %s AND occurred_at < %s", (hours[0], hour)
        )
        events = cur.fetchone()[0]
        written, deleted = _recompute(cur, hours, remaining_s)
    return RollupResult(
        window_from=hours[0],
        window_to=hour,
        events=events,
        late_events_skipped=0,
        hours=len(hours),
        days=len({_day(h) for h in hours}),
        hourly_rows_written=written[0],
        daily_rows_written=written[1],
        hourly_rows_deleted=deleted[0],
        daily_rows_deleted=deleted[1],
    )


def _recompute(
    cur: psycopg.Cursor, hours: list[datetime], remaining_s: RemainingSeconds | None
) -> tuple[tuple[int, int], tuple[int, int]]:
    """((hourly, daily) rows written, (hourly, daily) rows deleted)."""
    if not hours:
        return (0, 0), (0, 0)
    _check_time(cur, remaining_s, "recomputing hourly rollups")
    cur.execute(_RECOMPUTE_HOURLY, {"buckets": hours})
    hourly_written, hourly_deleted, _ = cur.fetchone()
    _check_time(cur, remaining_s, "recomputing daily rollups")
    cur.execute(_RECOMPUTE_DAILY, {"buckets": sorted({_day(h) for h in hours})})
    daily_written, daily_deleted, _ = cur.fetchone()
    return (hourly_written, daily_written), (hourly_deleted, daily_deleted)


def _check_time(cur: psycopg.Cursor, remaining_s: RemainingSeconds | None, phase: str) -> None:
    """Refuse to start a phase without time for it, and keep its statements inside that time."""
    if remaining_s is None:
        return
    left = remaining_s()
    if left < MIN_PHASE_S:
        # The transaction rolls back; the message is retried (or the next schedule continues).
        raise TransientError("rollup_out_of_time", f"{max(left, 0):.1f}s left before {phase}")
    cur.execute(_CAP_STATEMENT_TIMEOUT, {"ms": int(left * 1000)})


def _cursor(conn: psycopg.Connection) -> psycopg.Cursor:
    from psycopg.rows import tuple_row

    return conn.cursor(row_factory=tuple_row)


def _hour_floor(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _day(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
