"""The colour and layout rules of scene cuts, and the measures under them, on hand-made pictures.

The numbers are the documented rules: a cut moves the chroma distributions by
8 levels (U plus V), or leaves a layout match under 0.3 between pictures whose
neighbouring pairs match at 0.6 or more.
"""

from __future__ import annotations

import numpy as np
import pytest
from video_clips import block_texture

from video.picture_change import Layout, colour_shift, layout_match
from video.samples import DecodedFrame, Sample
from video.scenes import cut_intervals, pin
from video.thumbnails import CHROMA_BINS, HIST_BINS, layout_picture

FLAT_GREY = np.full(HIST_BINS, 1 / HIST_BINS)


def _colour(u_bins: dict[int, float], v_bin: int = 32) -> np.ndarray:
    """U histogram with the given weights per bin (4 levels each), V all in one bin."""
    hist = np.zeros((2, CHROMA_BINS))
    for b, weight in u_bins.items():
        hist[0, b] = weight
    hist[1, v_bin] = 1.0
    return hist


def _texture(seed: int) -> np.ndarray:
    """A 72 x 128 grey thumbnail, the size sampling keeps of a 1280 x 720 frame."""
    return block_texture(seed, 160, 100, block=4)[:72, :128]


def _moved(seed: int, dx: int) -> np.ndarray:
    return block_texture(seed, 160, 100, block=4)[:72, dx : dx + 128]


def _sample(t: float, thumb: np.ndarray, colour: np.ndarray | None = None) -> Sample:
    return Sample(t=t, frame_t=t, keyframe=False, thumb=thumb, picture=None, colour=colour)


# -- the measures -------------------------------------------------------------------------


def test_colour_shift_is_the_levels_the_chroma_moved():
    # Given U moved by two bins (8 levels), or half of it by one bin (2 levels)
    assert colour_shift(_colour({32: 1.0}), _colour({34: 1.0})) == pytest.approx(8.0)
    assert colour_shift(_colour({32: 1.0}), _colour({32: 0.5, 33: 0.5})) == pytest.approx(2.0)
    # And V moving adds to U moving
    assert colour_shift(_colour({32: 1.0}, 32), _colour({33: 1.0}, 31)) == pytest.approx(8.0)


def test_a_shifted_picture_matches_its_layout():
    assert layout_match(Layout(_moved(1, 0)), Layout(_moved(1, 20))) > 0.9


def test_a_picture_shifted_by_more_than_half_its_width_still_matches():
    # Given a shift of 70 of 128 columns: phase correlation sees it wrapped round, as -58
    a, b = block_texture(1, 260, 72, block=4)[:, :128], block_texture(1, 260, 72, block=4)[:, 70:198]
    assert layout_match(Layout(a), Layout(b)) > 0.9


def test_a_zoomed_picture_matches_its_layout():
    # Given the centre of a picture magnified 1.2 times
    a = Layout(_texture(1))
    assert layout_match(a, a.magnified(1.2)) > 0.6


def test_another_picture_of_the_same_tones_does_not_match():
    # Given the same pixels turned half round
    a = _texture(1)
    assert layout_match(Layout(a), Layout(a[::-1, ::-1]), enough=0.3) < 0.3


def test_flat_or_tiny_pictures_have_no_layout_to_contradict():
    flat, other = np.full((72, 128), 90, dtype=np.uint8), _texture(2)
    assert layout_match(Layout(flat), Layout(other)) == 1.0
    assert layout_match(Layout(other[:7, :7]), Layout(other[1:8, :7])) == 1.0


# -- the colour rule --------------------------------------------------------------------------


def test_a_chroma_shift_of_8_levels_is_a_cut_and_7_is_not():
    # Given samples of one grey picture whose U moves 8 levels, then 7 levels (7/8 of it by two bins)
    thumb = _texture(1)
    samples = [
        _sample(0, thumb, _colour({32: 1.0})),
        _sample(1, thumb, _colour({34: 1.0})),
        _sample(2, thumb, _colour({34: 0.125, 36: 0.875})),
    ]
    # Then only the 8-level shift is a cut
    assert cut_intervals(samples) == [(0.0, 1.0)]


def test_samples_without_colour_are_judged_without_it():
    thumb = _texture(1)
    assert cut_intervals([_sample(0, thumb, _colour({32: 1.0})), _sample(1, thumb)]) == []


# -- the layout rule --------------------------------------------------------------------------


def test_a_picture_no_motion_explains_between_followed_motion_is_a_cut():
    # Given a scene panned 20 columns a second, then another of the same tones, panned too
    samples = [_sample(t, thumb) for t, thumb in enumerate([_moved(1, 0), _moved(1, 20), _moved(3, 0), _moved(3, 20)])]
    # Then the change of scene is a cut
    assert cut_intervals(samples) == [(1.0, 2.0)]


def test_an_unmatched_pair_next_to_another_unmatched_pair_is_no_cut():
    # Given motion not followed around it (a picture matching neither side), then a panned scene
    samples = [_sample(t, thumb) for t, thumb in enumerate([_moved(1, 0), _texture(2), _moved(3, 0), _moved(3, 20)])]
    # Then no layout cut is called: at this rate the motion is not followed
    assert cut_intervals(samples) == []


def test_two_samples_alone_are_no_layout_cut():
    # Given an unmatched pair with no neighbour to tell whether motion is followed
    assert cut_intervals([_sample(0, _texture(1)), _sample(1, _texture(2))]) == []


def test_the_last_pair_is_judged_by_its_one_neighbour():
    samples = [_sample(t, thumb) for t, thumb in enumerate([_moved(1, 0), _moved(1, 20), _moved(3, 0)])]
    assert cut_intervals(samples) == [(1.0, 2.0)]


# -- pinning by colour and layout -------------------------------------------------------------------


def test_a_cut_seen_in_colour_is_pinned_where_the_colour_jumps():
    # Given frames of one grey histogram whose colour moves 12 levels between 0.6 and 0.7
    decoded = [DecodedFrame(t, FLAT_GREY, _colour({32 if t < 0.65 else 35: 1.0})) for t in (0.5, 0.6, 0.7, 0.8)]
    # Then the cut is the frame at 0.7
    assert pin(0.0, 1.0, decoded, []) == 0.7


def test_a_cut_seen_in_layout_alone_is_pinned_where_the_layout_breaks():
    # Given frames of one grey histogram and colour, a pan, then another picture from 0.7
    pictures = {0.5: _moved(1, 0), 0.6: _moved(1, 2), 0.7: _moved(4, 0), 0.8: _moved(4, 2)}
    decoded = [DecodedFrame(t, FLAT_GREY, _colour({32: 1.0}), layout_picture(p)) for t, p in pictures.items()]
    # Then the cut is the frame at 0.7
    assert pin(0.0, 1.0, decoded, []) == 0.7
