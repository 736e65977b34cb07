"""The cost report prices the video function with the bench's measured time at its configured memory."""

from __future__ import annotations

import json

import pytest

from stacks.config import load_stage_config
from stacks.synth import ROOT
from tools.cost import measured


@pytest.fixture(scope="module")
def cfg():
    return load_stage_config(json.loads((ROOT / "cdk.json").read_text())["context"]["config"], "dev", environ={})


def _write(path, by_memory):
    payload = {"source": "bench/bench_unit_cost.py", "measured_at": "2026-11-30"}
    path.write_text(json.dumps({**payload, "video": {"clip_seconds": 45, "by_memory_mb": by_memory}}))
    return path


def test_measured_wall_time_at_the_configured_memory_replaces_the_assumption(cfg, tmp_path):
    # Given a measurement at the video worker's configured memory
    memory = str(cfg.video.worker.memory_mb)
    path = _write(tmp_path / "measured.json", {memory: {"average_wall_s": 4.5}, "99999": {"average_wall_s": 1.0}})
    # When the report applies it
    applied, line = measured.apply(cfg, path)
    # Then the video pass costs 4.5 s per 45 s video, and the report says where that came from
    assert applied.workload.video_work_seconds_per_video_second == pytest.approx(0.1)
    assert "read measured.json" in line and "bench/bench_unit_cost.py" in line and f"at {memory} MB" in line
    assert cfg.workload.video_work_seconds_per_video_second == 0.5  # the profile itself is untouched


def test_no_measurement_at_that_memory_keeps_the_assumption_and_says_so(cfg, tmp_path):
    path = _write(tmp_path / "measured.json", {"99999": {"average_wall_s": 1.0}})
    applied, line = measured.apply(cfg, path)
    assert applied is cfg and "no measurement at" in line and "assumed" in line
    applied, line = measured.apply(cfg, tmp_path / "absent.json")
    assert applied is cfg and "no absent.json" in line


def test_the_shipped_measurement_covers_the_configured_memory(cfg):
    # The committed file (bench/bench_unit_cost.py) measured the size the stage deploys.
    applied, line = measured.apply(cfg)
    assert line.startswith("workload: read measured.json"), line
    assert applied.workload.video_work_seconds_per_video_second < cfg.workload.video_work_seconds_per_video_second
