"""One video request: which job analyses which object version, and the analysis run through the shared job lifecycle.

An upload's job (keyed by its object key) belongs to the first object version
that reaches it (its ETag is pinned on the job); a later upload of the same
key is a new version with its own job, so a re-upload during an analysis is
analysed too. The job is started by `common.lifecycle`, and only then is the
version's `video_analyses` row claimed: a version held by another job's live
attempt makes this job wait (a transient `analysis_in_progress`, retried
until that attempt has finished), and a finished version settles this job with
its outcome. So one object version is analysed by one attempt at a time,
whichever jobs ask for it.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import ai_spend, completion, db, job_store, jobs, lifecycle
from common.deadline import Deadline
from common.errors import PermanentError, TransientError
from common.messages import Delivery
from common.settings import ai_budget_settings
from common.spend_guard import SYSTEM_CALLER, Spender, SpendGuard
from video import analysis, features, frames, probe, repository, sampling, scenes, storage
from video.messages import VideoRequest
from video.settings import VideoSettings

logger = logging.getLogger(__name__)

# The model call needs at least this long to be worth starting.
MIN_ANALYSIS_S = 5.0


def process(
    request: VideoRequest,
    settings: VideoSettings,
    deadline: Deadline,
    client_factory: Callable[[], Any],
    delivery: Delivery,
) -> lifecycle.Outcome:
    try:
        obj = storage.head(request.bucket, request.key, settings.uploads_bucket)
    except PermanentError as err:
        return _fail_without_object(request, err)
    with db.connection() as conn:
        job = _job_for(conn, request, obj)
    held: list[repository.AnalysisRow] = []

    def work(attempt: jobs.Job) -> lifecycle.Done:
        with db.connection() as conn:
            row = repository.claim(conn, attempt.id, obj.bucket, obj.key, obj.etag, obj.size)
        if row.status == "succeeded":
            return lifecycle.Done({"analysisId": row.id, "duplicate": True})
        if row.status == "failed":
            reason, _, message = (row.error or "failed: unknown").partition(": ")
            raise PermanentError(reason, message)
        if row.job_id != attempt.id:
            raise TransientError(
                "analysis_in_progress", f"job {row.job_id} is analysing this object version; this job takes its result"
            )
        held.append(row)
        with db.connection() as conn:
            caller = ai_spend.job_owner(conn, attempt.id) or SYSTEM_CALLER
        guard = SpendGuard(db.connection, Spender(caller, "video", attempt.id), ai_budget_settings())
        result = _analyse(obj, settings, deadline, client_factory, guard)
        return lifecycle.Done(_summary(row.id, result), save=lambda conn: repository.succeed(conn, row, **result))

    def on_failure(conn: Any, err: PermanentError) -> None:
        for row in held:
            repository.fail(conn, row, err.reason, err.message)

    return lifecycle.run(db.connection, job, work, deadline=deadline, delivery=delivery, on_failure=on_failure)


def _analyse(
    obj: storage.ObjectInfo,
    settings: VideoSettings,
    deadline: Deadline,
    client_factory: Callable[[], Any],
    guard: SpendGuard,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=settings.work_dir, prefix="video-") as tmp:
        path = Path(tmp) / "upload"
        # The limits from the HEAD's size and the container header, before paying for the whole object.
        probe.check_limits(obj, max_bytes=settings.max_bytes, max_duration_s=settings.max_duration_s)
        storage.download(obj, path, settings.max_bytes)
        deadline.check(MIN_ANALYSIS_S)
        info = probe.probe(path)
        if info.duration_s > settings.max_duration_s:
            raise PermanentError(
                "too_long", f"the video is {info.duration_s:.1f} s long; the limit is {settings.max_duration_s:g} s"
            )
        sampled = sampling.sample(
            path,
            info,
            fps=settings.sample_fps,
            max_frames=settings.max_sampled_frames,
            model_max_side=settings.model_frame_max_side,
            check_time=lambda: deadline.check(MIN_ANALYSIS_S),
            threads=settings.decode_threads,
        )
    cuts = scenes.detect_cuts(sampled.samples, sampled.decoded, sampled.packets, sampled.cut_intervals)
    feats = features.compute(info, sampled.samples, cuts)
    chosen = frames.model_frames(sampled.samples, cuts, settings.frames_for_model)
    del sampled
    deadline.check(MIN_ANALYSIS_S)
    answer = analysis.analyse(
        client_factory(),
        model=settings.model,
        frames=chosen,
        features=feats,
        deadline=deadline.at,
        max_tokens=settings.analysis_max_tokens,
        guard=guard,
    )
    return {
        "features": feats,
        "frames": [f.metadata() for f in chosen],
        "model": answer.model,
        "analysis": {**answer.answer, "usage": answer.usage, "attempts": answer.attempts},
    }


def _job_for(conn: Any, request: VideoRequest, obj: storage.ObjectInfo) -> jobs.Job:
    """The request's job; an upload's is the key's job if it is this version's, else the version's own."""
    if request.job_id is not None:
        job = job_store.get_job(conn, request.job_id)
        if job is None:
            raise PermanentError("job_not_found", f"job {request.job_id} does not exist")
        return job
    payload = {"bucket": obj.bucket, "key": obj.key, "etag": obj.etag}
    key = jobs.upload_key(obj.bucket, obj.key)
    job = job_store.get_job_by_key(conn, key) or job_store.create_job(conn, "video", payload, idempotency_key=key)[0]
    if "etag" not in job.payload:
        # The job the upload URL was issued with: the first version to arrive takes it, once.
        job = job_store.pin_payload(conn, job.id, "etag", obj.etag)
    if job.payload.get("etag") == obj.etag:
        return job
    return job_store.create_job(conn, "video", payload, idempotency_key=f"{key}#{obj.etag}")[0]


def _fail_without_object(request: VideoRequest, err: PermanentError) -> lifecycle.Outcome:
    """The object is gone (or unreadable for good): record it on the request's job or the key's, if not started."""
    with db.connection() as conn:
        key = jobs.upload_key(request.bucket, request.key)
        job = job_store.get_job(conn, request.job_id) if request.job_id else job_store.get_job_by_key(conn, key)
        if job is None and request.job_id is not None:
            # As when the object exists (_job_for): a message naming no job is dropped, whatever S3 says.
            raise PermanentError("job_not_found", f"job {request.job_id} does not exist")
        if job is None:
            payload = {"bucket": request.bucket, "key": request.key}
            job = job_store.create_job(conn, "video", payload, idempotency_key=key)[0]
        failed = job_store.fail_unstarted(conn, job.id, err)
    # After the commit, as the lifecycle does for every job it ends.
    completion.announce(failed or job)
    return lifecycle.Outcome("failed", failed or job, err.reason)


def _summary(analysis_id: int, result: dict[str, Any]) -> dict[str, Any]:
    feats = result["features"]
    return {
        "analysisId": analysis_id,
        "durationS": feats["duration_s"],
        "orientation": feats["orientation"],
        "cutCount": feats["cut_count"],
        "model": result["model"],
    }
