"""Synthetic test videos made with PyAV: known size, length, audio and scene cuts.

Each scene is a flat colour with a textured square moving across it, so the
encoder sees real motion inside a scene and a complete change at each cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

# Distinct in brightness and hue so every cut changes the picture completely.
SCENE_COLOURS: tuple[tuple[int, int, int], ...] = (
    (200, 40, 40),
    (30, 160, 60),
    (40, 60, 210),
    (230, 220, 60),
    (20, 20, 20),
    (240, 240, 240),
    (150, 60, 200),
)


@dataclass(frozen=True)
class Clip:
    path: Path
    duration_s: float
    width: int
    height: int
    fps: int
    cuts_s: tuple[float, ...]
    audio: bool


def make_clip(
    path: Path,
    *,
    duration_s: float = 4.0,
    width: int = 320,
    height: int = 180,
    fps: int = 10,
    cuts_s: Sequence[float] = (),
    audio: bool = False,
    keyframe_interval_s: float = 2.0,
    rotation: int = 0,
    preset: str = "ultrafast",
) -> Clip:
    """Encode an H.264 MP4 with scene cuts at ``cuts_s`` and a fixed keyframe interval."""
    rng = np.random.default_rng(7)
    texture = rng.integers(0, 255, size=(max(8, height // 4), max(8, height // 4), 3), dtype=np.uint8)
    frames = round(duration_s * fps)
    cut_frames = sorted(round(c * fps) for c in cuts_s)
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        gop = max(1, round(keyframe_interval_s * fps))
        # sc_threshold=0: keyframes only on the fixed interval, so a cut is an ordinary P-frame.
        video.options = {"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0", "preset": preset}
        if rotation:
            video.set_display_rotation(rotation)
        sound = None
        if audio:
            sound = out.add_stream("aac", rate=48000)
            sound.layout = "mono"
        for i in range(frames):
            scene = sum(1 for c in cut_frames if c <= i)
            img = np.empty((height, width, 3), dtype=np.uint8)
            img[:] = SCENE_COLOURS[scene % len(SCENE_COLOURS)]
            # Steady movement, as a camera pan would give: cheap to predict, unlike a cut.
            span = width - texture.shape[1]
            pos = (i * max(2, width // 100)) % (2 * span)
            x = pos if pos < span else 2 * span - pos
            y = (height - texture.shape[0]) // 2
            img[y : y + texture.shape[0], x : x + texture.shape[1]] = texture
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        if sound is not None:
            _add_tone(out, sound, duration_s)
    return Clip(path, duration_s, width, height, fps, tuple(cuts_s), audio)


def _add_tone(out: av.container.OutputContainer, sound: av.audio.stream.AudioStream, duration_s: float) -> None:
    rate, chunk = 48000, 1024
    total = int(rate * duration_s)
    for start in range(0, total, chunk):
        n = min(chunk, total - start)
        t = (np.arange(start, start + n) / rate).astype(np.float32)
        samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        out.mux(sound.encode(frame))
    out.mux(sound.encode())


def make_noise_clip(path: Path, *, duration_s: float, width: int = 320, height: int = 240, fps: int = 10) -> Path:
    """An MP4 of random noise: incompressible, so a few seconds are megabytes; its moov is written at the end."""
    rng = np.random.default_rng(11)
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "10"}
        for i in range(round(duration_s * fps)):
            frame = av.VideoFrame.from_ndarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8), format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode())
    return path


def block_texture(seed: int, width: int, height: int, block: int = 12) -> np.ndarray:
    """Grey blocks of random levels: a scene with detail everywhere, so any motion changes every pixel."""
    rng = np.random.default_rng(seed)
    levels = rng.integers(16, 236, size=(height // block + 1, width // block + 1), dtype=np.uint8)
    return np.kron(levels, np.ones((block, block), dtype=np.uint8))[:height, :width]


def make_moving_clip(
    path: Path,
    shots: Sequence[tuple[np.ndarray, int, int]],
    *,
    cuts_s: Sequence[float] = (),
    duration_s: float = 8.0,
    width: int = 320,
    height: int = 180,
    fps: int = 25,
    pan_per_s: float = 0.3,
    zoom: bool = False,
) -> Clip:
    """An H.264 MP4 whose shot k shows shots[k] = (grey picture larger than the frame, U, V tint), moving every frame.

    The camera pans back and forth (pan_per_s of the frame width per second)
    and up and down, or, with `zoom`, zooms in and out (up to 1.5x, about 20%
    a second at its fastest). Written as YUV, so two shots can share their
    grey picture exactly and differ in colour only. Keyframes every 2 s and
    none at cuts, as in make_clip.
    """
    cut_frames = sorted(round(c * fps) for c in cuts_s)
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        gop = 2 * fps
        video.options = {"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0", "preset": "veryfast"}
        for i in range(round(duration_s * fps)):
            grey, u, v = shots[sum(1 for c in cut_frames if c <= i)]
            t = i / fps
            y = _zoomed_view(grey, t, width, height) if zoom else _panned_view(grey, t, pan_per_s, width, height)
            # yuv420p as one array: the Y rows, then U and V (each height/2 x width/2) packed into rows of `width`.
            tint = [np.full((height // 4, width), level, dtype=np.uint8) for level in (u, v)]
            frame = av.VideoFrame.from_ndarray(np.concatenate([y, *tint]), format="yuv420p")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode())
    return Clip(path, duration_s, width, height, fps, tuple(cuts_s), False)


def _panned_view(picture: np.ndarray, t: float, pan_per_s: float, width: int, height: int) -> np.ndarray:
    span_x, span_y = picture.shape[1] - width, picture.shape[0] - height
    pos = int(t * pan_per_s * width) % (2 * span_x)
    x = pos if pos < span_x else 2 * span_x - pos  # back and forth: a pan never jumps
    y = int((np.sin(t * 1.3) * 0.5 + 0.5) * span_y)
    return np.ascontiguousarray(picture[y : y + height, x : x + width])


def _zoomed_view(picture: np.ndarray, t: float, width: int, height: int) -> np.ndarray:
    zoom = 1.25 - 0.25 * np.cos(t * 0.8)  # 1 to 1.5 and back
    h, w = int(height / zoom), int(width / zoom)
    top, left = (picture.shape[0] - h) // 2, (picture.shape[1] - w) // 2
    rows, cols = top + np.arange(height) * h // height, left + np.arange(width) * w // width
    return np.ascontiguousarray(picture[rows][:, cols])
