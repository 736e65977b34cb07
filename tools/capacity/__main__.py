"""``python -m tools.capacity --stage dev [--measured FILE]`` (`make capacity`): the capacity report.

``--measured``: a JSON file ``{"source": "...", "seconds": {"video": 0.4, ...}}`` of per-job
times (what `make load` writes to docs/performance/job_seconds.json); a task it names is
taken from it, the others from the workload profile, each line saying which.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tools.capacity.model import load_assumptions, plan, workers
from tools.cost import prices as price_table

SCALES = (1, 10, 100)


def read_measured(path: Path | None) -> tuple[dict[str, float], str, float | None]:
    """(seconds per task, where they come from, video work seconds per clip second or None)."""
    if path is None or not path.exists():
        return {}, "", None
    raw = json.loads(path.read_text())
    seconds = raw.get("seconds")
    if not isinstance(seconds, dict) or not all(_positive(v) for v in seconds.values()):
        raise SystemExit(f"error: {path}: 'seconds' must map task names to positive numbers")
    rate = raw.get("video_work_seconds_per_video_second")
    if rate is not None and not _positive(rate):
        raise SystemExit(f"error: {path}: 'video_work_seconds_per_video_second' must be a positive number")
    return {str(k): float(v) for k, v in seconds.items()}, str(raw.get("source") or path), rate


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def report(stage: str, measured_path: Path | None, prices_path: Path = price_table.DEFAULT_TABLE) -> str:
    from tools.cost.__main__ import stage_config

    cfg = stage_config(stage)
    prices = price_table.load(prices_path)
    assumptions = load_assumptions()
    measured, source, video_rate = read_measured(measured_path)
    found = workers(cfg, measured, source, video_rate)
    peak = assumptions["peak_to_average"]["value"]
    lines = [
        f"Capacity of stage {stage} (peak hour = {peak}x the average; {assumptions['peak_to_average']['source']})",
        "",
    ]
    lines.append(f"{'worker':<9} {'conc.':>5} {'s/job':>7} {'jobs/hour':>10} {'1x peak/h':>10}  seconds from")
    for w in found:
        lines.append(
            f"{w.name:<9} {w.concurrency:>5} {w.seconds:>7.2f} {w.jobs_per_hour:>10.0f} "
            f"{w.peak_per_hour(1, peak):>10.1f}  {w.source}"
        )
    lines.append("")
    base = None
    for scale in SCALES:
        step = plan(cfg, prices, scale, found, assumptions)
        base = base if base is not None else step.monthly
        lines.append(
            f"== {scale}x the workload: ${step.monthly:.2f}/month for what scales (+${step.monthly - base:.2f} over 1x)"
        )
        lines.append(
            f"   connections {step.connections} of {step.max_connections} (db.{step.db_class}, reserve taken off); "
            f"database CPU {step.db_cpu_percent:.2f}% of a {step.db_baseline_percent:.0f}% baseline; "
            f"cache {step.cache_mib:.1f} of {step.cache_limit_mib:.0f} MiB ({step.cache_node})"
        )
        for change in step.changes or ["no setting changes"]:
            lines.append(f"   - {change}")
        for item, usd in step.cost.items():
            lines.append(f"     {item:<44} ${usd:>8.2f}")
    first = _first_limit(cfg, prices, found, assumptions)
    lines += ["", f"The data tier gives way first at: {first}"]
    lines.append("Fixed costs that do not scale (network, alarms, secrets...): `make cost`.")
    return "\n".join(lines)


def _first_limit(cfg, prices, found, assumptions) -> str:
    """The smallest workload multiple at which each data-tier limit is passed, the earliest first."""
    limits: dict[str, float] = {}
    scale = 1.0
    while scale <= 1000 and len(limits) < 3:
        step = plan(cfg, prices, scale, found, assumptions)
        if step.db_class != cfg.data.db_instance_class:
            limits.setdefault("connections", scale)
        if step.db_cpu_percent > step.db_baseline_percent:
            limits.setdefault("CPU credits", scale)
        if step.cache_node != cfg.data.cache_node_type:
            limits.setdefault("cache memory", scale)
        scale = round(scale * 1.25, 2)
    if not limits:
        return "nothing up to 1000x"
    order = sorted(limits.items(), key=lambda kv: kv[1])
    return ", then ".join(f"{name} at ~{s:.0f}x" for name, s in order)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.capacity", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--measured", type=Path, default=None, help="per-job seconds measured by a load run")
    args = parser.parse_args(argv)
    print(report(args.stage, args.measured))
    return 0


if __name__ == "__main__":
    sys.exit(main())
