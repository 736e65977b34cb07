"""Scene cuts on a generated clip land on the exact frame of the cut, whichever evidence places them."""

from __future__ import annotations

import pytest
from video_clips import make_clip

from video import probe, sampling, scenes

FPS = 25
# On frames (multiples of 1/25 s), one per sampled second at most. With keyframes every 2 s and
# samples once a second, 1.48, 2.52, 4.2 and 10.32 fall where sampling decodes frame by frame
# (pinned by the biggest histogram jump); 5.96, 7.72 and 9.0 fall in spans it skips (pinned by
# the predicted packet coded from scratch).
CUTS = (1.48, 2.52, 4.2, 5.96, 7.72, 9.0, 10.32)


@pytest.fixture(scope="module")
def sampled(tmp_path_factory):
    path = tmp_path_factory.mktemp("scenes") / "cuts.mp4"
    clip = make_clip(path, duration_s=12, width=320, height=180, fps=FPS, cuts_s=CUTS, preset="veryfast")
    info = probe.probe(clip.path)
    return sampling.sample(clip.path, info, fps=1.0, max_frames=180, model_max_side=256)


def test_every_cut_is_found_on_its_exact_frame(sampled):
    # When cuts are detected on the 1-per-second samples
    cuts = scenes.detect_cuts(sampled.samples, sampled.decoded, sampled.packets)
    # Then each is the time of the first frame of the new scene, not a guess near it
    assert cuts == list(CUTS)


def test_every_cut_is_pinned_by_evidence_not_guessed(sampled):
    intervals = scenes.cut_intervals(sampled.samples)
    pinned = [scenes.pin(after, until, sampled.decoded, sampled.packets) for after, until in intervals]
    assert pinned == pytest.approx(list(CUTS), abs=1e-9)
