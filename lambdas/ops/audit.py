"""The audit's database half: jobs nobody will finish, and jobs that finished more than once. No Lambda knowledge.

A job is *lost* when it is not terminal and nothing has moved it for longer
than the threshold (the sweeper's graces are the natural one: past them the
sweeper has already re-sent or settled what it could). A job is *duplicated*
when it has more than one result: two `succeeded` transitions in its history,
or two `video_analyses` rows. The CLI adds the DLQs and prints the verdict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

DEFAULT_OLDER_THAN_S = 3600


def audit(conn: psycopg.Connection, *, older_than_s: float) -> dict[str, Any]:
    """``{"lost": [...], "duplicated": [...]}``, each a JSON-ready job summary."""
    from psycopg.rows import dict_row

    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            'SELECT id::text AS "jobId", task, status, attempts, error_reason AS "errorReason", '
            'created_at::text AS "createdAt", updated_at::text AS "updatedAt" FROM jobs '
            "WHERE status NOT IN ('succeeded', 'failed') AND updated_at < now() - make_interval(secs => %s) "
            "ORDER BY updated_at",
            (float(older_than_s),),
        )
        lost = cur.fetchall()
        cur.execute(
            'SELECT j.id::text AS "jobId", j.task, j.status, '
            'COALESCE(e.n, 0) AS "succeededTransitions", COALESCE(a.n, 0) AS "videoAnalyses" FROM jobs j '
            "LEFT JOIN (SELECT job_id, count(*) AS n FROM job_events WHERE status = 'succeeded' GROUP BY job_id) e "
            "ON e.job_id = j.id "
            "LEFT JOIN (SELECT job_id, count(*) AS n FROM video_analyses GROUP BY job_id) a ON a.job_id = j.id "
            "WHERE COALESCE(e.n, 0) > 1 OR COALESCE(a.n, 0) > 1 ORDER BY j.created_at"
        )
        duplicated = cur.fetchall()
    return {"olderThanSeconds": older_than_s, "lost": lost, "duplicated": duplicated}
