"""One video request, end to end: job and row bookkeeping around the analysis pipeline.

Idempotent on (bucket, key, ETag): the `video_analyses` row is claimed first,
and a row that already finished makes a duplicate delivery a no-op.
Permanent failures are recorded on the job and the row and acknowledged;
transient ones put the job back to queued and propagate so SQS retries.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import db, jobs
from common.errors import PermanentError, TransientError, WorkerError
from video import analysis, features, frames, probe, repository, sampling, scenes, storage
from video.messages import VideoRequest
from video.settings import VideoSettings

logger = logging.getLogger(__name__)

# The model call needs at least this long to be worth starting.
MIN_ANALYSIS_S = 5.0


@dataclass(frozen=True)
class Outcome:
    status: str  # succeeded | failed | duplicate
    job_id: str | None
    reason: str | None = None


class Deadline:
    """Time left before the function must stop (monotonic clock, like the Azure client)."""

    def __init__(self, at: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.at = at
        self._clock = clock

    def left(self) -> float:
        return self.at - self._clock()

    def check(self, needed: float = 0.0) -> None:
        if self.left() < needed:
            raise TransientError("out_of_time", "stopped before the Lambda timeout; the message goes back to the queue")


def process(request: VideoRequest, settings: VideoSettings, deadline: Deadline, client_factory: Callable[[], Any]) -> Outcome:
    try:
        obj = storage.head(request.bucket, request.key)
    except PermanentError as err:
        return _fail_without_object(request, err)
    with db.connection() as conn:
        job = _job_for(conn, request, obj)
        row = repository.claim(conn, job.id, obj.bucket, obj.key, obj.etag, obj.size)
        if row.status in ("succeeded", "failed"):
            _settle_duplicate(conn, job, row)
            return Outcome("duplicate", str(job.id), row.status)
        if jobs.start_job(conn, job.id) is None:
            return Outcome("duplicate", str(job.id), job.status)
    try:
        result = _analyse(obj, settings, deadline, client_factory)
    except PermanentError as err:
        with db.connection() as conn:
            repository.fail(conn, row.id, err.reason, err.message)
            jobs.fail_job_with(conn, job.id, err)
        logger.warning("video failed permanently", extra={"job_id": str(job.id), "reason": err.reason})
        return Outcome("failed", str(job.id), err.reason)
    except TransientError as err:
        # Best effort: the job shows why it is waiting; SQS redelivers either way.
        with contextlib.suppress(WorkerError), db.connection() as conn:
            jobs.fail_job_with(conn, job.id, err)
        raise
    with db.connection() as conn, conn.transaction():
        repository.succeed(conn, row.id, **result)
        jobs.succeed_job(conn, job.id, _summary(row.id, result))
    return Outcome("succeeded", str(job.id))


def _analyse(obj: storage.ObjectInfo, settings: VideoSettings, deadline: Deadline, client_factory: Callable[[], Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=settings.work_dir, prefix="video-") as tmp:
        path = Path(tmp) / "upload"
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
        )
    cuts = scenes.detect_cuts(sampled.samples, sampled.decoded, sampled.packets)
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
    )
    return {
        "features": feats,
        "frames": [f.metadata() for f in chosen],
        "model": answer.model,
        "analysis": {**answer.answer, "usage": answer.usage, "attempts": answer.attempts},
    }


def _job_for(conn: Any, request: VideoRequest, obj: storage.ObjectInfo) -> jobs.Job:
    """The request's job; an upload without one gets one, keyed by its object key.

    A key re-uploaded after its job finished is a new object version: its job
    is keyed by key and ETag.
    """
    payload = {"bucket": obj.bucket, "key": obj.key, "etag": obj.etag}
    if request.job_id is not None:
        job = jobs.get_job(conn, request.job_id)
        if job is None:
            raise PermanentError("job_not_found", f"job {request.job_id} does not exist")
        return job
    key = jobs.upload_key(obj.bucket, obj.key)
    job = jobs.get_job_by_key(conn, key)
    if job is None:
        return jobs.create_job(conn, "video", payload, idempotency_key=key)[0]
    if not job.is_terminal:
        return job
    existing = repository.find(conn, obj.bucket, obj.key, obj.etag)
    if existing is not None and existing.job_id == job.id:
        return job
    return jobs.create_job(conn, "video", payload, idempotency_key=f"{key}#{obj.etag}")[0]


def _settle_duplicate(conn: Any, job: jobs.Job, row: repository.AnalysisRow) -> None:
    """A duplicate of a finished object version: its job, if still open, gets the same outcome."""
    if job.is_terminal:
        return
    if row.status == "succeeded":
        jobs.succeed_job(conn, job.id, {"analysisId": row.id, "duplicate": True})
    else:
        reason, _, message = (row.error or "failed: unknown").partition(": ")
        jobs.fail_job(conn, job.id, permanent=True, reason=reason, message=message)


def _fail_without_object(request: VideoRequest, err: PermanentError) -> Outcome:
    """The object is gone (or unreadable for good): record it on the request's job or the key's."""
    with db.connection() as conn:
        key = jobs.upload_key(request.bucket, request.key)
        job = jobs.get_job(conn, request.job_id) if request.job_id else jobs.get_job_by_key(conn, key)
        if job is None:
            payload = {"bucket": request.bucket, "key": request.key}
            job = jobs.create_job(conn, "video", payload, idempotency_key=key)[0]
        jobs.fail_job_with(conn, job.id, err)
    return Outcome("failed", str(job.id), err.reason)


def _summary(analysis_id: int, result: dict[str, Any]) -> dict[str, Any]:
    feats = result["features"]
    return {
        "analysisId": analysis_id,
        "durationS": feats["duration_s"],
        "orientation": feats["orientation"],
        "cutCount": feats["cut_count"],
        "model": result["model"],
    }


def record_malformed(job_id: Any, err: PermanentError) -> None:
    """A message that cannot be read: recorded on the job it names, if any (else only logged)."""
    if job_id is None:
        return
    with db.connection() as conn:
        if jobs.get_job(conn, job_id) is not None:
            jobs.fail_job_with(conn, job_id, err)
