"""Reading trend snapshots for GET /v1/trends: the latest, or one window's."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

_COLUMNS = "id, window_start, created_at, growth, summary, model, source_errors, source_reports"


def snapshot(conn: psycopg.Connection, window: datetime | None) -> dict[str, Any] | None:
    """The snapshot of `window` (its start), or the latest one when None; None if there is none."""
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        if window is None:
            cur.execute(f"SELECT {_COLUMNS} FROM trend_snapshots ORDER BY window_start DESC LIMIT 1")
        else:
            cur.execute(f"SELECT {_COLUMNS} FROM trend_snapshots WHERE window_start = %s", (window,))
        return cur.fetchone()
