"""`trend_snapshots` and `trend_source_state` reads and writes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

_COLUMNS = "id, window_start, items, growth, summary, model, source_errors, source_reports"


@dataclass(frozen=True)
class Snapshot:
    id: int
    window_start: datetime
    items: list[dict[str, Any]]
    growth: dict[str, Any]
    summary: str | None
    model: str | None
    source_errors: list[dict[str, Any]]
    # source name -> what it gave; a source is here only if it answered.
    source_reports: dict[str, Any]


def get_snapshot(conn: psycopg.Connection, window_start: datetime) -> Snapshot | None:
    with conn.transaction(), _cursor(conn) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM trend_snapshots WHERE window_start = %s", (window_start,))
        return cur.fetchone()


def last_answered(
    conn: psycopg.Connection, sources: Sequence[str], before: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Per source, the items of the latest earlier snapshot in which that source answered."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT ON (src) src, s.items FROM trend_snapshots s, unnest(%s::text[]) AS src "
            "WHERE s.window_start < %s AND s.source_reports ? src ORDER BY src, s.window_start DESC",
            (list(sources), before),
        )
        return {row["src"]: row["items"] for row in cur.fetchall()}


def insert_snapshot(
    conn: psycopg.Connection,
    *,
    job_id: uuid.UUID | None,
    window_start: datetime,
    items: list[dict[str, Any]],
    growth: dict[str, Any],
    source_errors: list[dict[str, Any]],
    source_reports: dict[str, Any],
) -> Snapshot:
    """Insert the window's snapshot; if one exists already (a concurrent duplicate), return that one."""
    from psycopg.types.json import Jsonb

    with conn.transaction(), _cursor(conn) as cur:
        cur.execute(
            "INSERT INTO trend_snapshots (job_id, window_start, items, growth, source_errors, source_reports) "
            f"VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (window_start) DO NOTHING RETURNING {_COLUMNS}",
            (job_id, window_start, Jsonb(items), Jsonb(growth), Jsonb(source_errors), Jsonb(source_reports)),
        )
        row = cur.fetchone()
    return row or get_snapshot(conn, window_start)  # type: ignore[return-value]


def set_summary(conn: psycopg.Connection, snapshot_id: int, summary: str, model: str) -> None:
    with conn.transaction():
        conn.execute("UPDATE trend_snapshots SET summary = %s, model = %s WHERE id = %s", (summary, model, snapshot_id))


def retry_after(conn: psycopg.Connection, at: datetime) -> dict[str, datetime]:
    """Sources that asked not to be fetched before a time still to come at ``at``."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT source, retry_after FROM trend_source_state WHERE retry_after > %s", (at,))
        return {row["source"]: row["retry_after"] for row in cur.fetchall()}


def set_retry_after(conn: psycopg.Connection, source: str, until: datetime, reason: str) -> None:
    with conn.transaction():
        conn.execute(
            "INSERT INTO trend_source_state (source, retry_after, reason) VALUES (%s, %s, %s) "
            "ON CONFLICT (source) DO UPDATE SET retry_after = EXCLUDED.retry_after, reason = EXCLUDED.reason, "
            "updated_at = now()",
            (source, until, reason),
        )


def _cursor(conn: psycopg.Connection) -> psycopg.Cursor:
    from psycopg.rows import class_row

    return conn.cursor(row_factory=class_row(Snapshot))
