"""Decoding one group of pictures (GOP): its plan, its packets, its frames and samples, and cut-pinning spans.

Each group starts at a keyframe and ends with the decoder drained, so groups are
independent: `sampling` decodes them in order on one thread, or on a `DecoderPool`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from video.decoder import Decoder
from video.samples import DecodedFrame, Sample
from video.scenes import MAX_FRAME_GAP_S, jump
from video.thumbnails import chroma_histograms, chroma_thumbnail, grey_histogram, layout_picture, luma_thumbnail

EPS = 1e-6
_SEEK_MARGIN_S = 0.25


def plan_group(pending: Sequence[float], key_t: float, next_key_t: float, window: float) -> list[float | None]:
    """Which of the `pending` sample times the group starting at keyframe `key_t` serves.

    One entry per served time, in order (the rest go to later groups): None
    when the keyframe itself serves it, else the earliest frame time that may
    serve it (decoding must reach it).
    """
    served: list[float | None] = []
    for t in pending:
        if t - window >= next_key_t - EPS:
            break  # its window starts in a later group
        to_next = abs(next_key_t - t)
        if to_next <= window + EPS and to_next < abs(key_t - t):
            break  # the next keyframe is nearer and inside the window
        if t - window > key_t + EPS:
            served.append(t - window)
        else:
            # The keyframe is inside the window, or the window ended before
            # it (a stream that starts late): the nearest decodable frame.
            served.append(None)
    return served


@dataclass(frozen=True)
class Job:
    path: Path
    targets: list[float]
    window: float
    model_size: tuple[int, int]
    quarter_turns: int


@dataclass(frozen=True)
class Plan:
    """What one group of pictures serves: targets[first:first + len(serves)], decoding to `until`."""

    first: int
    serves: list[float | None]
    until: float


@dataclass
class GroupResult:
    samples: list[Sample]
    decoded: list[DecodedFrame]
    decoded_packets: int
    exact: bool = True  # False: only the sequential pass reproduces this group (see `decode_packets`)


class GroupPackets:
    """A group's packets up to its plan's end, collected for a pool thread."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.packets: list[tuple[Any, float]] = []
        self.feeding = True
        self.ended_at_plan = False

    def feed(self, packet: Any, t: float) -> None:
        self.packets.append((packet, t))
        if t >= self.plan.until - EPS:
            self.feeding, self.ended_at_plan = False, True


def decode_packets(decoder: Decoder, job: Job, group: GroupPackets) -> GroupResult:
    """A collected group, decoded on a pool thread.

    Inexact where the sequential pass would differ: a decoder error that is
    not a damaged packet (it stops the sequential pass there), or a damaged
    last packet (it makes the sequential pass decode further).
    """
    import av

    packets, group.packets = group.packets, []  # released as soon as decoded
    decoding = GroupDecoder(decoder, job, group.plan)
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


class GroupDecoder:
    """Decodes one group of pictures up to its plan's end, taking samples from the frames as they come."""

    def __init__(self, decoder: Decoder, job: Job, plan: Plan) -> None:
        self.decoder, self.job, self.plan = decoder, job, plan
        self.serves = list(plan.serves)
        self.samples: list[Sample] = []
        self.decoded: list[DecodedFrame] = []
        self.decoded_packets = 0
        self.feeding = True
        self.last: tuple[Any, float, DecodedFrame] | None = None

    def feed(self, packet: Any, t: float) -> None:
        import av

        self.decoded_packets += 1
        try:
            self._frames(self.decoder.ctx.decode(packet))
        except av.error.InvalidDataError:
            return  # a damaged packet: its frame is concealed or dropped
        if t >= self.plan.until - EPS:
            self._drain()

    def finish(self) -> GroupResult:
        """End the group; samples it did not reach (a damaged or cut-short group) take its last frame."""
        if self.feeding:
            self._drain()
        while self.serves and self.last is not None:
            self._take(*self.last)
        return GroupResult(self.samples, self.decoded, self.decoded_packets)

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
            seen = decoded_frame(frame, ft)
            self.decoded.append(seen)
            self.last = (frame, ft, seen)
            while self.serves:
                need = self.serves[0]
                if not frame.key_frame if need is None else ft < need - EPS:
                    break
                self._take(frame, ft, seen)

    def _take(self, frame: Any, ft: float, seen: DecodedFrame) -> None:
        self.serves.pop(0)
        t = self.job.targets[self.plan.first + len(self.samples)]
        w, h = self.job.model_size
        picture = self.decoder.reformatter.reformat(frame, width=w, height=h, format="yuv420p", interpolation="AREA")
        thumb = luma_thumbnail(frame)
        if self.job.quarter_turns:
            thumb = np.ascontiguousarray(np.rot90(thumb, -self.job.quarter_turns))
        self.samples.append(
            Sample(t, round(ft, 4), bool(frame.key_frame), thumb, picture, self.job.quarter_turns, seen.colour)
        )


def decoded_frame(frame: Any, t: float) -> DecodedFrame:
    """What scene cuts keep of a decoded frame: its grey and chroma histograms and its layout picture."""
    thumb = luma_thumbnail(frame)
    return DecodedFrame(
        round(t, 4), grey_histogram(thumb), chroma_histograms(chroma_thumbnail(frame)), layout_picture(thumb)
    )


def decode_span(
    decoder: Decoder, after: float, until: float, key_pts: int | None = None
) -> tuple[list[DecodedFrame], int]:
    """From the keyframe before `after` (at `key_pts`), decode until the picture jumps inside (after, until].

    The frames seen from `after` on and the packets decoded; on a damaged
    span, those up to the damage (the cut keeps its best guess). Decoded
    without the loop filter (`Decoder.span_ctx`): only histograms are read.
    """
    import av

    seen: list[DecodedFrame] = []
    count = 0
    prev: DecodedFrame | None = None
    found = False
    ctx = decoder.span_ctx()

    def look(frames: list[Any]) -> None:
        nonlocal prev, found
        for frame in frames:
            if frame.pts is None or found:
                continue
            cur = decoded_frame(frame, decoder.time(frame.pts))
            if cur.t < after - EPS:
                prev = cur
                continue
            seen.append(cur)
            # Histograms only: a cut seen by layout alone is placed once the whole span is decoded.
            if prev is not None and cur.t - prev.t <= MAX_FRAME_GAP_S and jump(prev, cur) >= 1.0:
                found = True
            prev = cur

    try:
        # Seeking lands on the last keyframe shown at or before the target; without a
        # keyframe seen there, a little early (a stream whose first frames are late).
        if key_pts is None:
            key_pts = max(0, int((after - _SEEK_MARGIN_S + decoder.start) / decoder.tb))
        decoder.container.seek(key_pts, stream=decoder.stream, backward=True)
        ctx.flush_buffers()
        for packet in decoder.container.demux(decoder.stream):
            if packet.pts is None or packet.size == 0:
                continue
            t = decoder.time(packet.pts)
            if packet.is_keyframe and count and abs(t - until) <= EPS:
                break  # the later sample's own keyframe, decoded by sampling (and nothing before it needs it)
            count += 1
            look(ctx.decode(packet))
            if found or t >= until - EPS:
                break
        look(ctx.decode(None))
    except av.error.FFmpegError:
        pass
    ctx.flush_buffers()
    return seen, count


def keyframe_dts(container: Any, stream: Any) -> list[int]:
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
