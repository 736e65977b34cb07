"""Saving an import's report on its job while the attempt runs (what a later attempt continues from)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

    from common.jobs import Job


def save(conn: psycopg.Connection, attempt: Job, result: dict[str, Any]) -> bool:
    """Store `result` on the job while this attempt still owns it; whether it did."""
    from psycopg.types.json import Jsonb

    with conn.transaction():
        cur = conn.execute(
            "UPDATE jobs SET result = %s, updated_at = now() WHERE id = %s AND status = 'running' AND attempts = %s",
            (Jsonb(result), attempt.id, attempt.attempts),
        )
        return cur.rowcount == 1


def keep_on_failure(conn: psycopg.Connection, job_id: Any, result: dict[str, Any]) -> None:
    """Store the report of a file whose reading had to stop on its failed job (its error says why)."""
    from psycopg.types.json import Jsonb

    conn.execute("UPDATE jobs SET result = %s WHERE id = %s AND status = 'failed'", (Jsonb(result), job_id))
