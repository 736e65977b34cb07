"""Probe, sampling, scene cuts and features on generated clips (no AWS, no database)."""

from __future__ import annotations

import pytest
from video_clips import make_clip

from video import features, frames, gop, probe, samples, sampling, scenes


def _pass(clip, fps=1.0, max_frames=180):
    info = probe.probe(clip.path)
    ss = sampling.sample(clip.path, info, fps=fps, max_frames=max_frames, model_max_side=256)
    cuts = scenes.detect_cuts(ss.samples, ss.decoded, ss.packets)
    return info, ss, cuts


def test_scene_cuts_found_within_half_a_second(tmp_path):
    # Given a 12 s clip with cuts at known times, keyframes every 2 s
    known = (1.5, 4.2, 7.7, 10.3)
    clip = make_clip(
        tmp_path / "cuts.mp4", duration_s=12, width=320, height=180, fps=25, cuts_s=known, preset="veryfast"
    )
    # When the feature pass runs
    _, _, cuts = _pass(clip)
    # Then every known cut is found once, within 0.5 s
    assert len(cuts) == len(known)
    for expected, found in zip(known, cuts, strict=True):
        assert abs(expected - found) <= 0.5, (expected, found)


def test_samples_one_per_second_without_decoding_every_frame(tmp_path):
    # Given an 8 s clip at 25 fps with a keyframe every 2 s
    clip = make_clip(tmp_path / "s.mp4", duration_s=8, width=320, height=180, fps=25, preset="veryfast")
    # When sampled at 1 per second
    info, ss, _ = _pass(clip)
    # Then there is one sample per second, each from a frame within the window
    assert [s.t for s in ss.samples] == [float(i) for i in range(8)]
    assert all(abs(s.frame_t - s.t) <= samples.SAMPLE_WINDOW_S + 1e-6 for s in ss.samples)
    # And even seconds are the keyframes themselves; odd seconds the cheapest frame, half a second early
    assert all(s.keyframe and s.frame_t == s.t for s in ss.samples[::2])
    assert all(not s.keyframe and s.frame_t == pytest.approx(s.t - 0.5, abs=0.05) for s in ss.samples[1::2])
    # And about a quarter of the packets are decoded
    assert ss.decoded_packets < len(ss.packets) * 0.4


def test_sampling_without_a_container_index_reads_keyframes_from_packets(tmp_path):
    # Given the same kind of clip remuxed into MPEG-TS, which has no index
    import av

    clip = make_clip(tmp_path / "s.mp4", duration_s=6, width=320, height=180, fps=25, cuts_s=(2.9,), preset="veryfast")
    ts = tmp_path / "s.ts"
    with av.open(str(clip.path)) as src, av.open(str(ts), "w", format="mpegts") as dst:
        out = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = out
                dst.mux(packet)
    with av.open(str(ts)) as c:
        assert not [e for e in c.streams.video[0].index_entries if e.is_keyframe]
    # When sampled
    info = probe.probe(ts)
    ss = sampling.sample(ts, info, fps=1.0, max_frames=180, model_max_side=256)
    cuts = scenes.detect_cuts(ss.samples, ss.decoded, ss.packets)
    # Then keyframe seconds still come from keyframes alone, and the cut is found
    assert [s.keyframe for s in ss.samples[:4]] == [True, False, True, False]
    assert ss.decoded_packets < len(ss.packets) * 0.6
    assert len(cuts) == 1 and abs(cuts[0] - 2.9) <= 0.5


@pytest.mark.parametrize(
    ("key_t", "next_key_t", "pending", "expected"),
    [
        (0.0, 2.0, [0.0, 1.0, 2.0], [None, 0.5]),  # 2.0 waits for its own keyframe
        (0.0, 1.3, [0.0, 1.0], [None]),  # the next keyframe is inside 1.0's window and nearer
        (0.0, 10.0, [0.0, 1.0, 2.0], [None, 0.5, 1.5]),  # a long group decodes to the last window start
        (3.0, 5.0, [2.0, 3.0], [None, None]),  # a window before the first keyframe takes the keyframe
    ],
)
def test_each_group_serves_its_samples_at_least_cost(key_t, next_key_t, pending, expected):
    assert gop.plan_group(pending, key_t, next_key_t, 0.5) == expected


def test_sample_count_is_capped():
    assert len(sampling.sample_times(300, 1.0, 180)) == 180
    assert sampling.sample_times(4.5, 1.0, 180) == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    ("w", "h", "rotation", "orientation"),
    [(320, 180, 0, "landscape"), (180, 320, 0, "portrait"), (320, 180, 90, "portrait")],
)
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


def test_motion_is_a_rate_per_second_between_the_frames_used():
    # Given three samples whose frames change by the same amount, 0.5 s then 1.5 s apart
    import numpy as np

    grey = [np.full((4, 4), v, np.uint8) for v in (0, 51, 102)]
    sampled = [
        samples.Sample(t, ft, False, g, None)
        for t, ft, g in ((0.0, 0.0, grey[0]), (1.0, 0.5, grey[1]), (2.0, 2.0, grey[2]))
    ]
    # When motion is computed
    moves = features.motion(sampled, [])
    # Then each change is divided by the time between the frames
    assert moves == [None, pytest.approx(0.4), pytest.approx(0.1333, abs=1e-4)]


def test_model_frames_of_a_rotated_clip_are_upright(tmp_path):
    # Given a landscape-coded clip displayed rotated by 90 degrees
    clip = make_clip(tmp_path / "r.mp4", duration_s=2, width=320, height=180, fps=5, rotation=90)
    _, ss, cuts = _pass(clip)
    # When its model frames are made
    chosen = frames.model_frames(ss.samples, cuts, 1)
    # Then they are portrait, like the display
    assert chosen[0].height > chosen[0].width and ss.samples[0].thumb.shape[0] > ss.samples[0].thumb.shape[1]


def test_model_frames_cover_each_scene_as_jpeg(tmp_path):
    clip = make_clip(tmp_path / "k.mp4", duration_s=6, width=320, height=180, fps=10, cuts_s=(2.5, 4.5))
    _, ss, cuts = _pass(clip)
    chosen = frames.model_frames(ss.samples, cuts, 4)
    assert len(chosen) == 4 and {f.scene for f in chosen} == {0, 1, 2}
    assert all(f.jpeg[:2] == b"\xff\xd8" and f.jpeg[-2:] == b"\xff\xd9" for f in chosen)
