"""What a short-form creator wants to know about a video, from its probe, samples and cuts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from video.probe import VideoInfo
from video.samples import Sample

# Frames closer than this (a stream with duplicate times) count as this far apart.
_MIN_GAP_S = 0.04


def brightness(samples: Sequence[Sample]) -> list[float]:
    """Mean luma of each sample, 0 (black) to 1 (white)."""
    return [round(float(s.thumb.mean()) / 255, 4) for s in samples]


def motion(samples: Sequence[Sample], cuts: Sequence[float]) -> list[float | None]:
    """Mean absolute luma change per second from the previous sample, 0 to 1.

    A sample's frame may be up to half a step from its time (sampling takes
    the cheapest frame there), so the change between two samples' frames is
    divided by the time between those frames (capped at 1). None for the
    first sample and across a cut, where the change is an edit, not movement.
    """
    values: list[float | None] = [None]
    for prev, cur in zip(samples, samples[1:], strict=False):
        crossed = any(prev.frame_t < c <= cur.frame_t for c in cuts)
        if crossed or prev.thumb.shape != cur.thumb.shape:
            values.append(None)
            continue
        diff = np.abs(cur.thumb.astype(np.int16) - prev.thumb.astype(np.int16))
        gap = max(cur.frame_t - prev.frame_t, _MIN_GAP_S)
        values.append(round(min(1.0, float(diff.mean()) / 255 / gap), 4))
    return values


def compute(info: VideoInfo, samples: Sequence[Sample], cuts: Sequence[float]) -> dict[str, Any]:
    light = brightness(samples)
    moves = motion(samples, cuts)
    known_moves = [m for m in moves if m is not None]
    minutes = info.duration_s / 60
    shots = [b - a for a, b in zip([0.0, *cuts], [*cuts, info.duration_s], strict=True)]
    return {
        **info.to_dict(),
        "aspect_ratio": round(info.width / info.height, 4),
        "scene_cuts": list(cuts),
        "cut_count": len(cuts),
        "cuts_per_minute": round(len(cuts) / minutes, 2) if minutes else 0.0,
        "time_to_first_cut_s": cuts[0] if cuts else None,
        "average_shot_s": round(sum(shots) / len(shots), 3),
        "sample_times_s": [s.t for s in samples],
        "sample_frame_times_s": [s.frame_t for s in samples],
        "brightness": light,
        "brightness_mean": round(sum(light) / len(light), 4),
        "motion": moves,
        "motion_mean": round(sum(known_moves) / len(known_moves), 4) if known_moves else 0.0,
    }
