"""The video worker's own settings, read once per container from the environment the Video stack sets.

Every value and its default live in the stage config (``video`` section); a missing or bad
variable is a ``ConfigurationError`` naming it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass

from common.settings import Env

# VIDEO_DECODE_THREADS: a whole number, or this word for as many as the CPUs this process may use.
AUTO = "auto"


@dataclass(frozen=True)
class VideoSettings:
    max_bytes: int
    max_duration_s: float
    sample_fps: float
    max_sampled_frames: int
    frames_for_model: int
    model_frame_max_side: int
    model: str
    analysis_max_tokens: int
    # Work stops this long before the Lambda timeout so the batch can report.
    time_reserve_s: float
    uploads_prefix: str
    # The only bucket the worker reads.
    uploads_bucket: str
    work_dir: str
    # None: as many decoder threads as CPUs this process may use (video.cpu_quota.usable_cpus).
    decode_threads: int | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> VideoSettings:
        e = Env(env)
        return cls(
            max_bytes=e.integer("VIDEO_MAX_BYTES", minimum=1),
            max_duration_s=e.number("VIDEO_MAX_DURATION_S", above=0),
            sample_fps=e.number("VIDEO_SAMPLE_FPS", above=0),
            max_sampled_frames=e.integer("VIDEO_MAX_SAMPLED_FRAMES", minimum=1),
            frames_for_model=e.integer("VIDEO_FRAMES_FOR_MODEL", minimum=1),
            model_frame_max_side=e.integer("VIDEO_MODEL_FRAME_MAX_SIDE", minimum=16),
            model=e.text("VIDEO_MODEL"),
            analysis_max_tokens=e.integer("VIDEO_ANALYSIS_MAX_TOKENS", minimum=1),
            time_reserve_s=e.number("VIDEO_TIME_RESERVE_S", above=0),
            uploads_prefix=e.text("UPLOADS_PREFIX"),
            uploads_bucket=e.text("UPLOADS_BUCKET"),
            work_dir=e.text("VIDEO_WORK_DIR"),
            decode_threads=None
            if e.text("VIDEO_DECODE_THREADS") == AUTO
            else e.integer("VIDEO_DECODE_THREADS", minimum=1),
        )


@functools.cache
def video_settings() -> VideoSettings:
    return VideoSettings.from_env(os.environ)
