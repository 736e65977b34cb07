"""Scene cuts: found between 1-per-second samples, timed inside that second.

A cut is a complete change of picture between two consecutive samples (their
grey histograms barely overlap). Its time inside the interval comes from
what sampling saw anyway:

* the frames decoded inside the interval (sampling decodes each group of
  pictures up to its last sample): the cut is the decoded frame whose
  histogram jumps most from the frame before;
* where the interval was skipped (the rest of a group of pictures), the
  codec's own packet sizes: a predicted frame after a cut predicts nothing
  and is coded almost from scratch, so its packet is several times larger
  than its neighbours. One such spike places the cut; several (a burst of
  motion also makes one) or none leave it ambiguous, and sampling then
  decodes that span (`pin` says which spans) until the jump shows;
* without any of these, the biggest spike or the middle of the gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

import numpy as np

from video.samples import DecodedFrame, PacketStat, Sample
from video.thumbnails import grey_histogram

# Share of the histogram that must move for a cut (0 = identical, 1 = disjoint).
CUT_THRESHOLD = 0.35
# A predicted packet this many times its neighbourhood's median marks the cut frame.
SPIKE_RATIO = 3.0
# Decoded frames closer than this are consecutive enough to time a cut by.
MAX_FRAME_GAP_S = 0.25
_NEIGHBOURHOOD_S = 2.0


def change(a: np.ndarray, b: np.ndarray) -> float:
    """Distance in [0, 1] between two normalised histograms."""
    return float(np.abs(a - b).sum() / 2)


def cut_intervals(samples: Sequence[Sample]) -> list[tuple[float, float]]:
    """(after, until] frame-time spans between consecutive samples whose pictures differ completely."""
    return [
        (prev.frame_t, cur.frame_t)
        for prev, cur in zip(samples, samples[1:], strict=False)
        if change(grey_histogram(prev.thumb), grey_histogram(cur.thumb)) >= CUT_THRESHOLD
    ]


def detect_cuts(
    samples: Sequence[Sample], decoded: Sequence[DecodedFrame], packets: Sequence[PacketStat]
) -> list[float]:
    return [round(locate(after, until, decoded, packets), 3) for after, until in cut_intervals(samples)]


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
        _, a, b = max(
            ((change(a.hist, b.hist), a, b) for a, b in zip(frames, frames[1:], strict=False)), key=lambda j: j[0]
        )
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
    _, a, b = max(
        ((change(a.hist, b.hist), a, b) for a, b in zip(frames, frames[1:], strict=False)), key=lambda j: j[0]
    )
    return a.t, b.t


def _packet_spikes(after: float, until: float, packets: Sequence[PacketStat]) -> list[PacketStat]:
    """Predicted packets in (after, until] several times their neighbourhood's median size."""
    predicted = [p for p in packets if after + 1e-6 < p.t <= until + 1e-6 and not p.keyframe]
    nearby = [p.size for p in packets if not p.keyframe and after - _NEIGHBOURHOOD_S <= p.t <= until + _NEIGHBOURHOOD_S]
    if not predicted:  # then nearby holds at least the predicted packets
        return []
    floor = SPIKE_RATIO * median(nearby)
    return [p for p in predicted if p.size >= floor]
