"""The K frames shown to the model: one per scene (longest scenes first), then evenly spread; as JPEG."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from video.samples import Sample


@dataclass(frozen=True)
class ModelFrame:
    t: float
    scene: int
    jpeg: bytes
    width: int
    height: int

    def metadata(self) -> dict[str, float | int]:
        return {"t": self.t, "scene": self.scene, "width": self.width, "height": self.height, "bytes": len(self.jpeg)}


def pick(samples: Sequence[Sample], cuts: Sequence[float], k: int) -> list[int]:
    """Indexes of up to `k` samples: the middle of each scene by length, then the most distant others."""
    if not samples:
        return []
    scene_of = [bisect.bisect_right(cuts, s.frame_t) for s in samples]
    scenes: dict[int, list[int]] = {}
    for i, scene in enumerate(scene_of):
        scenes.setdefault(scene, []).append(i)
    by_length = sorted(scenes.values(), key=len, reverse=True)
    chosen = [members[len(members) // 2] for members in by_length[:k]]
    while len(chosen) < min(k, len(samples)):
        # The sample farthest in time from every chosen one.
        best = max(
            (i for i in range(len(samples)) if i not in chosen),
            key=lambda i: min(abs(samples[i].t - samples[j].t) for j in chosen),
        )
        chosen.append(best)
    return sorted(chosen)


def encode_jpeg(rgb: np.ndarray) -> bytes:
    """JPEG with FFmpeg's own encoder (no Pillow in the asset)."""
    import av

    height, width = rgb.shape[:2]
    ctx = av.CodecContext.create("mjpeg", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width - width % 2, height - height % 2, "yuvj420p"
    ctx.time_base = 1
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[: ctx.height, : ctx.width]), format="rgb24")
    packets = [*ctx.encode(frame.reformat(format="yuvj420p")), *ctx.encode(None)]
    return b"".join(bytes(p) for p in packets)


def model_frames(samples: Sequence[Sample], cuts: Sequence[float], k: int) -> list[ModelFrame]:
    frames = []
    for i in pick(samples, cuts, k):
        s = samples[i]
        rgb = s.rgb()
        frames.append(
            ModelFrame(s.t, bisect.bisect_right(cuts, s.frame_t), encode_jpeg(rgb), rgb.shape[1], rgb.shape[0])
        )
    return frames
