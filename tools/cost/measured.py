"""Figures measured by the benchmarks, in place of the workload profile's assumptions.

``tools/cost/measured.json`` is written by ``bench/bench_unit_cost.py``: the
worker's video pass timed under Lambda's CPU share at each memory size. The
cost report prices the video function with the wall time measured at its
configured memory, and prints where the figure came from. Without a
measurement at that size it keeps the profile's assumption and says so.
"""

from __future__ import annotations

import json
from pathlib import Path

from stacks.config import StageConfig

MEASURED = Path(__file__).with_name("measured.json")


def apply(cfg: StageConfig, path: Path = MEASURED) -> tuple[StageConfig, str]:
    """(``cfg`` with the measured video time per video second, a line saying what was read)."""
    memory = cfg.video.worker.memory_mb
    assumed = cfg.workload.video_work_seconds_per_video_second
    if not path.exists():
        return cfg, f"workload: no {path.name}; video pass assumed {assumed:g} s per video second"
    data = json.loads(path.read_text())
    video = data["video"]
    entry = video["by_memory_mb"].get(str(memory))
    if entry is None:
        return cfg, (
            f"workload: {path.name} has no measurement at {memory} MB; video pass assumed {assumed:g} s per video second"
        )
    per_second = entry["average_wall_s"] / video["clip_seconds"]
    workload = cfg.workload.model_copy(update={"video_work_seconds_per_video_second": per_second})
    line = (
        f"workload: read {path.name} ({data['source']}, {data['measured_at']}): video pass {entry['average_wall_s']:g} s "
        f"wall per {video['clip_seconds']:g} s video at {memory} MB ({per_second:.4f} s per video second, "
        f"assumption was {assumed:g}); model wait {cfg.workload.ai_call_seconds_avg:g} s and API durations still assumed"
    )
    return cfg.model_copy(update={"workload": workload}), line
