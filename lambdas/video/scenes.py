"""Scene cuts: found between 1-per-second samples, timed inside that second.

A cut is a complete change of picture between two consecutive samples, seen
any of three ways (`video.picture_change`), each blind to motion:

* their grey histograms barely overlap;
* their colour cast moved (the chroma distributions shifted): another scene
  with the same tones;
* the later picture is not the earlier one moved (no shift or zoom matches
  it), while the pictures on either side are matched by one: another scene
  with the same tones and colours. A sample a second from the last sees a
  lot of motion, so this holds only where the motion around it is followed.

Its time inside the interval comes from what sampling saw anyway:

* the frames decoded inside the interval (sampling decodes each group of
  pictures up to its last sample): the cut is the decoded frame that jumps
  most from the frame before;
* where the interval was skipped (the rest of a group of pictures), the
  codec's own packet sizes: a predicted frame after a cut predicts nothing
  and is coded almost from scratch, so its packet is several times larger
  than its neighbours. One such spike places the cut; several (a burst of
  motion also makes one) or none leave it ambiguous, and sampling then
  decodes that span (`pin` says which spans) until the jump shows;
* without any of these, the biggest spike or the middle of the gap.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from statistics import median

from video.picture_change import Layout, change, colour_shift, layout_match
from video.samples import DecodedFrame, PacketStat, Sample
from video.thumbnails import grey_histogram, layout_picture

# Share of the grey histogram that must move for a cut (0 = identical, 1 = disjoint).
CUT_THRESHOLD = 0.35
# Levels the chroma distributions (U plus V) must move for a cut; within a scene they move 0-3.
COLOUR_THRESHOLD = 8.0
# A layout match below this says the later picture is not the earlier one moved...
LAYOUT_THRESHOLD = 0.3
# ...when the sample pairs on either side match at least this well (their motion is followed).
TRACKED = 0.6
# A predicted packet this many times its neighbourhood's median marks the cut frame.
SPIKE_RATIO = 3.0
# Decoded frames closer than this are consecutive enough to time a cut by.
MAX_FRAME_GAP_S = 0.25
_NEIGHBOURHOOD_S = 2.0


def jump(a: DecodedFrame, b: DecodedFrame, *, layout: bool = False) -> float:
    """How big the change from frame a to b is, 1.0 being a cut's size; the layout counted only if asked."""
    size = change(a.hist, b.hist) / CUT_THRESHOLD
    if a.colour is not None and b.colour is not None:
        size = max(size, colour_shift(a.colour, b.colour) / COLOUR_THRESHOLD)
    if layout and a.layout is not None and b.layout is not None:
        match = layout_match(Layout(a.layout), Layout(b.layout), enough=LAYOUT_THRESHOLD)
        size = max(size, (1 - match) / (1 - LAYOUT_THRESHOLD))
    return size


def cut_intervals(samples: Sequence[Sample]) -> list[tuple[float, float]]:
    """(after, until] frame-time spans between consecutive samples whose pictures differ completely."""
    pictures = [Layout(layout_picture(s.thumb)) for s in samples]

    @functools.cache
    def match(i: int, enough: float) -> float:
        return layout_match(pictures[i], pictures[i + 1], enough=enough)

    pairs = list(zip(samples, samples[1:], strict=False))
    return [
        (a.frame_t, b.frame_t)
        for i, (a, b) in enumerate(pairs)
        if change(grey_histogram(a.thumb), grey_histogram(b.thumb)) >= CUT_THRESHOLD
        or (a.colour is not None and b.colour is not None and colour_shift(a.colour, b.colour) >= COLOUR_THRESHOLD)
        or _layout_cut(i, len(pairs), match)
    ]


def _layout_cut(i: int, pairs: int, match: Callable[[int, float], float]) -> bool:
    """Pair i matches no motion of its picture, while the pairs on either side (at least one) do."""
    if match(i, LAYOUT_THRESHOLD) >= LAYOUT_THRESHOLD:
        return False
    neighbours = [j for j in (i - 1, i + 1) if 0 <= j < pairs]
    return bool(neighbours) and all(match(j, TRACKED) >= TRACKED for j in neighbours)


def detect_cuts(
    samples: Sequence[Sample],
    decoded: Sequence[DecodedFrame],
    packets: Sequence[PacketStat],
    intervals: Sequence[tuple[float, float]] | None = None,
) -> list[float]:
    """The cut times; `intervals` is `cut_intervals(samples)` when already known (`SampleSet.cut_intervals`)."""
    if intervals is None:
        intervals = cut_intervals(samples)
    return [round(locate(after, until, decoded, packets), 3) for after, until in intervals]


def locate(after: float, until: float, decoded: Sequence[DecodedFrame], packets: Sequence[PacketStat]) -> float:
    """When in (after, until] the picture changed: pinned if possible, else the best guess."""
    pinned = pin(after, until, decoded, packets)
    if pinned is not None:
        return pinned
    start, end = _undecoded_span(after, until, decoded)
    spikes = _packet_spikes(start, end, packets)
    return max(spikes, key=lambda p: p.size).t if spikes else (start + end) / 2


def pin(after: float, until: float, decoded: Sequence[DecodedFrame], packets: Sequence[PacketStat]) -> float | None:
    """The cut's time when the evidence places it; None when it is ambiguous.

    Placed by two consecutive decoded frames with the biggest jump, or, inside
    a span sampling did not decode, by the only packet spike (or, failing
    one, the only keyframe strictly inside: encoders start a new group of
    pictures at a cut).
    """
    frames = sorted((d for d in decoded if after - 1e-6 <= d.t <= until + 1e-6), key=lambda d: d.t)
    if len(frames) >= 2:
        a, b = _biggest_jump(frames)
        if b.t - a.t <= MAX_FRAME_GAP_S:
            return b.t
    start, end = _undecoded_span(after, until, decoded)
    spikes = _packet_spikes(start, end, packets)
    if len(spikes) == 1:
        return spikes[0].t
    keys = [p for p in packets if start + 1e-6 < p.t < end - 1e-6 and p.keyframe]
    if not spikes and len(keys) == 1:
        return keys[0].t
    return None


def _undecoded_span(after: float, until: float, decoded: Sequence[DecodedFrame]) -> tuple[float, float]:
    """The part of (after, until] between the two decoded frames with the biggest jump."""
    frames = sorted((d for d in decoded if after - 1e-6 <= d.t <= until + 1e-6), key=lambda d: d.t)
    if len(frames) < 2:
        return after, until
    a, b = _biggest_jump(frames)
    return a.t, b.t


def _biggest_jump(frames: Sequence[DecodedFrame]) -> tuple[DecodedFrame, DecodedFrame]:
    """The consecutive frames with the biggest jump; by layout too when histograms show no cut-sized one."""
    pairs = list(zip(frames, frames[1:], strict=False))
    sizes = [jump(a, b) for a, b in pairs]
    if max(sizes) < 1.0:
        sizes = [jump(a, b, layout=True) for a, b in pairs]
    return pairs[sizes.index(max(sizes))]


def _packet_spikes(after: float, until: float, packets: Sequence[PacketStat]) -> list[PacketStat]:
    """Predicted packets in (after, until] several times their neighbourhood's median size."""
    predicted = [p for p in packets if after + 1e-6 < p.t <= until + 1e-6 and not p.keyframe]
    nearby = [p.size for p in packets if not p.keyframe and after - _NEIGHBOURHOOD_S <= p.t <= until + _NEIGHBOURHOOD_S]
    if not predicted:  # then nearby holds at least the predicted packets
        return []
    floor = SPIKE_RATIO * median(nearby)
    return [p for p in predicted if p.size >= floor]
