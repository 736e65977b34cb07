"""What sampling produces: the samples, the frames decoded on the way and every packet's size."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Farthest a sample's frame may be from its requested time.
SAMPLE_WINDOW_S = 0.5


@dataclass(frozen=True)
class PacketStat:
    t: float
    size: int
    keyframe: bool


@dataclass(frozen=True)
class DecodedFrame:
    t: float
    hist: np.ndarray = field(repr=False)  # normalised grey histogram
    colour: np.ndarray | None = field(default=None, repr=False)  # normalised U and V histograms (2 x N)
    layout: np.ndarray | None = field(default=None, repr=False)  # thumbnails.layout_picture of its grey thumbnail


@dataclass
class Sample:
    t: float  # requested time (s)
    frame_t: float  # time of the frame used, within the sampling window of t
    keyframe: bool
    thumb: np.ndarray = field(repr=False)  # uint8 grey, upright, max side thumbnails.THUMB_MAX_SIDE
    picture: Any = field(repr=False)  # av.VideoFrame at model size, as coded (not yet turned upright)
    quarter_turns: int = 0  # clockwise quarter turns that make `picture` upright
    colour: np.ndarray | None = field(default=None, repr=False)  # normalised U and V histograms (2 x N)

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
    cut_intervals: list[tuple[float, float]] | None = None  # scenes.cut_intervals(samples), found while sampling
