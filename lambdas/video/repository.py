"""The `video_analyses` table: one row per S3 object version (bucket, key, ETag)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class AnalysisRow:
    id: int
    job_id: uuid.UUID | None
    status: str
    error: str | None


def claim(conn: psycopg.Connection, job_id: uuid.UUID, bucket: str, key: str, etag: str, size: int) -> AnalysisRow:
    """The row of this object version, created as running if new (a duplicate finds the existing one)."""
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO video_analyses (job_id, bucket, key, etag, size_bytes, status) "
            "VALUES (%s, %s, %s, %s, %s, 'running') ON CONFLICT (bucket, key, etag) DO NOTHING "
            "RETURNING id, job_id, status, error",
            (job_id, bucket, key, etag, size),
        ).fetchone()
        if row is None:
            row = conn.execute(
                "SELECT id, job_id, status, error FROM video_analyses WHERE bucket = %s AND key = %s AND etag = %s",
                (bucket, key, etag),
            ).fetchone()
    return AnalysisRow(**row)


def find(conn: psycopg.Connection, bucket: str, key: str, etag: str) -> AnalysisRow | None:
    with conn.transaction():
        row = conn.execute(
            "SELECT id, job_id, status, error FROM video_analyses WHERE bucket = %s AND key = %s AND etag = %s",
            (bucket, key, etag),
        ).fetchone()
    return AnalysisRow(**row) if row else None


def succeed(
    conn: psycopg.Connection,
    analysis_id: int,
    *,
    features: dict[str, Any],
    frames: list[dict[str, Any]],
    model: str,
    analysis: dict[str, Any],
) -> None:
    from psycopg.types.json import Jsonb

    conn.execute(
        "UPDATE video_analyses SET status = 'succeeded', features = %s, frames = %s, model = %s, analysis = %s, "
        "error = NULL, updated_at = now(), completed_at = now() WHERE id = %s",
        (Jsonb(features), Jsonb(frames), model, Jsonb(analysis), analysis_id),
    )


def fail(
    conn: psycopg.Connection, analysis_id: int, reason: str, message: str, features: dict[str, Any] | None = None
) -> None:
    from psycopg.types.json import Jsonb

    conn.execute(
        "UPDATE video_analyses SET status = 'failed', error = %s, features = COALESCE(%s, features), "
        "updated_at = now(), completed_at = now() WHERE id = %s",
        (f"{reason}: {message}"[:MAX_ERROR_CHARS], Jsonb(features) if features else None, analysis_id),
    )
