"""Grey thumbnails and histograms of decoded frames: what scene cuts, brightness and motion are measured on."""

from __future__ import annotations

from typing import Any

import numpy as np

THUMB_MAX_SIDE = 128
HIST_BINS = 32
# Pixel formats whose first plane is 8-bit luma.
_EIGHT_BIT_LUMA_FIRST = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21"})


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
