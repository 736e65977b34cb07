"""The router's jobs-table access beyond common.jobs: who owns a job, and undoing an unsent one.

The `owner` column (migration 0005) is the router's concern only, so its SQL
lives here; the job itself is still created and read through common.jobs'
`Job`, so its state machine and history stay in one place.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from common import job_store, jobs

if TYPE_CHECKING:
    import psycopg


@dataclasses.dataclass(frozen=True)
class OwnedJob:
    job: jobs.Job
    owner: str | None  # the creating caller's JWT `sub`; None for scheduled and S3-direct jobs


def create_owned_job(
    conn: psycopg.Connection,
    task: str,
    payload: Mapping[str, Any],
    *,
    owner: str,
    idempotency_key: str | None = None,
) -> tuple[OwnedJob, bool]:
    """(job, created). With a key already used, the existing job and its owner.

    One transaction: no other session ever sees the new row without its owner.
    """
    with conn.transaction():
        job, created = job_store.create_job(conn, task, payload, idempotency_key=idempotency_key)
        if created:
            conn.execute("UPDATE jobs SET owner = %s WHERE id = %s", (owner, job.id))
            return OwnedJob(job, owner), True
        row = conn.execute("SELECT owner FROM jobs WHERE id = %s", (job.id,)).fetchone()
    return OwnedJob(job, _first(row)), False


def get_owned_job(conn: psycopg.Connection, job_id: uuid.UUID) -> OwnedJob | None:
    """The job and its owner in one query; None if there is no such job."""
    from psycopg.rows import dict_row

    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT owner, {job_columns()} FROM jobs WHERE id = %s", (job_id,))
        row = cur.fetchone()
    if row is None:
        return None
    owner = row.pop("owner")
    return OwnedJob(jobs.Job(**row), owner)


def delete_unsent_job(conn: psycopg.Connection, job_id: uuid.UUID) -> None:
    # Only a still-queued job: a worker cannot have touched it without its message.
    conn.execute("DELETE FROM jobs WHERE id = %s AND status = 'queued' AND attempts = 0", (job_id,))


@functools.cache
def job_columns() -> str:
    # Job's fields are the jobs table's column names; deriving the list keeps
    # this query in step when common.jobs adds one (as it did lease_until).
    return ", ".join(f.name for f in dataclasses.fields(jobs.Job))


def _first(row: Any) -> Any:
    if row is None:
        return None
    return next(iter(row.values())) if isinstance(row, dict) else row[0]
