"""`trend_snapshots` reads and writes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

_COLUMNS = "id, window_start, items, growth, summary, model, source_errors"


@dataclass(frozen=True)
class Snapshot:
    id: int
    window_start: datetime
    items: list[dict[str, Any]]
    growth: dict[str, Any]
    summary: str | None
    model: str | None
    source_errors: list[dict[str, Any]]


def get_snapshot(conn: psycopg.Connection, window_start: datetime) -> Snapshot | None:
    with conn.transaction(), _cursor(conn) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM trend_snapshots WHERE window_start = %s", (window_start,))
        return cur.fetchone()


def previous_snapshot(conn: psycopg.Connection, before: datetime) -> Snapshot | None:
    """The latest earlier snapshot of every source: an all-failed window, or an
    on-demand one limited to some sources (payload ``sources``), is no baseline."""
    with conn.transaction(), _cursor(conn) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM trend_snapshots s WHERE window_start < %s AND items <> '[]'::jsonb "
            "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = s.job_id AND j.payload ? 'sources') "
            "ORDER BY window_start DESC LIMIT 1",
            (before,),
        )
        return cur.fetchone()


def insert_snapshot(
    conn: psycopg.Connection,
    *,
    job_id: uuid.UUID | None,
    window_start: datetime,
    items: list[dict[str, Any]],
    growth: dict[str, Any],
    source_errors: list[dict[str, Any]],
) -> Snapshot:
    """Insert the window's snapshot; if one exists already (a concurrent duplicate), return that one."""
    from psycopg.types.json import Jsonb

    with conn.transaction(), _cursor(conn) as cur:
        cur.execute(
            "INSERT INTO trend_snapshots (job_id, window_start, items, growth, source_errors) "
            f"VALUES (%s, %s, %s, %s, %s) ON CONFLICT (window_start) DO NOTHING RETURNING {_COLUMNS}",
            (job_id, window_start, Jsonb(items), Jsonb(growth), Jsonb(source_errors)),
        )
        row = cur.fetchone()
    return row or get_snapshot(conn, window_start)  # type: ignore[return-value]


def set_summary(conn: psycopg.Connection, snapshot_id: int, summary: str, model: str) -> None:
    with conn.transaction():
        conn.execute("UPDATE trend_snapshots SET summary = %s, model = %s WHERE id = %s", (summary, model, snapshot_id))


def _cursor(conn: psycopg.Connection) -> psycopg.Cursor:
    from psycopg.rows import class_row

    return conn.cursor(row_factory=class_row(Snapshot))
