"""Frame sampling at a fixed rate that decodes as little as the codec allows.

One pass over the container:

* every packet is demuxed (cheap: no decoding) and its time, size and
  keyframe flag kept; scene-cut detection reads the sizes;
* a group of pictures (keyframe to keyframe, known up front from the
  container index) is decoded only up to its last sample time, then its
  remaining packets are skipped: the next keyframe restarts the decoder, so
  skipping is a seek that costs nothing;
* only reference frames are decoded (a sample may land up to a few frames
  late, on the next reference frame) and the loop filter is skipped: the
  samples feed statistics and small model frames, not a viewer;
* the decoder uses frame threads.

Every decoded frame leaves a grey histogram (scene cuts are timed with
them); each sample keeps a small grey thumbnail (statistics) and an RGB frame
sized for the model, already turned upright.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from common.errors import PermanentError
from video.probe import VideoInfo

THUMB_MAX_SIDE = 128
HIST_BINS = 32
# Pixel formats whose first plane is 8-bit luma.
_EIGHT_BIT_LUMA_FIRST = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21"})
# The sample may be taken from a frame this much (in frame intervals) before its time.
_EARLY_FRAMES = 0.5
# Under this share of samples decoded, the file is broken rather than merely damaged.
_MIN_DECODED_SHARE = 0.5


@dataclass(frozen=True)
class PacketStat:
    t: float
    size: int
    keyframe: bool


@dataclass(frozen=True)
class DecodedFrame:
    t: float
    hist: np.ndarray = field(repr=False)  # normalised grey histogram


@dataclass
class Sample:
    t: float  # requested time (s)
    frame_t: float  # time of the frame used
    thumb: np.ndarray = field(repr=False)  # uint8 grey, max side THUMB_MAX_SIDE
    rgb: np.ndarray = field(repr=False)  # uint8 RGB, upright, max side = model frame size


@dataclass
class SampleSet:
    samples: list[Sample]
    packets: list[PacketStat]
    targets: list[float]
    decoded: list[DecodedFrame]
    decoded_packets: int


def sample_times(duration_s: float, fps: float, max_frames: int) -> list[float]:
    """`fps` samples per second from 0, spread evenly when that exceeds `max_frames`."""
    count = max(1, int(duration_s * fps + 1e-9))
    step = 1.0 / fps
    if count > max_frames:
        count, step = max_frames, duration_s / max_frames
    return [round(i * step, 6) for i in range(count)]


def sample(
    path: Path,
    info: VideoInfo,
    *,
    fps: float,
    max_frames: int,
    model_max_side: int,
    check_time: Callable[[], None] = lambda: None,
) -> SampleSet:
    import av

    targets = sample_times(info.duration_s, fps, max_frames)
    samples: list[Sample] = []
    packets: list[PacketStat] = []
    decoded: list[DecodedFrame] = []
    decoded_packets = 0
    model_size = _fit(info.coded_width, info.coded_height, model_max_side)
    quarter_turns = info.rotation // 90
    tolerance = _EARLY_FRAMES / info.fps if info.fps else 0.02

    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise PermanentError("corrupt_video", f"the video cannot be read: {exc}") from None
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        ctx = stream.codec_context
        ctx.options = {"skip_loop_filter": "all"}
        ctx.skip_frame = "NONREF"
        tb = stream.time_base
        start = float(stream.start_time * tb) if stream.start_time is not None else 0.0
        keyframes = sorted(float(e.timestamp * tb) - start for e in stream.index_entries if e.is_keyframe)
        next_target = 0
        feeding = True
        next_key = float("inf")

        def take(frames: list[Any]) -> None:
            nonlocal next_target
            for frame in frames:
                if frame.pts is None:
                    continue
                ft = float(frame.pts * tb) - start
                thumb = luma_thumbnail(frame)
                decoded.append(DecodedFrame(round(ft, 4), grey_histogram(thumb)))
                if next_target < len(targets) and ft >= targets[next_target] - tolerance:
                    rgb = frame.reformat(
                        width=model_size[0], height=model_size[1], format="rgb24", interpolation="FAST_BILINEAR"
                    ).to_ndarray()
                    if quarter_turns:
                        thumb, rgb = np.rot90(thumb, -quarter_turns), np.rot90(rgb, -quarter_turns)
                    while next_target < len(targets) and ft >= targets[next_target] - tolerance:
                        samples.append(Sample(targets[next_target], round(ft, 4), thumb, rgb))
                        next_target += 1

        try:
            for packet in container.demux(stream):
                if packet.pts is None or packet.size == 0:
                    continue
                t = float(packet.pts * tb) - start
                packets.append(PacketStat(round(t, 4), packet.size, packet.is_keyframe))
                if packet.is_keyframe:
                    check_time()
                    i = bisect.bisect_right(keyframes, t + 1e-6)
                    next_key = keyframes[i] if i < len(keyframes) else float("inf")
                    feeding = next_target < len(targets)
                if not feeding:
                    continue
                decoded_packets += 1
                try:
                    take(ctx.decode(packet))
                except av.error.InvalidDataError:
                    continue  # a damaged packet: its frame is concealed or dropped
                if next_target >= len(targets) or targets[next_target] >= next_key - tolerance:
                    feeding = False
            if feeding:
                take(ctx.decode(None))
        except av.error.FFmpegError:
            pass  # a truncated stream: judged below by how much of it was readable

    if len(samples) < max(1, _MIN_DECODED_SHARE * len(targets)):
        raise PermanentError(
            "corrupt_video",
            f"only {len(samples)} of {len(targets)} sampled frames could be decoded; the file is damaged or truncated",
        )
    return SampleSet(samples, packets, targets, decoded, decoded_packets)


def luma_thumbnail(frame: Any) -> np.ndarray:
    """A grey thumbnail (max side about THUMB_MAX_SIDE) read straight from the luma plane.

    Every decoded frame gets one, so it must cost microseconds: a strided view
    of the Y plane instead of a scaler pass.
    """
    name = frame.format.name
    if name in _EIGHT_BIT_LUMA_FIRST:
        plane = frame.planes[0]
        y = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: frame.height, : frame.width]
    else:
        y = frame.to_ndarray(format="gray")
    step = max(1, -(-max(frame.width, frame.height) // THUMB_MAX_SIDE))
    return np.ascontiguousarray(y[::step, ::step])


def grey_histogram(thumb: np.ndarray) -> np.ndarray:
    hist = np.bincount((thumb.ravel() >> 3).astype(np.intp), minlength=HIST_BINS).astype(np.float32)
    return hist / max(1.0, float(hist.sum()))


def _fit(width: int, height: int, max_side: int) -> tuple[int, int]:
    """Even dimensions scaled so the longer side is at most `max_side`."""
    scale = min(1.0, max_side / max(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)
