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
from collections.abc import Callable, Sequence
from concurrent.futures import Future, wait
from pathlib import Path
from typing import Any

from common.errors import PermanentError
from video import scenes
from video.cpu_quota import usable_cpus
from video.decoder import Decoder, DecoderPool
from video.gop import (
    EPS,
    GroupDecoder,
    GroupPackets,
    GroupResult,
    Job,
    Plan,
    decode_packets,
    decode_span,
    keyframe_dts,
    plan_group,
)
from video.probe import VideoInfo
from video.samples import SAMPLE_WINDOW_S, DecodedFrame, PacketStat, Sample, SampleSet

# Under this share of samples decoded, the file is broken rather than merely damaged.
_MIN_DECODED_SHARE = 0.5


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
    job = Job(
        path,
        targets,
        sample_window(targets),
        _fit(info.coded_width, info.coded_height, model_max_side),
        info.rotation // 90,
    )
    threads = usable_cpus() if threads is None else threads
    sampled = None
    if threads > 1:
        with DecoderPool(path, threads) as pool:
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


def _run(job: Job, check_time: Callable[[], None], pool: DecoderPool | None) -> SampleSet | None:
    """One pass over the file; None when a parallel pass met damage it cannot reproduce exactly."""
    import av

    from video.probe import ffmpeg_reason

    try:
        container = av.open(str(job.path))
    except av.error.FFmpegError as exc:
        raise PermanentError("corrupt_video", f"the video cannot be read: {ffmpeg_reason(exc)}") from None
    with container:
        decoder = Decoder(container)
        sampler = _Sampler(job, decoder, keyframe_dts(container, decoder.stream), pool)
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
        sampler.cut_intervals,
    )


class _Sampler:
    """Demuxes every packet, plans each group of pictures at its keyframe and has it decoded.

    Without a pool the groups are decoded here, packet by packet as they are
    demuxed. With one, each group's packets (up to its plan's end) go to the
    pool's threads and the results are merged in time order; the plan of a
    group assumes the earlier ones served all their samples, which is checked
    at the merge (a group that decoded nothing makes the pass fall back).
    """

    def __init__(self, job: Job, decoder: Decoder, keyframe_dts: list[int], pool: DecoderPool | None) -> None:
        self.job, self.decoder, self.keyframe_dts, self.pool = job, decoder, keyframe_dts, pool
        self.samples: list[Sample] = []
        self.packets: list[PacketStat] = []
        self.decoded: list[DecodedFrame] = []
        self.decoded_packets = 0
        self.cut_intervals: list[tuple[float, float]] = []
        self.keyframes: list[tuple[float, int]] = []  # (time, pts): where a cut-timing span may start
        self.next_target = 0
        self.group: GroupDecoder | GroupPackets | None = None
        self.pending: list[tuple[Plan, Future]] = []  # with a pool: submitted groups, in time order
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
                    self.keyframes.append((t, packet.pts))
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
        plan = Plan(self.next_target, serves, max((n for n in serves if n is not None), default=key_t))
        if self.pool is None:
            self.group = GroupDecoder(self.decoder, self.job, plan)
        else:
            self.group = GroupPackets(plan)
            self.next_target += len(serves)

    def _close_group(self) -> None:
        group, self.group = self.group, None
        if isinstance(group, GroupDecoder):
            self._add(group.finish())
            # A group that decoded nothing leaves its samples to the next one.
            self.next_target = group.plan.first + len(group.samples)
        elif isinstance(group, GroupPackets) and self.pool is not None:
            self.pending.append((group.plan, self.pool.submit(decode_packets, self.job, group)))
            # Bounded read-ahead: the packets of at most two groups per thread wait in memory.
            while len(self.pending) - self._oldest > 2 * self.pool.threads:
                wait([self.pending[self._oldest][1]])
                self._oldest += 1

    def _add(self, result: GroupResult) -> None:
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
        intervals = self.cut_intervals = scenes.cut_intervals(self.samples)
        if self.pool is not None and self._pin_cuts_in_parallel(intervals):
            return
        for after, until in intervals:
            if scenes.pin(after, until, self.decoded, self.packets) is None:
                frames, count = decode_span(self.decoder, after, until, self._key_before(after))
                self.decoded += frames
                self.decoded_packets += count

    def _key_before(self, t: float) -> int | None:
        """Presentation timestamp of the last keyframe shown at or before t (None: none seen)."""
        i = bisect.bisect_right(self.keyframes, (t + EPS, float("inf")))
        return self.keyframes[i - 1][1] if i else None

    def _pin_cuts_in_parallel(self, intervals: list[tuple[float, float]]) -> bool:
        """The spans decoded at once, then checked in time order against what the sequential pass would decode.

        A span's frames can place the next interval's cut (two cuts a second
        apart); if that changes which spans need decoding, False and nothing changed.
        """
        assert self.pool is not None
        spans = {
            i: self.pool.submit(decode_span, *span, self._key_before(span[0]))
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


def _fit(width: int, height: int, max_side: int) -> tuple[int, int]:
    """Even dimensions scaled so the longer side is at most `max_side`."""
    scale = min(1.0, max_side / max(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)
