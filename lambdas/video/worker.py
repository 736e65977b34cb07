"""One video request, end to end: job and row bookkeeping around the analysis pipeline.

Idempotent on (bucket, key, ETag): the `video_analyses` row is claimed first,
and a row that already finished makes a duplicate delivery a no-op. The job
is then started under a lease (`common.jobs.start_job`), so a duplicate
delivered while another attempt is analysing the same video is acknowledged
instead of paying for the model twice.
Permanent failures are recorded on the job and the row and acknowledged;
transient ones put the job back to queued (or fail it as `retries_exhausted`
on the queue's last delivery, leaving the row open for a redrive) and
propagate so SQS retries or dead-letters the message.
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
from common.messages import Delivery
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


def process(
    request: VideoRequest,
    settings: VideoSettings,
    deadline: Deadline,
    client_factory: Callable[[], Any],
    delivery: Delivery,
) -> Outcome:
    try:
        obj = storage.head(request.bucket, request.key, settings.uploads_bucket)
    except PermanentError as err:
        return _fail_without_object(request, err)
    with db.connection() as conn:
        job = _job_for(conn, request, obj)
        row = repository.claim(conn, job.id, obj.bucket, obj.key, obj.etag, obj.size)
        if row.status in ("succeeded", "failed"):
            _settle_duplicate(conn, job, row)
            return Outcome("duplicate", str(job.id), row.status)
        # The lease lasts as long as this function can: the time left plus the reserve kept back from it.
        lease = jobs.lease_for(deadline.left() + settings.time_reserve_s)
        if jobs.start_job(conn, job.id, lease_seconds=lease) is None:
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
        _record_transient(job.id, err, delivery)
        raise
    except Exception as err:
        # A bug, not the video's fault: retried like a transient error, so the job never stays "running".
        _record_transient(job.id, TransientError("unexpected_error", f"{type(err).__name__}: {err}"), delivery)
        raise
    with db.connection() as conn, conn.transaction():
        repository.succeed(conn, row.id, **result)
        jobs.succeed_job(conn, job.id, _summary(row.id, result))
    return Outcome("succeeded", str(job.id))


def _record_transient(job_id: Any, err: TransientError, delivery: Delivery) -> None:
    """Best effort: the job shows why it waits (or that it gave up); SQS redelivers or dead-letters either way.

    The analysis row stays running, so a DLQ redrive can still take the job again.
    """
    with contextlib.suppress(WorkerError), db.connection() as conn:
        job = jobs.fail_job_with(conn, job_id, err, last_attempt=delivery.is_last_attempt)
        if job.status == "failed":
            logger.error("video gave up on the last delivery", extra={"job_id": str(job_id), "reason": err.reason})


def _analyse(
    obj: storage.ObjectInfo, settings: VideoSettings, deadline: Deadline, client_factory: Callable[[], Any]
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
        if job is None and request.job_id is not None:
            # As when the object exists (_job_for): a message naming no job is dropped, whatever S3 says.
            raise PermanentError("job_not_found", f"job {request.job_id} does not exist")
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
