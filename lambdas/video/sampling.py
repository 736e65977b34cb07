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

Groups are independent (each starts at a keyframe and ends with the decoder
drained), so with more than one decoder thread (VIDEO_DECODE_THREADS, default
the usable CPUs) each group's packets go to a pool thread with its own
container and decoder, and the results are merged in time order: the output
is identical to the one-thread pass. Where a damaged file would make the two
differ (a group that decoded nothing, a decoder error that stops the
sequential pass), the pass is redone in one thread.

After the pass, a span between two samples whose pictures differ completely
(a scene cut) that neither decoded frames nor packet sizes can time (see
`scenes.pin`) is decoded from its keyframe until the picture jumps (with a
pool, on its threads, then checked against the sequential pass's order).

Every decoded frame leaves a grey histogram (scene cuts are timed by them);
each sample keeps a small grey thumbnail (brightness, motion) and a picture at
the model's size (scaled by swscale with a reused context; the K model frames
are encoded from it).
"""

from __future__ import annotations

import bisect
import contextlib
import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
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
_CPU_MAX_V2 = "/sys/fs/cgroup/cpu.max"
_CPU_QUOTA_V1 = "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"


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
    decode_threads: int = 1  # 1 also when a parallel pass fell back to one thread


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
    threads: int | None = None,
) -> SampleSet:
    """Sample `path`; `threads` decoders (default: the usable CPUs) work on its groups of pictures at once."""
    targets = sample_times(info.duration_s, fps, max_frames)
    job = _Job(
        path,
        targets,
        sample_window(targets),
        _fit(info.coded_width, info.coded_height, model_max_side),
        info.rotation // 90,
    )
    threads = usable_cpus() if threads is None else threads
    sampled = None
    if threads > 1:
        with _DecoderPool(path, threads) as pool:
            sampled = _run(job, check_time, pool)
    if sampled is None:
        # One thread, or a file whose damage only the sequential pass reproduces exactly.
        sampled = _run(job, check_time, None)

    if len(sampled.samples) < max(1, _MIN_DECODED_SHARE * len(targets)):
        raise PermanentError(
            "corrupt_video",
            f"only {len(sampled.samples)} of {len(targets)} sampled frames could be decoded; "
            "the file is damaged or truncated",
        )
    return sampled


def usable_cpus() -> int:
    """CPUs this process may run on, capped by a cgroup CPU quota (containers limit CPU that way, not by affinity)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    for path, parse in ((_CPU_MAX_V2, _quota_v2), (_CPU_QUOTA_V1, _quota_v1)):
        with contextlib.suppress(OSError, ValueError, ZeroDivisionError):
            quota = parse(Path(path))
            if quota is not None:
                return max(1, min(cpus, math.ceil(quota)))
    return max(1, cpus)


def _quota_v2(path: Path) -> float | None:
    quota, period = path.read_text().split()[:2]
    return None if quota == "max" else int(quota) / int(period)


def _quota_v1(path: Path) -> float | None:
    quota = int(path.read_text())
    return None if quota < 0 else quota / int((path.parent / "cpu.cfs_period_us").read_text())


@dataclass(frozen=True)
class _Job:
    path: Path
    targets: list[float]
    window: float
    model_size: tuple[int, int]
    quarter_turns: int


@dataclass(frozen=True)
class _Plan:
    """What one group of pictures serves: targets[first:first + len(serves)], decoding to `until`."""

    first: int
    serves: list[float | None]
    until: float


@dataclass
class _GroupResult:
    samples: list[Sample]
    decoded: list[DecodedFrame]
    decoded_packets: int
    exact: bool = True  # False: only the sequential pass reproduces this group (see `_decode_packets`)


class _Decoder:
    """A container's video stream with its own decoder and scaler: one per thread (FFmpeg contexts are not thread-safe)."""

    def __init__(self, container: Any) -> None:
        from av.video.reformatter import VideoReformatter

        self.container = container
        self.stream = container.streams.video[0]
        # Slice threads: frame threads would only add latency, as every group is drained where its samples end.
        self.stream.thread_type = "SLICE"
        self.ctx = self.stream.codec_context
        self.ctx.skip_frame = "NONREF"
        self.tb = self.stream.time_base
        self.tb_s = float(self.tb)  # float arithmetic: Fraction costs tens of microseconds per packet
        self.start = float(self.stream.start_time * self.tb) if self.stream.start_time is not None else 0.0
        self.reformatter = VideoReformatter()  # one swscale context for every sample

    def time(self, ts: int) -> float:
        return ts * self.tb_s - self.start


class _DecoderPool:
    """Threads that decode with a container each (opened on first use); PyAV releases the GIL while decoding."""

    def __init__(self, path: Path, threads: int) -> None:
        self.path, self.threads = path, threads
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="video-decode")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Any] = []

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        return self._executor.submit(self._call, fn, *args)

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        decoder = getattr(self._local, "decoder", None)
        if decoder is None:
            import av

            container = av.open(str(self.path))
            with self._lock:
                self._opened.append(container)
            decoder = self._local.decoder = _Decoder(container)
        return fn(decoder, *args)

    def __enter__(self) -> _DecoderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        for container in self._opened:
            container.close()


def _run(job: _Job, check_time: Callable[[], None], pool: _DecoderPool | None) -> SampleSet | None:
    """One pass over the file; None when a parallel pass met damage it cannot reproduce exactly."""
    import av

    from video.probe import ffmpeg_reason

    try:
        container = av.open(str(job.path))
    except av.error.FFmpegError as exc:
        raise PermanentError("corrupt_video", f"the video cannot be read: {ffmpeg_reason(exc)}") from None
    with container:
        decoder = _Decoder(container)
        sampler = _Sampler(job, decoder, _keyframe_dts(container, decoder.stream), pool)
        if not sampler.run(check_time):
            return None
    return SampleSet(
        sampler.samples,
        sampler.packets,
        job.targets,
        sampler.decoded,
        sampler.decoded_packets,
        job.window,
        pool.threads if pool is not None else 1,
    )


class _Sampler:
    """Demuxes every packet, plans each group of pictures at its keyframe and has it decoded.

    Without a pool the groups are decoded here, packet by packet as they are
    demuxed. With one, each group's packets (up to its plan's end) go to the
    pool's threads and the results are merged in time order; the plan of a
    group assumes the earlier ones served all their samples, which is checked
    at the merge (a group that decoded nothing makes the pass fall back).
    """

    def __init__(self, job: _Job, decoder: _Decoder, keyframe_dts: list[int], pool: _DecoderPool | None) -> None:
        self.job, self.decoder, self.keyframe_dts, self.pool = job, decoder, keyframe_dts, pool
        self.samples: list[Sample] = []
        self.packets: list[PacketStat] = []
        self.decoded: list[DecodedFrame] = []
        self.decoded_packets = 0
        self.next_target = 0
        self.group: _GroupDecoder | _GroupPackets | None = None
        self.pending: list[tuple[_Plan, Future]] = []  # with a pool: submitted groups, in time order
        self._oldest = 0

    def run(self, check_time: Callable[[], None]) -> bool:
        import av

        try:
            for packet in self.decoder.container.demux(self.decoder.stream):
                if packet.pts is None or packet.size == 0:
                    continue
                t = self.decoder.time(packet.pts)
                self.packets.append(PacketStat(round(t, 4), packet.size, packet.is_keyframe))
                if packet.is_keyframe:
                    check_time()
                    self._close_group()
                    self._open_group(packet, t)
                if self.group is not None:
                    self.group.feed(packet, t)
                    if not self.group.feeding:
                        self._close_group()
        except av.error.FFmpegError:
            pass  # a truncated stream: judged by how much of it was readable
        self._close_group()
        if not self._merge():
            return False
        self._pin_cuts()
        return True

    def _open_group(self, packet: Any, key_t: float) -> None:
        dts = packet.dts if packet.dts is not None else packet.pts
        # The index holds decode times; a keyframe's presentation comes later by the stream's reorder delay.
        i = bisect.bisect_right(self.keyframe_dts, dts)
        next_key_t = (
            self.decoder.time(self.keyframe_dts[i] + packet.pts - dts) if i < len(self.keyframe_dts) else float("inf")
        )
        serves = plan_group(self.job.targets[self.next_target :], key_t, next_key_t, self.job.window)
        if not serves:
            return
        plan = _Plan(self.next_target, serves, max((n for n in serves if n is not None), default=key_t))
        if self.pool is None:
            self.group = _GroupDecoder(self.decoder, self.job, plan)
        else:
            self.group = _GroupPackets(plan)
            self.next_target += len(serves)

    def _close_group(self) -> None:
        group, self.group = self.group, None
        if isinstance(group, _GroupDecoder):
            self._add(group.finish())
            # A group that decoded nothing leaves its samples to the next one.
            self.next_target = group.plan.first + len(group.samples)
        elif isinstance(group, _GroupPackets) and self.pool is not None:
            self.pending.append((group.plan, self.pool.submit(_decode_packets, self.job, group)))
            # Bounded read-ahead: the packets of at most two groups per thread wait in memory.
            while len(self.pending) - self._oldest > 2 * self.pool.threads:
                wait([self.pending[self._oldest][1]])
                self._oldest += 1

    def _add(self, result: _GroupResult) -> None:
        self.samples += result.samples
        self.decoded += result.decoded
        self.decoded_packets += result.decoded_packets

    def _merge(self) -> bool:
        """The pool's results in time order; False if one differs from what the sequential pass would make."""
        import av

        for plan, future in self.pending:
            try:
                result = future.result()
            except av.error.FFmpegError:
                return False
            if not result.exact or len(result.samples) != len(plan.serves):
                return False
            self._add(result)
        self.pending = []
        return True

    def _pin_cuts(self) -> None:
        """Decode the spans where the picture changed but neither decoded frames nor packet sizes place the cut."""
        from video import scenes  # here: scenes builds on this module's types

        intervals = scenes.cut_intervals(self.samples)
        if self.pool is not None and self._pin_cuts_in_parallel(intervals):
            return
        for after, until in intervals:
            if scenes.pin(after, until, self.decoded, self.packets) is None:
                frames, count = _decode_span(self.decoder, after, until)
                self.decoded += frames
                self.decoded_packets += count

    def _pin_cuts_in_parallel(self, intervals: list[tuple[float, float]]) -> bool:
        """The spans decoded at once, then checked in time order against what the sequential pass would decode.

        A span's frames can place the next interval's cut (two cuts a second
        apart); if that changes which spans need decoding, False and nothing changed.
        """
        from video import scenes

        assert self.pool is not None
        spans = {
            i: self.pool.submit(_decode_span, *span)
            for i, span in enumerate(intervals)
            if scenes.pin(*span, self.decoded, self.packets) is None
        }
        decoded, count = list(self.decoded), 0
        for i, span in enumerate(intervals):
            if (scenes.pin(*span, decoded, self.packets) is None) != (i in spans):
                return False
            if i in spans:
                frames, n = spans[i].result()
                decoded += frames
                count += n
        self.decoded, self.decoded_packets = decoded, self.decoded_packets + count
        return True


class _GroupPackets:
    """A group's packets up to its plan's end, collected for a pool thread."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.packets: list[tuple[Any, float]] = []
        self.feeding = True
        self.ended_at_plan = False

    def feed(self, packet: Any, t: float) -> None:
        self.packets.append((packet, t))
        if t >= self.plan.until - _EPS:
            self.feeding, self.ended_at_plan = False, True


def _decode_packets(decoder: _Decoder, job: _Job, group: _GroupPackets) -> _GroupResult:
    """A collected group, decoded on a pool thread.

    Inexact where the sequential pass would differ: a decoder error that is
    not a damaged packet (it stops the sequential pass there), or a damaged
    last packet (it makes the sequential pass decode further).
    """
    import av

    packets, group.packets = group.packets, []  # released as soon as decoded
    decoding = _GroupDecoder(decoder, job, group.plan)
    exact = True
    try:
        for packet, t in packets:
            decoding.feed(packet, t)
            if not decoding.feeding:
                break
        exact = not (decoding.feeding and group.ended_at_plan)
    except av.error.FFmpegError:
        exact = False
    del packets
    result = decoding.finish()
    result.exact = exact
    return result


class _GroupDecoder:
    """Decodes one group of pictures up to its plan's end, taking samples from the frames as they come."""

    def __init__(self, decoder: _Decoder, job: _Job, plan: _Plan) -> None:
        self.decoder, self.job, self.plan = decoder, job, plan
        self.serves = list(plan.serves)
        self.samples: list[Sample] = []
        self.decoded: list[DecodedFrame] = []
        self.decoded_packets = 0
        self.feeding = True
        self.last: tuple[Any, float, np.ndarray] | None = None

    def feed(self, packet: Any, t: float) -> None:
        import av

        self.decoded_packets += 1
        try:
            self._frames(self.decoder.ctx.decode(packet))
        except av.error.InvalidDataError:
            return  # a damaged packet: its frame is concealed or dropped
        if t >= self.plan.until - _EPS:
            self._drain()

    def finish(self) -> _GroupResult:
        """End the group; samples it did not reach (a damaged or cut-short group) take its last frame."""
        if self.feeding:
            self._drain()
        while self.serves and self.last is not None:
            self._take(*self.last)
        return _GroupResult(self.samples, self.decoded, self.decoded_packets)

    def _drain(self) -> None:
        import av

        self.feeding = False
        with contextlib.suppress(av.error.FFmpegError):
            self._frames(self.decoder.ctx.decode(None))
        self.decoder.ctx.flush_buffers()

    def _frames(self, frames: list[Any]) -> None:
        """Decoded frames, in presentation order: a histogram each; the ones the group's samples wait for."""
        for frame in frames:
            if frame.pts is None:
                continue
            ft = self.decoder.time(frame.pts)
            thumb = luma_thumbnail(frame)
            self.decoded.append(DecodedFrame(round(ft, 4), grey_histogram(thumb)))
            self.last = (frame, ft, thumb)
            while self.serves:
                need = self.serves[0]
                if not frame.key_frame if need is None else ft < need - _EPS:
                    break
                self._take(frame, ft, thumb)

    def _take(self, frame: Any, ft: float, thumb: np.ndarray) -> None:
        self.serves.pop(0)
        t = self.job.targets[self.plan.first + len(self.samples)]
        w, h = self.job.model_size
        picture = self.decoder.reformatter.reformat(frame, width=w, height=h, format="yuv420p", interpolation="AREA")
        if self.job.quarter_turns:
            thumb = np.ascontiguousarray(np.rot90(thumb, -self.job.quarter_turns))
        self.samples.append(Sample(t, round(ft, 4), bool(frame.key_frame), thumb, picture, self.job.quarter_turns))


def _decode_span(decoder: _Decoder, after: float, until: float) -> tuple[list[DecodedFrame], int]:
    """From the keyframe before `after`, decode until the picture jumps inside (after, until].

    The frames seen from `after` on and the packets decoded; on a damaged
    span, those up to the damage (the cut keeps its best guess).
    """
    import av

    from video.scenes import CUT_THRESHOLD, MAX_FRAME_GAP_S, change

    seen: list[DecodedFrame] = []
    count = 0
    prev: DecodedFrame | None = None
    found = False
    ctx = decoder.ctx

    def look(frames: list[Any]) -> None:
        nonlocal prev, found
        for frame in frames:
            if frame.pts is None or found:
                continue
            cur = DecodedFrame(round(decoder.time(frame.pts), 4), grey_histogram(luma_thumbnail(frame)))
            if cur.t < after - _EPS:
                prev = cur
                continue
            seen.append(cur)
            if prev is not None and cur.t - prev.t <= MAX_FRAME_GAP_S and change(prev.hist, cur.hist) >= CUT_THRESHOLD:
                found = True
            prev = cur

    try:
        # A little early: the index seeks by decode time, which runs ahead of presentation.
        target = max(0, int((after - _SEEK_MARGIN_S + decoder.start) / decoder.tb))
        decoder.container.seek(target, stream=decoder.stream, backward=True)
        ctx.flush_buffers()
        for packet in decoder.container.demux(decoder.stream):
            if packet.pts is None or packet.size == 0:
                continue
            count += 1
            look(ctx.decode(packet))
            if found or decoder.time(packet.pts) >= until - _EPS:
                break
        look(ctx.decode(None))
    except av.error.FFmpegError:
        pass
    ctx.flush_buffers()
    return seen, count


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
