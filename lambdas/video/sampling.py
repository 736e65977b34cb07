"""Frame sampling at a fixed rate that decodes as little as the codec allows.

A sample for time t may use any frame inside t ± `window` (half the sample
step, at most SAMPLE_WINDOW_S = 0.5 s, so two samples never compete for a
frame) and takes the one cheapest to decode:

* a keyframe inside the window (the nearest one): decoded alone;
* otherwise the first frame at or after t - window, decoded with the
  reference chain from its group's keyframe.

With a keyframe every 2 s and 1 sample per second, even seconds are
keyframes and odd seconds the frame at t - 0.5 s: about a quarter of the
frames are decoded. `Sample.frame_t` is the time of the frame actually used.

One pass over the container. Every packet is demuxed (no decoding) and its
time, size and keyframe flag kept: scene cuts are timed with the sizes. At
each keyframe the group of pictures (to the next keyframe, known from the
container index) is planned: which samples it serves and how far into it they
need decoding. Its packets go to the decoder only up to that point; then the
decoder is drained and reset and the rest of the group is skipped (the next
keyframe restarts decoding, so skipping is a free seek). Only reference frames
are decoded (skip_frame NONREF): nothing else needs a non-reference frame, and
the next reference frame serves a sample instead. The loop filter is kept, so
every frame is a clean decode: the model frames are taken from the samples.

After the pass, a span between two samples whose pictures differ completely
(a scene cut) that neither decoded frames nor packet sizes can time (see
`scenes.pin`) is decoded from its keyframe until the picture jumps.

Every decoded frame leaves a grey histogram (scene cuts are timed by them);
each sample keeps a small grey thumbnail (brightness, motion) and a picture at
the model's size (scaled by swscale with a reused context; the K model frames
are encoded from it).
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from common.errors import PermanentError
from video.probe import VideoInfo

THUMB_MAX_SIDE = 128
HIST_BINS = 32
# Farthest a sample's frame may be from its requested time.
SAMPLE_WINDOW_S = 0.5
# Pixel formats whose first plane is 8-bit luma.
_EIGHT_BIT_LUMA_FIRST = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21"})
# Under this share of samples decoded, the file is broken rather than merely damaged.
_MIN_DECODED_SHARE = 0.5
_EPS = 1e-6
_SEEK_MARGIN_S = 0.25


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
    frame_t: float  # time of the frame used, within the sampling window of t
    keyframe: bool
    thumb: np.ndarray = field(repr=False)  # uint8 grey, upright, max side THUMB_MAX_SIDE
    picture: Any = field(repr=False)  # av.VideoFrame at model size, as coded (not yet turned upright)
    quarter_turns: int = 0  # clockwise quarter turns that make `picture` upright

    def rgb(self) -> np.ndarray:
        """The model-sized picture as upright RGB."""
        rgb = self.picture.to_ndarray(format="rgb24")
        return np.ascontiguousarray(np.rot90(rgb, -self.quarter_turns)) if self.quarter_turns else rgb


@dataclass
class SampleSet:
    samples: list[Sample]
    packets: list[PacketStat]
    targets: list[float]
    decoded: list[DecodedFrame]
    decoded_packets: int
    window_s: float = SAMPLE_WINDOW_S


def sample_times(duration_s: float, fps: float, max_frames: int) -> list[float]:
    """`fps` samples per second from 0, spread evenly when that exceeds `max_frames`."""
    count = max(1, int(duration_s * fps + 1e-9))
    step = 1.0 / fps
    if count > max_frames:
        count, step = max_frames, duration_s / max_frames
    return [round(i * step, 6) for i in range(count)]


def sample_window(targets: Sequence[float]) -> float:
    """How far from its time a sample's frame may be: half the step, at most SAMPLE_WINDOW_S."""
    step = targets[1] - targets[0] if len(targets) > 1 else 2 * SAMPLE_WINDOW_S
    return min(SAMPLE_WINDOW_S, step / 2)


def plan_group(pending: Sequence[float], key_t: float, next_key_t: float, window: float) -> list[float | None]:
    """Which of the `pending` sample times the group starting at keyframe `key_t` serves.

    One entry per served time, in order (the rest go to later groups): None
    when the keyframe itself serves it, else the earliest frame time that may
    serve it (decoding must reach it).
    """
    served: list[float | None] = []
    for t in pending:
        if t - window >= next_key_t - _EPS:
            break  # its window starts in a later group
        to_next = abs(next_key_t - t)
        if to_next <= window + _EPS and to_next < abs(key_t - t):
            break  # the next keyframe is nearer and inside the window
        if t - window > key_t + _EPS:
            served.append(t - window)
        else:
            # The keyframe is inside the window, or the window ended before
            # it (a stream that starts late): the nearest decodable frame.
            served.append(None)
    return served


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
    window = sample_window(targets)
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise PermanentError("corrupt_video", f"the video cannot be read: {exc}") from None
    with container:
        stream = container.streams.video[0]
        # Slice threads: frame threads would only add latency, as every group is drained where its samples end.
        stream.thread_type = "SLICE"
        stream.codec_context.skip_frame = "NONREF"
        sampler = _Sampler(stream, targets, window, _fit(info.coded_width, info.coded_height, model_max_side),
                           info.rotation // 90, _keyframe_dts(container, stream))
        try:
            for packet in container.demux(stream):
                if packet.pts is None or packet.size == 0:
                    continue
                if packet.is_keyframe:
                    check_time()
                sampler.feed(packet)
        except av.error.FFmpegError:
            pass  # a truncated stream: judged below by how much of it was readable
        sampler.finish_group()
        sampler.pin_cuts(container, stream)

    if len(sampler.samples) < max(1, _MIN_DECODED_SHARE * len(targets)):
        raise PermanentError(
            "corrupt_video",
            f"only {len(sampler.samples)} of {len(targets)} sampled frames could be decoded; "
            "the file is damaged or truncated",
        )
    return SampleSet(sampler.samples, sampler.packets, targets, sampler.decoded, sampler.decoded_packets, window)


class _Sampler:
    """Plans each group of pictures at its keyframe, feeds the decoder only what the plan needs."""

    def __init__(self, stream: Any, targets: list[float], window: float, model_size: tuple[int, int],
                 quarter_turns: int, keyframe_dts: list[int]) -> None:
        from av.video.reformatter import VideoReformatter

        self.ctx = stream.codec_context
        self.tb = stream.time_base
        self.tb_s = float(self.tb)  # float arithmetic: Fraction costs tens of microseconds per packet
        self.start = float(stream.start_time * self.tb) if stream.start_time is not None else 0.0
        self.targets, self.window, self.model_size = targets, window, model_size
        self.quarter_turns = quarter_turns
        self.keyframe_dts = keyframe_dts
        self.reformatter = VideoReformatter()  # one swscale context for every sample
        self.samples: list[Sample] = []
        self.packets: list[PacketStat] = []
        self.decoded: list[DecodedFrame] = []
        self.decoded_packets = 0
        self.next_target = 0
        # The group being decoded: what it serves, how far to decode, what came out.
        self.serves: list[float | None] = []
        self.until = 0.0
        self.feeding = False
        self.last: tuple[Any, float, np.ndarray] | None = None

    def _time(self, ts: int) -> float:
        return ts * self.tb_s - self.start

    def feed(self, packet: Any) -> None:
        import av

        t = self._time(packet.pts)
        self.packets.append(PacketStat(round(t, 4), packet.size, packet.is_keyframe))
        if packet.is_keyframe:
            self.finish_group()
            self._start_group(packet, t)
        if not self.feeding:
            return
        self.decoded_packets += 1
        try:
            self._frames(self.ctx.decode(packet))
        except av.error.InvalidDataError:
            return  # a damaged packet: its frame is concealed or dropped
        if t >= self.until - _EPS:
            self._drain()

    def _start_group(self, packet: Any, key_t: float) -> None:
        dts = packet.dts if packet.dts is not None else packet.pts
        # The index holds decode times; a keyframe's presentation comes later by the stream's reorder delay.
        i = bisect.bisect_right(self.keyframe_dts, dts)
        next_key_t = self._time(self.keyframe_dts[i] + packet.pts - dts) if i < len(self.keyframe_dts) else float("inf")
        self.serves = plan_group(self.targets[self.next_target :], key_t, next_key_t, self.window)
        self.until = max((n for n in self.serves if n is not None), default=key_t)
        self.feeding = bool(self.serves)

    def _drain(self) -> None:
        import av

        self.feeding = False
        with contextlib.suppress(av.error.FFmpegError):
            self._frames(self.ctx.decode(None))
        self.ctx.flush_buffers()

    def _frames(self, frames: list[Any]) -> None:
        """Decoded frames, in presentation order: a histogram each; the ones the group's samples wait for."""
        for frame in frames:
            if frame.pts is None:
                continue
            ft = self._time(frame.pts)
            thumb = luma_thumbnail(frame)
            self.decoded.append(DecodedFrame(round(ft, 4), grey_histogram(thumb)))
            self.last = (frame, ft, thumb)
            while self.serves:
                need = self.serves[0]
                if not frame.key_frame if need is None else ft < need - _EPS:
                    break
                self._take(frame, ft, thumb)

    def finish_group(self) -> None:
        """End the group; samples it did not reach (a damaged or cut-short group) take its last frame."""
        if self.feeding:
            self._drain()
        while self.serves and self.last is not None:
            self._take(*self.last)
        self.serves, self.last = [], None

    def _take(self, frame: Any, ft: float, thumb: np.ndarray) -> None:
        self.serves.pop(0)
        t = self.targets[self.next_target]
        self.next_target += 1
        picture = self.reformatter.reformat(frame, width=self.model_size[0], height=self.model_size[1],
                                            format="yuv420p", interpolation="AREA")
        if self.quarter_turns:
            thumb = np.ascontiguousarray(np.rot90(thumb, -self.quarter_turns))
        self.samples.append(Sample(t, round(ft, 4), bool(frame.key_frame), thumb, picture, self.quarter_turns))


    def pin_cuts(self, container: Any, stream: Any) -> None:
        """Decode the spans where the picture changed but neither decoded frames nor packet sizes place the cut."""
        import av

        from video import scenes  # here: scenes builds on this module's types

        for after, until in scenes.cut_intervals(self.samples):
            if scenes.pin(after, until, self.decoded, self.packets) is None:
                try:
                    self._decode_span(container, stream, after, until)
                except av.error.FFmpegError:
                    self.ctx.flush_buffers()  # a damaged span: the cut keeps its best guess

    def _decode_span(self, container: Any, stream: Any, after: float, until: float) -> None:
        """From the keyframe before `after`, decode until the picture jumps inside (after, until]."""
        from video.scenes import CUT_THRESHOLD, MAX_FRAME_GAP_S, change

        # A little early: the index seeks by decode time, which runs ahead of presentation.
        container.seek(max(0, int((after - _SEEK_MARGIN_S + self.start) / self.tb)), stream=stream, backward=True)
        self.ctx.flush_buffers()
        prev: DecodedFrame | None = None
        found = False

        def look(frames: list[Any]) -> None:
            nonlocal prev, found
            for frame in frames:
                if frame.pts is None or found:
                    continue
                cur = DecodedFrame(round(self._time(frame.pts), 4), grey_histogram(luma_thumbnail(frame)))
                if cur.t < after - _EPS:
                    prev = cur
                    continue
                self.decoded.append(cur)
                if prev is not None and cur.t - prev.t <= MAX_FRAME_GAP_S and change(prev.hist, cur.hist) >= CUT_THRESHOLD:
                    found = True
                prev = cur

        for packet in container.demux(stream):
            if packet.pts is None or packet.size == 0:
                continue
            self.decoded_packets += 1
            look(self.ctx.decode(packet))
            if found or self._time(packet.pts) >= until - _EPS:
                break
        look(self.ctx.decode(None))
        self.ctx.flush_buffers()


def _keyframe_dts(container: Any, stream: Any) -> list[int]:
    """Decode times of the keyframes: from the container index, else from a demux pass (no decoding)."""
    import av

    dts = sorted(e.timestamp for e in stream.index_entries if e.is_keyframe)
    if dts:
        return dts
    try:
        for packet in container.demux(stream):
            if packet.is_keyframe and (packet.dts is not None or packet.pts is not None):
                dts.append(packet.dts if packet.dts is not None else packet.pts)
    except av.error.FFmpegError:
        pass
    container.seek(0, stream=stream, backward=True)  # back to the start for the sampling pass
    return sorted(dts)


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
