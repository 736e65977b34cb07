"""Decoding groups of pictures on several threads gives exactly what one thread gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from video_clips import make_clip

from common.errors import ConfigurationError
from tools import function_env
from video import cpu_quota, features, frames, probe, sampling, scenes
from video.settings import VideoSettings

# Two cuts a second apart (the second one's span can be placed by the first one's decode) and cuts mid-group.
CUTS = (1.5, 4.2, 5.3, 7.7, 10.3)


def _feature_pass(path: Path, threads: int) -> dict:
    info = probe.probe(path)
    ss = sampling.sample(path, info, fps=1.0, max_frames=180, model_max_side=256, threads=threads)
    cuts = scenes.detect_cuts(ss.samples, ss.decoded, ss.packets)
    return {
        "threads": ss.decode_threads,
        "samples": [
            (s.t, s.frame_t, s.keyframe, s.quarter_turns, s.thumb.tobytes(), s.rgb().tobytes()) for s in ss.samples
        ],
        "packets": ss.packets,
        "decoded": [(d.t, d.hist.tobytes()) for d in ss.decoded],
        "decoded_packets": ss.decoded_packets,
        "cuts": cuts,
        "features": features.compute(info, ss.samples, cuts),
        "model_frames": frames.model_frames(ss.samples, cuts, 6),
    }


def _without_threads(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "threads"}


@pytest.fixture(scope="module")
def cut_clip(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("threads")
    return make_clip(d / "cuts.mp4", duration_s=12, width=320, height=180, fps=25, cuts_s=CUTS, preset="veryfast").path


@pytest.mark.parametrize("threads", [2, 3])
def test_several_decoder_threads_give_the_one_thread_result(cut_clip, threads):
    # Given a 12 s clip with scene cuts (six groups of pictures)
    # When the feature pass runs with one decoder thread and with several
    one = _feature_pass(cut_clip, 1)
    many = _feature_pass(cut_clip, threads)
    # Then the pool was used (no fall-back to one thread)
    assert one["threads"] == 1 and many["threads"] == threads
    # And samples, packets, decoded frames, cuts, features and the model's JPEGs are identical
    assert _without_threads(many) == _without_threads(one)
    # And the cuts are the known ones (the comparison is not between two empty results)
    assert len(one["cuts"]) == len(CUTS) and len(one["model_frames"]) == 6


def test_threads_give_the_same_result_without_a_container_index(cut_clip, tmp_path):
    # Given the clip remuxed into MPEG-TS (keyframes come from a demux pass)
    import av

    ts = tmp_path / "cuts.ts"
    with av.open(str(cut_clip)) as src, av.open(str(ts), "w", format="mpegts") as dst:
        out = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = out
                dst.mux(packet)
    # When sampled with one and with two threads
    one, two = _feature_pass(ts, 1), _feature_pass(ts, 2)
    # Then the results are identical, from the pool
    assert two["threads"] == 2
    assert _without_threads(two) == _without_threads(one)


def test_threads_give_the_same_upright_frames_of_a_rotated_clip(tmp_path):
    # Given a clip displayed rotated by 90 degrees, several groups long
    clip = make_clip(tmp_path / "r.mp4", duration_s=6, width=320, height=180, fps=10, cuts_s=(2.5,), rotation=90)
    # When sampled with one and with two threads
    one, two = _feature_pass(clip.path, 1), _feature_pass(clip.path, 2)
    # Then the results are identical and upright (portrait)
    assert _without_threads(two) == _without_threads(one)
    assert all(f.height > f.width for f in two["model_frames"])


# Here a third of the way in, the pool's result stands; a quarter of the way in, a group
# decodes nothing and the pass falls back to one thread (encoder output may vary by machine).
@pytest.mark.parametrize("where", [1 / 3, 1 / 4])
def test_a_damaged_stream_gives_the_one_thread_result(cut_clip, tmp_path, where):
    # Given the clip with 4000 bytes of garbage over its picture data (the index is intact)
    data = bytearray(cut_clip.read_bytes())
    at = int(len(data) * where)
    data[at : at + 4000] = bytes(range(256)) * 15 + bytes(160)
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    # When sampled with one and with two threads
    one, two = _feature_pass(damaged, 1), _feature_pass(damaged, 2)
    # Then the damage shows in what is decoded
    assert one["decoded"] != _feature_pass(cut_clip, 1)["decoded"]
    # And samples, decodes and cuts are the same (from the pool, or from its fall-back to one thread)
    assert _without_threads(two) == _without_threads(one)


def test_usable_cpus_are_at_least_one_and_at_most_the_affinity():
    assert 1 <= cpu_quota.usable_cpus() <= len(os.sched_getaffinity(0))


@pytest.mark.parametrize(("raw", "threads"), [("auto", None), ("3", 3), (" 1 ", 1)])
def test_decoder_threads_come_from_the_environment(raw, threads):
    env = {**function_env.video(), "UPLOADS_BUCKET": "b", "VIDEO_DECODE_THREADS": raw}
    assert VideoSettings.from_env(env).decode_threads == threads


@pytest.mark.parametrize("bad", ["0", "-2", "two", "1.5", ""])
def test_a_bad_decoder_thread_count_is_a_configuration_error(bad):
    env = {**function_env.video(), "UPLOADS_BUCKET": "b", "VIDEO_DECODE_THREADS": bad}
    with pytest.raises(ConfigurationError, match="VIDEO_DECODE_THREADS"):
        VideoSettings.from_env(env)


def test_running_out_of_time_stops_the_decoder_threads(cut_clip):
    # Given a deadline check that fails at the third keyframe
    import threading

    from common.errors import TransientError

    calls = []

    def check_time() -> None:
        calls.append(1)
        if len(calls) == 3:
            raise TransientError("out_of_time", "stop")

    info = probe.probe(cut_clip)
    # When sampled with two threads
    with pytest.raises(TransientError):
        sampling.sample(cut_clip, info, fps=1.0, max_frames=180, model_max_side=256, check_time=check_time, threads=2)
    # Then the error reaches the caller and no decoder thread is left running
    assert not [t for t in threading.enumerate() if t.name.startswith("video-decode")]
