"""The video worker's own settings, read once per container from the environment."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass

from common.errors import ConfigurationError

DEFAULT_MODEL = "Phi-4-multimodal-instruct"


@dataclass(frozen=True)
class VideoSettings:
    max_bytes: int = 500 * 1024 * 1024
    max_duration_s: float = 180.0
    sample_fps: float = 1.0
    max_sampled_frames: int = 180
    frames_for_model: int = 6
    model_frame_max_side: int = 512
    model: str = DEFAULT_MODEL
    analysis_max_tokens: int = 800
    # Work stops this long before the Lambda timeout so the batch can report.
    time_reserve_s: float = 10.0
    uploads_prefix: str = "uploads/"
    # The only bucket the worker reads (None: not configured, a ConfigurationError when an object is asked for).
    uploads_bucket: str | None = None
    work_dir: str = "/tmp"
    # None: as many decoder threads as CPUs this process may use (sampling.decode_threads).
    decode_threads: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> VideoSettings:
        d = cls()
        try:
            return cls(
                max_bytes=int(env.get("VIDEO_MAX_BYTES", d.max_bytes)),
                max_duration_s=float(env.get("VIDEO_MAX_DURATION_S", d.max_duration_s)),
                sample_fps=float(env.get("VIDEO_SAMPLE_FPS", d.sample_fps)),
                max_sampled_frames=int(env.get("VIDEO_MAX_SAMPLED_FRAMES", d.max_sampled_frames)),
                frames_for_model=int(env.get("VIDEO_FRAMES_FOR_MODEL", d.frames_for_model)),
                model_frame_max_side=int(env.get("VIDEO_MODEL_FRAME_MAX_SIDE", d.model_frame_max_side)),
                model=env.get("VIDEO_MODEL") or d.model,
                analysis_max_tokens=int(env.get("VIDEO_ANALYSIS_MAX_TOKENS", d.analysis_max_tokens)),
                time_reserve_s=float(env.get("VIDEO_TIME_RESERVE_S", d.time_reserve_s)),
                uploads_prefix=env.get("UPLOADS_PREFIX") or d.uploads_prefix,
                uploads_bucket=env.get("UPLOADS_BUCKET") or None,
                work_dir=env.get("VIDEO_WORK_DIR") or d.work_dir,
                decode_threads=_decode_threads(env),
            )
        except ValueError as exc:
            raise ConfigurationError(f"invalid video setting: {exc}") from None


@functools.cache
def video_settings() -> VideoSettings:
    return VideoSettings.from_env(os.environ)


def _decode_threads(env: Mapping[str, str]) -> int | None:
    from video.sampling import decode_threads

    return decode_threads(env) if env.get("VIDEO_DECODE_THREADS", "").strip() else None
