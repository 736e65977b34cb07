"""One events file: find or create its job, import it through the shared job lifecycle, keep its report.

A file's job is keyed by its object version (bucket, key, ETag): S3 may
deliver the notification twice, and the second delivery finds the job done.
A new upload under the same key is a new version with its own job. Every
event is checked by the rules POST /v1/events applies (the stage's event
types, the rollups' look-back); writing under events/ is an operator's
right (the bucket's IAM), so any account may be named.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from common import completion, db, job_store, jobs, lifecycle
from common.deadline import Deadline
from common.errors import PermanentError
from common.events import EventRules
from common.messages import Delivery
from imports import importer, progress, storage
from imports.messages import ImportRequest
from imports.report import Report
from imports.settings import ImportSettings

logger = logging.getLogger(__name__)

TASK = "imports"
# A batch is not started with less time than this left.
MIN_BATCH_S = 5.0


def job_key(obj: storage.ObjectInfo) -> str:
    return f"{TASK}:{obj.bucket}/{obj.key}#{obj.etag}"


def process(
    request: ImportRequest, settings: ImportSettings, deadline: Deadline, delivery: Delivery
) -> lifecycle.Outcome:
    try:
        obj = storage.head(request.bucket, request.key, uploads_bucket=settings.uploads_bucket, prefix=settings.prefix)
    except PermanentError as err:
        return _fail_without_object(request, err)
    file = {"bucket": obj.bucket, "key": obj.key, "etag": obj.etag, "bytes": obj.size}
    with db.connection() as conn:
        job = _job_for(conn, request, obj, file)
    current: list[Report] = []

    def work(attempt: jobs.Job) -> lifecycle.Done:
        report = Report.resume(attempt.result, dict(file))
        current.append(report)

        def save(r: Report) -> None:
            with db.connection() as conn:
                progress.save(conn, attempt, r.to_dict(complete=False))

        importer.run(
            storage.chunks(obj),
            size=obj.size,
            report=report,
            rules=rules(settings),
            connection=db.connection,
            settings=settings,
            save=save,
            time_left=lambda: deadline.left() > MIN_BATCH_S,
        )
        return lifecycle.Done(report.to_dict(complete=True))

    def on_failure(conn: object, err: PermanentError) -> None:
        if current:
            stopped = {"line": current[-1].lines + 1, "reason": err.reason, "detail": err.message}
            progress.keep_on_failure(conn, job.id, current[-1].to_dict(complete=False, stopped=stopped))

    return lifecycle.run(db.connection, job, work, deadline=deadline, delivery=delivery, on_failure=on_failure)


def _job_for(conn: object, request: ImportRequest, obj: storage.ObjectInfo, file: dict) -> jobs.Job:
    """The job a re-sent envelope names, or the object version's own (created on first sight)."""
    if request.job_id is not None:
        job = job_store.get_job(conn, request.job_id)
        if job is None:
            raise PermanentError("job_not_found", f"job {request.job_id} does not exist")
        return job
    return job_store.create_job(conn, TASK, dict(file), idempotency_key=job_key(obj))[0]


def rules(settings: ImportSettings) -> EventRules:
    return EventRules(
        types=settings.event_types, lookback=settings.lookback, now=datetime.now(UTC), may_write=lambda _account: True
    )


def _fail_without_object(request: ImportRequest, err: PermanentError) -> lifecycle.Outcome:
    """The file is gone or not an events file: a failed job says so (keyed by the key: there is no version)."""
    with db.connection() as conn:
        payload = {"bucket": request.bucket, "key": request.key}
        job = job_store.create_job(conn, TASK, payload, idempotency_key=f"{TASK}:{request.bucket}/{request.key}")[0]
        failed = job_store.fail_unstarted(conn, job.id, err)
    # After the commit, as the lifecycle does for every job it ends.
    completion.announce(failed or job)
    logger.warning("events file not imported: %s", err)
    return lifecycle.Outcome("failed", failed or job, err.reason)
