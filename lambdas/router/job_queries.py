"""The router's reads of jobs beyond one by id: a caller's jobs a page at a time, and what a job produced.

A page is a keyset over (created_at, id), newest first: the next page starts
strictly after the last row served, so a job inserted meanwhile never shifts
a page (OFFSET would repeat a row for every insert) and the read stays on the
owner's index entries (migration 0012) however deep the page is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from common import jobs
from router.job_store import job_columns

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class Position:
    """Where a page ends: the last job served."""

    created_at: datetime
    id: uuid.UUID


def list_owned_jobs(
    conn: psycopg.Connection,
    owner: str,
    *,
    limit: int,
    task: str | None = None,
    status: str | None = None,
    after: Position | None = None,
) -> tuple[list[jobs.Job], Position | None]:
    """Up to `limit` of the owner's jobs after `after`, newest first, and where the next page starts (None: no more)."""
    from psycopg import sql
    from psycopg.rows import class_row

    # md5(owner) is what the indexes (migration 0012) are keyed by; the owner itself settles it.
    where = [sql.SQL("md5(owner) = md5(%(owner)s) AND owner = %(owner)s")]
    if task is not None:
        where.append(sql.SQL("task = %(task)s"))
    if status is not None:
        where.append(sql.SQL("status = %(status)s"))
    if after is not None:
        where.append(sql.SQL("(created_at, id) < (%(at)s, %(id)s)"))
    query = sql.SQL(
        "SELECT {columns} FROM jobs WHERE owner IS NOT NULL AND {where} ORDER BY created_at DESC, id DESC LIMIT %(n)s"
    ).format(columns=sql.SQL(job_columns()), where=sql.SQL(" AND ").join(where))
    params = {
        "owner": owner,
        "task": task,
        "status": status,
        "at": after.created_at if after else None,
        "id": after.id if after else None,
        # One more than the page: whether a next page exists, without a count.
        "n": limit + 1,
    }
    with conn.transaction(), conn.cursor(row_factory=class_row(jobs.Job)) as cur:
        cur.execute(query, params)
        rows = cur.fetchall()
    page = rows[:limit]
    more = len(rows) > limit
    return page, Position(page[-1].created_at, page[-1].id) if more and page else None


def job_output(conn: psycopg.Connection, job: jobs.Job) -> dict[str, Any] | None:
    """What the job's worker stored beyond its result summary: a video's analysis, a trends run's snapshot."""
    if job.task == "video":
        return _video_output(conn, job)
    if job.task == "trends":
        return _trends_output(conn, job)
    return None


def job_webhooks(conn: psycopg.Connection, job_id: uuid.UUID) -> list[dict[str, Any]]:
    """The job's completion webhooks: each delivery (event x endpoint) with every attempt at it, oldest first."""
    with conn.transaction():
        deliveries = conn.execute(
            "SELECT message_id, endpoint, event_type, status, delivered_at FROM webhook_deliveries "
            "WHERE job_id = %s ORDER BY created_at, endpoint",
            (job_id,),
        ).fetchall()
        attempts = conn.execute(
            "SELECT message_id, endpoint, attempt, status_code, error, duration_ms, at FROM webhook_attempts "
            "WHERE job_id = %s ORDER BY id",
            (job_id,),
        ).fetchall()
    names = ("message_id", "endpoint", "attempt", "status_code", "error", "duration_ms", "at")
    by_delivery: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for raw in attempts:
        a = _as_dict(raw, names)
        by_delivery.setdefault((a["message_id"], a["endpoint"]), []).append(
            {
                "attempt": a["attempt"],
                "at": _iso(a["at"]),
                "statusCode": a["status_code"],
                "error": a["error"],
                "durationMs": a["duration_ms"],
            }
        )
    views = []
    for raw in deliveries:
        d = _as_dict(raw, ("message_id", "endpoint", "event_type", "status", "delivered_at"))
        views.append(
            {
                "webhookId": d["message_id"],
                "endpoint": d["endpoint"],
                "event": d["event_type"],
                "status": d["status"],
                "deliveredAt": _iso(d["delivered_at"]),
                "attempts": by_delivery.get((d["message_id"], d["endpoint"]), []),
            }
        )
    return views


def _video_output(conn: psycopg.Connection, job: jobs.Job) -> dict[str, Any] | None:
    # A job whose object version another job had analysed points at that analysis (`analysisId`).
    analysis_id = job.result.get("analysisId") if isinstance(job.result, dict) else None
    condition, value = ("id = %s", analysis_id) if isinstance(analysis_id, int) else ("job_id = %s", job.id)
    with conn.transaction():
        row = conn.execute(
            "SELECT id, bucket, key, etag, size_bytes, status, model, features, analysis, frames, error, completed_at "
            f"FROM video_analyses WHERE {condition} ORDER BY id DESC LIMIT 1",
            (value,),
        ).fetchone()
    if row is None:
        return None
    row = _as_dict(
        row,
        (
            "id",
            "bucket",
            "key",
            "etag",
            "size_bytes",
            "status",
            "model",
            "features",
            "analysis",
            "frames",
            "error",
            "completed_at",
        ),
    )
    return {
        "kind": "video",
        "analysisId": row["id"],
        "bucket": row["bucket"],
        "key": row["key"],
        "etag": row["etag"],
        "sizeBytes": row["size_bytes"],
        "status": row["status"],
        "model": row["model"],
        "features": row["features"],
        "analysis": row["analysis"],
        "frames": row["frames"],
        "error": row["error"],
        "completedAt": _iso(row["completed_at"]),
    }


def _trends_output(conn: psycopg.Connection, job: jobs.Job) -> dict[str, Any] | None:
    with conn.transaction():
        row = conn.execute(
            "SELECT window_start, items, growth, summary, model, source_errors FROM trend_snapshots WHERE job_id = %s",
            (job.id,),
        ).fetchone()
    if row is None:
        return None
    row = _as_dict(row, ("window_start", "items", "growth", "summary", "model", "source_errors"))
    return {
        "kind": "trends",
        "windowStart": _iso(row["window_start"]),
        "items": row["items"],
        "growth": row["growth"],
        "summary": row["summary"],
        "model": row["model"],
        "sourceErrors": row["source_errors"],
    }


def _as_dict(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    # The container's connection returns dict rows; a caller's plain connection, tuples.
    return row if isinstance(row, dict) else dict(zip(names, row, strict=True))


def _iso(value: datetime | None) -> str | None:
    from datetime import UTC

    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")
