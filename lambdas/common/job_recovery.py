"""Recovering jobs no attempt will finish, for the sweeper and the operator's re-run.

Bulk transitions over the `jobs` table that no single worker makes: a job
whose last attempt died with its lease (`fail_abandoned`, `requeue_abandoned`),
a queued job whose message was lost (`claim_stale_queued`), and a failed job an
operator runs again (`requeue_failed`). Each writes its `job_events` rows in
the same transaction, like `common.job_store`, whose row helpers it shares.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from common.job_store import ABANDONED, JOB_COLUMNS, RESENT, as_job_id, job_cursor, record_transition
from common.jobs import MAX_ERROR_CHARS, RETRIES_EXHAUSTED, Job

if TYPE_CHECKING:
    import psycopg

# Why a job whose lease ran out long ago is moved: its attempt can no longer say.
_DIED = "its last attempt stopped without recording an outcome (timeout or out of memory)"


def fail_abandoned(conn: psycopg.Connection, *, grace_s: float) -> list[Job]:
    """Fail as `retries_exhausted` the jobs still running `grace_s` after their lease ran out; the jobs failed.

    The last delivery of such a job died hard (a timeout, out of memory), so
    nothing will finish it. `retries_exhausted` keeps a DLQ redrive able to
    run it again. For a periodic sweeper: a job whose message is still being
    retried starts again (and takes a new lease) long before `grace_s`.
    """
    return _move(
        conn,
        f"UPDATE jobs SET status = 'failed', error_reason = %s, error = '{_DIED}', "
        f"finished_at = now(), updated_at = now(), lease_until = NULL "
        f"WHERE status = 'running' AND lease_until < now() - make_interval(secs => %s) RETURNING {JOB_COLUMNS}",
        (RETRIES_EXHAUSTED, float(grace_s)),
        reason=RETRIES_EXHAUSTED,
        detail=_DIED,
    )


def claim_stale_queued(conn: psycopg.Connection, *, grace_s: float, limit: int) -> list[Job]:
    """Queued jobs untouched for `grace_s`, touched now and recorded as re-sent; the caller sends their envelopes.

    Their SQS send may have been lost (the API committed the row, then died or
    was refused). Touching `updated_at` in the claim makes the next re-send wait
    another `grace_s`, and `SKIP LOCKED` keeps two sweeps from claiming one job.
    A copy of a message that was not lost after all is harmless: the job's
    lease and its terminal states make the second delivery a no-op.
    """
    return _move(
        conn,
        f"UPDATE jobs SET updated_at = now() WHERE id IN ("
        f"SELECT id FROM jobs WHERE status = 'queued' AND updated_at < now() - make_interval(secs => %s) "
        f"AND (not_before IS NULL OR not_before <= now()) "
        f"ORDER BY updated_at LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING {JOB_COLUMNS}",
        (float(grace_s), int(limit)),
        reason=RESENT,
        detail=f"still queued after {grace_s:.0f} s: its message was sent again",
    )


def requeue_abandoned(conn: psycopg.Connection, *, grace_s: float, max_attempts: Mapping[str, int]) -> list[Job]:
    """running -> queued (`abandoned`) for jobs `grace_s` past their lease with attempts left; the caller re-sends them.

    `max_attempts` is each task's queue `maxReceiveCount`: a job that took that
    many attempts is left for `fail_abandoned`. A task missing from it has none left.
    Attempts deferred for lack of AI budget (`deferrals`) did no work and do not count.
    """
    from psycopg.types.json import Jsonb

    return _move(
        conn,
        f"UPDATE jobs SET status = 'queued', error_reason = %s, lease_until = NULL, updated_at = now(), "
        f"error = '{_DIED}' WHERE status = 'running' AND lease_until < now() - make_interval(secs => %s) "
        f"AND attempts - deferrals < COALESCE((%s::jsonb ->> task)::int, 0) RETURNING {JOB_COLUMNS}",
        (ABANDONED, float(grace_s), Jsonb(dict(max_attempts))),
        reason=ABANDONED,
        detail="its lease ran out with attempts left: sent to its queue again",
    )


def requeue_failed(conn: psycopg.Connection, job_id: uuid.UUID | str, *, note: str) -> Job | None:
    """failed -> queued, error and result cleared: an operator's re-run.

    The one deliberate exception to "a finished job never changes" (which keeps
    duplicate deliveries from reviving jobs); None if the job was not failed.
    """
    with conn.transaction():
        with job_cursor(conn, Job) as cur:
            cur.execute(
                f"UPDATE jobs SET status = 'queued', error = NULL, error_reason = NULL, result = NULL, "
                f"finished_at = NULL, updated_at = now() WHERE id = %s AND status = 'failed' RETURNING {JOB_COLUMNS}",
                (as_job_id(job_id),),
            )
            job = cur.fetchone()
        if job is not None:
            record_transition(conn, job, reason="rerun", detail=note[:MAX_ERROR_CHARS])
        return job


def _move(conn: psycopg.Connection, sql: str, params: tuple, *, reason: str, detail: str) -> list[Job]:
    """Run one bulk transition (an UPDATE ... RETURNING the jobs) and record each job's event, in one transaction."""
    with conn.transaction():
        with job_cursor(conn, Job) as cur:
            cur.execute(sql, params)
            jobs = cur.fetchall()
        for job in jobs:
            record_transition(conn, job, reason=reason, detail=detail)
        return jobs
