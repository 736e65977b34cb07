"""The one write the ops CLI makes to ``jobs``: put a failed job back in the queue.

common.jobs keeps terminal jobs unchangeable on purpose (a duplicate delivery
must not revive them); an operator's re-run is the one deliberate exception,
so it lives here, beside the CLI, and writes its own ``job_events`` row.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg


def requeue_failed(conn: psycopg.Connection, job_id: uuid.UUID, *, operator_note: str) -> bool:
    """failed -> queued (error and result cleared); False if the job was not failed."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE jobs SET status = 'queued', error = NULL, error_reason = NULL, result = NULL, "
            "finished_at = NULL, updated_at = now() WHERE id = %s AND status = 'failed' RETURNING attempts",
            (job_id,),
        ).fetchone()
        if row is None:
            return False
        attempts = row["attempts"] if isinstance(row, dict) else row[0]
        conn.execute(
            "INSERT INTO job_events (job_id, status, attempt, reason, detail) VALUES (%s, 'queued', %s, 'rerun', %s)",
            (job_id, attempts, operator_note),
        )
    return True
