"""Probe, sampling, scene cuts and features on generated clips (no AWS, no database)."""

from __future__ import annotations

import pytest
from video_clips import make_clip

from video import features, frames, probe, sampling, scenes


def _pass(clip, fps=1.0, max_frames=180):
    info = probe.probe(clip.path)
    ss = sampling.sample(clip.path, info, fps=fps, max_frames=max_frames, model_max_side=256)
    cuts = scenes.detect_cuts(ss.samples, ss.decoded, ss.packets)
    return info, ss, cuts


def test_scene_cuts_found_within_half_a_second(tmp_path):
    # Given a 12 s clip with cuts at known times, keyframes every 2 s
    known = (1.5, 4.2, 7.7, 10.3)
    clip = make_clip(tmp_path / "cuts.mp4", duration_s=12, width=320, height=180, fps=25, cuts_s=known, preset="veryfast")
    # When the feature pass runs
    _, _, cuts = _pass(clip)
    # Then every known cut is found once, within 0.5 s
    assert len(cuts) == len(known)
    for expected, found in zip(known, cuts, strict=True):
        assert abs(expected - found) <= 0.5, (expected, found)


def test_samples_one_per_second_without_decoding_every_frame(tmp_path):
    clip = make_clip(tmp_path / "s.mp4", duration_s=8, width=320, height=180, fps=25, preset="veryfast")
    info, ss, _ = _pass(clip)
    assert [s.t for s in ss.samples] == [float(i) for i in range(8)]
    assert all(abs(s.frame_t - s.t) <= 0.2 for s in ss.samples)
    assert ss.decoded_packets < len(ss.packets) * 0.8


def test_sample_count_is_capped():
    assert len(sampling.sample_times(300, 1.0, 180)) == 180
    assert sampling.sample_times(4.5, 1.0, 180) == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize(("w", "h", "rotation", "orientation"), [(320, 180, 0, "landscape"), (180, 320, 0, "portrait"), (320, 180, 90, "portrait")])
def test_orientation_follows_display(tmp_path, w, h, rotation, orientation):
    clip = make_clip(tmp_path / "o.mp4", duration_s=2, width=w, height=h, fps=5, rotation=rotation)
    info = probe.probe(clip.path)
    assert info.orientation == orientation
    assert info.rotation in (0, 90, 270) and (info.rotation != 0) == bool(rotation)


def test_features_report_cuts_brightness_and_motion(tmp_path):
    clip = make_clip(tmp_path / "f.mp4", duration_s=6, width=320, height=180, fps=10, cuts_s=(2.5,))
    info, ss, cuts = _pass(clip)
    f = features.compute(info, ss.samples, cuts)
    assert f["cut_count"] == 1 and f["cuts_per_minute"] == pytest.approx(10.0)
    assert abs(f["time_to_first_cut_s"] - 2.5) <= 0.5
    assert len(f["brightness"]) == len(f["motion"]) == 6
    # The first scene is red-dominant and the second green: different brightness.
    assert f["brightness"][0] != f["brightness"][-1]
    assert f["motion"][0] is None and any(m for m in f["motion"][1:] if m)


def test_model_frames_cover_each_scene_as_jpeg(tmp_path):
    clip = make_clip(tmp_path / "k.mp4", duration_s=6, width=320, height=180, fps=10, cuts_s=(2.5, 4.5))
    _, ss, cuts = _pass(clip)
    chosen = frames.model_frames(ss.samples, cuts, 4)
    assert len(chosen) == 4 and {f.scene for f in chosen} == {0, 1, 2}
    assert all(f.jpeg[:2] == b"\xff\xd8" and f.jpeg[-2:] == b"\xff\xd9" for f in chosen)
