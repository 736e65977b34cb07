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
  than its neighbours;
* without either signal, the middle of the gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

import numpy as np

from video.sampling import DecodedFrame, PacketStat, Sample, grey_histogram

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


def detect_cuts(samples: Sequence[Sample], decoded: Sequence[DecodedFrame], packets: Sequence[PacketStat]) -> list[float]:
    cuts = []
    for prev, cur in zip(samples, samples[1:], strict=False):
        if change(grey_histogram(prev.thumb), grey_histogram(cur.thumb)) >= CUT_THRESHOLD:
            cuts.append(round(locate(prev.frame_t, cur.frame_t, decoded, packets), 3))
    return cuts


def locate(after: float, until: float, decoded: Sequence[DecodedFrame], packets: Sequence[PacketStat]) -> float:
    """When in (after, until] the picture changed."""
    frames = sorted((d for d in decoded if after - 1e-6 <= d.t <= until + 1e-6), key=lambda d: d.t)
    start, end = after, until
    if len(frames) >= 2:
        jumps = [(change(a.hist, b.hist), a, b) for a, b in zip(frames, frames[1:], strict=False)]
        _, a, b = max(jumps, key=lambda j: j[0])
        if b.t - a.t <= MAX_FRAME_GAP_S:
            return b.t
        start, end = a.t, b.t  # the change happened in frames sampling skipped
    spike = _packet_spike(start, end, packets)
    return spike if spike is not None else (start + end) / 2


def _packet_spike(after: float, until: float, packets: Sequence[PacketStat]) -> float | None:
    predicted = [p for p in packets if after < p.t <= until and not p.keyframe]
    if not predicted:
        return None
    nearby = [p.size for p in packets if not p.keyframe and after - _NEIGHBOURHOOD_S <= p.t <= until + _NEIGHBOURHOOD_S]
    biggest = max(predicted, key=lambda p: p.size)
    if nearby and biggest.size >= SPIKE_RATIO * median(nearby):
        return biggest.t
    return None
