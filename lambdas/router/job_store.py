"""The one jobs-table write common.jobs has no helper for: undoing a job that never got queued."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg


def delete_unsent_job(conn: psycopg.Connection, job_id: uuid.UUID) -> None:
    # Only a still-queued job: a worker cannot have touched it without its message.
    conn.execute("DELETE FROM jobs WHERE id = %s AND status = 'queued' AND attempts = 0", (job_id,))
