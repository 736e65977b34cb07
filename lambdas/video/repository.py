"""The `video_analyses` table: one row per S3 object version (bucket, key, ETag).

A row is written only by the job that holds it (`job_id`): finishing a row
another job has taken over changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

MAX_ERROR_CHARS = 2000
_COLUMNS = "id, job_id, status, error"


@dataclass(frozen=True)
class AnalysisRow:
    id: int
    job_id: uuid.UUID | None
    status: str
    error: str | None


def claim(conn: psycopg.Connection, job_id: uuid.UUID, bucket: str, key: str, etag: str, size: int) -> AnalysisRow:
    """The row of this object version, for `job_id` to analyse if nobody else may.

    A new version's row is created running for `job_id`. A running row held
    by another job is taken over only if that job has no live lease (its
    attempt died, gave up, or waits for a retry); held under a live lease, or
    finished, it is returned as it is. So one version is analysed by one live
    attempt at a time, whichever job asked: the caller analyses only a running
    row whose `job_id` is its own.
    """
    with conn.transaction():
        row = conn.execute(
            f"INSERT INTO video_analyses (job_id, bucket, key, etag, size_bytes, status) "
            f"VALUES (%s, %s, %s, %s, %s, 'running') ON CONFLICT (bucket, key, etag) DO NOTHING RETURNING {_COLUMNS}",
            (job_id, bucket, key, etag, size),
        ).fetchone()
        if row is not None:
            return AnalysisRow(**row)
        # A new statement after the lock: it sees the holder's lease, committed before the holder claimed.
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM video_analyses WHERE bucket = %s AND key = %s AND etag = %s FOR UPDATE",
            (bucket, key, etag),
        ).fetchone()
        if row["status"] != "running" or row["job_id"] == job_id or _held(conn, row["job_id"]):
            return AnalysisRow(**row)
        row = conn.execute(
            f"UPDATE video_analyses SET job_id = %s, updated_at = now() WHERE id = %s RETURNING {_COLUMNS}",
            (job_id, row["id"]),
        ).fetchone()
    return AnalysisRow(**row)


def _held(conn: psycopg.Connection, job_id: uuid.UUID | None) -> bool:
    """Whether that job is running under a live lease."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE id = %s AND status = 'running' AND lease_until >= now()) AS held",
        (job_id,),
    ).fetchone()
    return bool(row["held"])


def find(conn: psycopg.Connection, bucket: str, key: str, etag: str) -> AnalysisRow | None:
    with conn.transaction():
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM video_analyses WHERE bucket = %s AND key = %s AND etag = %s",
            (bucket, key, etag),
        ).fetchone()
    return AnalysisRow(**row) if row else None


def succeed(
    conn: psycopg.Connection,
    row: AnalysisRow,
    *,
    features: dict[str, Any],
    frames: list[dict[str, Any]],
    model: str,
    analysis: dict[str, Any],
) -> None:
    from psycopg.types.json import Jsonb

    conn.execute(
        "UPDATE video_analyses SET status = 'succeeded', features = %s, frames = %s, model = %s, analysis = %s, "
        "error = NULL, updated_at = now(), completed_at = now() WHERE id = %s AND job_id = %s AND status = 'running'",
        (Jsonb(features), Jsonb(frames), model, Jsonb(analysis), row.id, row.job_id),
    )


def fail(
    conn: psycopg.Connection, row: AnalysisRow, reason: str, message: str, features: dict[str, Any] | None = None
) -> None:
    from psycopg.types.json import Jsonb

    conn.execute(
        "UPDATE video_analyses SET status = 'failed', error = %s, features = COALESCE(%s, features), "
        "updated_at = now(), completed_at = now() WHERE id = %s AND job_id = %s AND status = 'running'",
        (f"{reason}: {message}"[:MAX_ERROR_CHARS], Jsonb(features) if features else None, row.id, row.job_id),
    )
