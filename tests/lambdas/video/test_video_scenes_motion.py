"""Cuts between scenes of the same tones, and camera motion that is no cut, on generated clips.

Every shot is a detailed texture the camera keeps moving (30% of the frame a
second, with a vertical drift), so one second apart no pixel is where it was
and a pixel-wise difference would call every second a cut.
"""

from __future__ import annotations

import numpy as np
import pytest
from video_clips import block_texture, make_moving_clip

from video import probe, sampling, scenes
from video.thumbnails import grey_histogram

W, H = 320, 180
NEUTRAL = 128
CUTS = (2.52, 5.32)  # on frames; the first inside a decoded stretch, the second in a skipped one


def _cuts(clip) -> list[float]:
    info = probe.probe(clip.path)
    ss = sampling.sample(clip.path, info, fps=1.0, max_frames=180, model_max_side=256)
    return scenes.detect_cuts(ss.samples, ss.decoded, ss.packets, ss.cut_intervals)


def _assert_found(found: list[float]) -> None:
    assert len(found) == len(CUTS), found
    assert all(abs(f - c) <= 0.1 for f, c in zip(found, CUTS, strict=True)), found


@pytest.fixture(scope="module")
def texture() -> np.ndarray:
    return block_texture(1, 2 * W, 3 * H // 2)


def test_shots_of_the_same_grey_picture_in_another_colour_are_cut(tmp_path, texture):
    # Given shots of one grey picture (one grey histogram), neutral, then tinted blue, then red
    shots = [(texture, NEUTRAL, NEUTRAL), (texture, NEUTRAL + 40, NEUTRAL - 30), (texture, NEUTRAL - 35, NEUTRAL + 25)]
    clip = make_moving_clip(tmp_path / "colour.mp4", shots, cuts_s=CUTS)
    # When cuts are detected
    found = _cuts(clip)
    # Then both colour changes are cuts, each within a frame or two
    _assert_found(found)


def test_shots_of_the_same_tones_and_colours_in_another_layout_are_cut(tmp_path, texture):
    # Given shots whose pictures hold the same pixels rearranged: turned half round, then shifted and flipped
    other = np.roll(texture, texture.shape[1] // 3, axis=1)[::-1]
    shots = [(texture, NEUTRAL, NEUTRAL), (texture[::-1, ::-1], NEUTRAL, NEUTRAL), (other, NEUTRAL, NEUTRAL)]
    assert all(np.array_equal(grey_histogram(p), grey_histogram(texture)) for p, _, _ in shots)
    clip = make_moving_clip(tmp_path / "layout.mp4", shots, cuts_s=CUTS)
    # When cuts are detected
    found = _cuts(clip)
    # Then the changes of layout are cuts
    _assert_found(found)


def test_a_fast_pan_across_a_detailed_scene_is_no_cut(tmp_path, texture):
    # Given one shot panned at 45% of the frame a second (a second apart, the pictures overlap by a half or less)
    clip = make_moving_clip(tmp_path / "pan.mp4", [(texture, NEUTRAL - 18, NEUTRAL + 12)], pan_per_s=0.45)
    # When cuts are detected
    # Then there is none
    assert _cuts(clip) == []


def test_a_zoom_in_and_out_of_a_detailed_scene_is_no_cut(tmp_path, texture):
    # Given one shot zoomed from 1x to 1.5x and back, up to 20% a second
    clip = make_moving_clip(tmp_path / "zoom.mp4", [(texture, NEUTRAL, NEUTRAL)], zoom=True)
    # When cuts are detected
    # Then there is none
    assert _cuts(clip) == []
