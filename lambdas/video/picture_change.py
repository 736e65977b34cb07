"""How much two small pictures differ, three ways that motion does not fool.

* ``change``: the share of the grey histogram that moved (0 identical, 1 disjoint);
* ``colour_shift``: how far the chroma distribution moved, in levels of U plus V
  (the earth mover's distance of each histogram): a change of colour cast, which
  the grey histogram does not see;
* ``layout_match``: how well the later picture is the earlier one moved (shifted
  and zoomed as a whole): the best normalised correlation of the two over the
  shifts phase correlation proposes and a few zooms. A pan or a zoom keeps it
  high, another scene with the same colours does not.
"""

from __future__ import annotations

import numpy as np

# Levels per chroma histogram bin (thumbnails.CHROMA_BINS bins over 256 levels).
_CHROMA_BIN_LEVELS = 4
# Candidate shifts: the highest peaks of the phase correlation, each also read the other way round the wrap.
_PEAKS = 2
# Overlap below this share of the picture says too little about a shift.
_MIN_OVERLAP = 0.2
# Zooms tried when no shift matches (a zoom of 1.2 in a second is fast).
_ZOOMS = (1 / 1.4, 1 / 1.2, 1.2, 1.4)
# Pictures smaller than this, or flatter (standard deviation in levels), have no layout to compare.
_MIN_SIDE = 8
_MIN_CONTRAST = 4.0


def change(a: np.ndarray, b: np.ndarray) -> float:
    """Distance in [0, 1] between two normalised histograms."""
    return float(np.abs(a - b).sum() / 2)


def colour_shift(a: np.ndarray, b: np.ndarray) -> float:
    """Levels the U and V distributions moved (summed), from normalised 2 x N chroma histograms."""
    return float(np.abs(np.cumsum(a, axis=1) - np.cumsum(b, axis=1)).sum() * _CHROMA_BIN_LEVELS)


class Layout:
    """A small grey picture prepared for `layout_match`: as floats, its spectrum computed once."""

    def __init__(self, picture: np.ndarray) -> None:
        self.pixels = picture.astype(np.float32)
        # Too small or too flat to tell a layout: matches anything.
        self.blank = min(picture.shape) < _MIN_SIDE or float(self.pixels.std()) < _MIN_CONTRAST
        self._spectrum: np.ndarray | None = None

    @property
    def spectrum(self) -> np.ndarray:
        if self._spectrum is None:
            self._spectrum = np.fft.rfft2(self.pixels - self.pixels.mean())
        return self._spectrum

    def magnified(self, zoom: float) -> Layout:
        """Magnified by `zoom` about its centre (nearest neighbour), same shape."""
        h, w = self.pixels.shape
        rows = np.clip(np.rint((np.arange(h) - (h - 1) / 2) / zoom + (h - 1) / 2), 0, h - 1).astype(np.intp)
        cols = np.clip(np.rint((np.arange(w) - (w - 1) / 2) / zoom + (w - 1) / 2), 0, w - 1).astype(np.intp)
        return Layout(self.pixels[rows][:, cols])


def layout_match(a: Layout, b: Layout, *, enough: float = 1.0) -> float:
    """Best correlation in [-1, 1] of `b` with `a` moved: unmoved, shifted, then zoomed, until one reaches `enough`.

    1.0 when either picture is too small or too flat to tell (nothing contradicts a match).
    """
    if a.blank or b.blank or a.pixels.shape != b.pixels.shape:
        return 1.0
    # Unmoved first (a still camera): no search when that already matches.
    best = _correlation(a.pixels, b.pixels, 0, 0)
    if best < enough:
        best = max(best, _shifted_match(a, b))
    for zoom in _ZOOMS:
        if best >= enough:
            break
        # Always magnify (the centre fills the frame): b for a zoom in, a for a zoom out.
        pair = (a, b.magnified(zoom)) if zoom > 1 else (a.magnified(1 / zoom), b)
        best = max(best, _shifted_match(*pair))
    return best


def _shifted_match(a: Layout, b: Layout) -> float:
    h, w = a.pixels.shape
    cross = a.spectrum * np.conj(b.spectrum)
    surface = np.fft.irfft2(cross / (np.abs(cross) + 1e-3), s=(h, w))
    best = -1.0
    for peak in np.argpartition(surface, -_PEAKS, axis=None)[-_PEAKS:]:
        py, px = np.unravel_index(peak, surface.shape)
        for dy in {int(py), int(py) - h}:
            for dx in {int(px), int(px) - w}:
                best = max(best, _correlation(a.pixels, b.pixels, dy, dx))
    return best


def _correlation(a: np.ndarray, b: np.ndarray, dy: int, dx: int) -> float:
    """Normalised correlation of a[y, x] with b[y - dy, x - dx] where both exist."""
    h, w = a.shape
    oa = a[max(0, dy) : h + min(0, dy), max(0, dx) : w + min(0, dx)]
    ob = b[max(0, -dy) : h + min(0, -dy), max(0, -dx) : w + min(0, -dx)]
    if oa.size < _MIN_OVERLAP * a.size:
        return -1.0
    oa, ob = oa - oa.mean(), ob - ob.mean()
    norm = float(np.sqrt((oa * oa).sum() * (ob * ob).sum()))
    return float((oa * ob).sum()) / norm if norm else 0.0
