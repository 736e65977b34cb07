"""What scene cuts, brightness and motion are measured on, read straight from a decoded frame's planes.

Every decoded frame gets these, so each must cost microseconds: strided views
of the planes instead of a scaler pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np

THUMB_MAX_SIDE = 128
HIST_BINS = 32
CHROMA_MAX_SIDE = 64
CHROMA_BINS = 64  # of 4 levels each
# Planar pixel formats whose planes are 8-bit Y, U, V.
_PLANAR_YUV = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p"})
# Formats whose second plane holds U and V interleaved (V first for nv21).
_SEMI_PLANAR = {"nv12": (0, 1), "nv21": (1, 0)}


def _plane(frame: Any, index: int, width: int, height: int) -> np.ndarray:
    plane = frame.planes[index]
    return np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:height, :width]


def _stride(image: np.ndarray, max_side: int) -> np.ndarray:
    step = max(1, -(-max(image.shape[:2]) // max_side))
    return np.ascontiguousarray(image[::step, ::step])


def luma_thumbnail(frame: Any) -> np.ndarray:
    """A grey thumbnail (max side about THUMB_MAX_SIDE) read straight from the luma plane."""
    name = frame.format.name
    if name in _PLANAR_YUV or name in _SEMI_PLANAR:
        y = _plane(frame, 0, frame.width, frame.height)
    else:
        y = frame.to_ndarray(format="gray")
    return _stride(y, THUMB_MAX_SIDE)


def chroma_thumbnail(frame: Any) -> np.ndarray:
    """U and V (shape 2 x h x w, max side about CHROMA_MAX_SIDE) read straight from the chroma planes."""
    name = frame.format.name
    if name not in _PLANAR_YUV and name not in _SEMI_PLANAR:
        # Deeper or packed formats (rare in uploads): one small scaler pass.
        frame = frame.reformat(format="yuv444p", width=CHROMA_MAX_SIDE, height=CHROMA_MAX_SIDE)
        name = "yuv444p"
    fmt = frame.format
    width, height = fmt.chroma_width(), fmt.chroma_height()
    if name in _SEMI_PLANAR:
        uv = _plane(frame, 1, 2 * width, height).reshape(height, width, 2)
        u, v = _SEMI_PLANAR[name]
        return np.stack([_stride(uv[:, :, u], CHROMA_MAX_SIDE), _stride(uv[:, :, v], CHROMA_MAX_SIDE)])
    return np.stack([_stride(_plane(frame, i, width, height), CHROMA_MAX_SIDE) for i in (1, 2)])


def grey_histogram(thumb: np.ndarray) -> np.ndarray:
    hist = np.bincount((thumb.ravel() >> 3).astype(np.intp), minlength=HIST_BINS).astype(np.float32)
    return hist / max(1.0, float(hist.sum()))


def chroma_histograms(chroma: np.ndarray) -> np.ndarray:
    """Normalised U and V histograms (2 x CHROMA_BINS) of a chroma thumbnail."""
    bins = (chroma >> 2).astype(np.intp)  # 4 levels a bin
    bins[1] += CHROMA_BINS
    hists = np.bincount(bins.ravel(), minlength=2 * CHROMA_BINS).reshape(2, CHROMA_BINS).astype(np.float32)
    return hists / max(1.0, float(chroma[0].size))


def layout_picture(thumb: np.ndarray) -> np.ndarray:
    """The grey thumbnail averaged over 2 x 2 blocks: what a picture's layout is compared on (less aliasing)."""
    h, w = thumb.shape[0] // 2 * 2, thumb.shape[1] // 2 * 2
    t = thumb[:h, :w].astype(np.uint16)
    return ((t[0::2, 0::2] + t[1::2, 0::2] + t[0::2, 1::2] + t[1::2, 1::2] + 2) >> 2).astype(np.uint8)
