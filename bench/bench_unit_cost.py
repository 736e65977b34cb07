"""Cost per unit of work from measurements: the video pass under Lambda's CPU share at each memory size.

Lambda gives a function CPU in proportion to its memory (1,769 MB = one
vCPU). This bench runs the worker's feature pass (probe, sampling, cuts,
features, model frames) on generated realistic clips (moving content,
B-frames, 30 fps, ~4 Mb/s: bench_scenes.py's generator) of the workload's
average length and of the longest accepted video (3 minutes), each in a
child process inside a cgroup whose CPU quota is that share (``cpu_quota.py``),
with the decoder threads the worker computes from such a quota. It prints
wall and CPU time and dollars per 1000 videos at 512, 1024, 1769 and 2048 MB,
and writes what it measured to ``tools/cost/measured.json``, which the cost
report reads (and says so). Needs root or passwordless sudo (it makes
cgroups); without, it stops and says so.

    .venv/bin/python bench/bench_unit_cost.py                 # 45 s and 180 s clips (make bench)
    .venv/bin/python bench/bench_unit_cost.py --no-write      # print only
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from bench_scenes import _MAKE_REALISTIC  # noqa: E402
from bench_video import _FEATURE_PASS  # noqa: E402
from cpu_quota import QuotaUnavailable, cpu_quota  # noqa: E402

MEMORY_SIZES = (512, 1024, 1769, 2048)
MB_PER_VCPU = 1769
OUT = ROOT / "tools" / "cost" / "measured.json"


def share(memory_mb: int) -> float:
    return memory_mb / MB_PER_VCPU


def run_in_quota(clip: Path, memory_mb: int) -> dict:
    """The feature pass in a fresh cgroup limited to Lambda's CPU share at ``memory_mb``."""
    threads = max(1, math.ceil(share(memory_mb)))  # what sampling.usable_cpus() reads from such a quota
    code = _FEATURE_PASS.format(lambdas=str(ROOT / "lambdas"), clip=str(clip), threads=threads)
    with cpu_quota(share(memory_mb)) as inside:
        out = subprocess.run([*inside, sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_average(tmp: Path, seconds: float) -> Path:
    clip = tmp / "average.mp4"
    code = _MAKE_REALISTIC.format(clip=str(clip), seconds=seconds, cuts=(seconds / 3, 2 * seconds / 3))
    subprocess.run([sys.executable, "-c", code], check=True)
    return clip


def make_longest(tmp: Path, average: Path, args: argparse.Namespace) -> Path:
    """The average clip played back to back up to the longest length: remuxed by ffmpeg, not re-encoded
    (encoding 3 minutes of 720p takes longer than every measurement here together)."""
    import imageio_ffmpeg

    copies = math.ceil(args.longest_seconds / args.average_seconds)
    listing = tmp / "concat.txt"
    listing.write_text("".join(f"file '{average}'\n" for _ in range(copies)))
    clip = tmp / "longest.mp4"
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [
            exe,
            "-v",
            "error",
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            "-c",
            "copy",
            "-t",
            str(args.longest_seconds),
            str(clip),
        ],
        check=True,
    )
    return clip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--average-seconds", type=float, default=45, help="the workload's average video")
    parser.add_argument("--longest-seconds", type=float, default=180, help="the longest video accepted")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {OUT.relative_to(ROOT)}")
    args = parser.parse_args()

    from stacks.config import load_stage_config
    from stacks.synth import cdk_context
    from tools.cost import prices as price_table

    cfg = load_stage_config(cdk_context()["config"], "dev", environ={})
    prices = price_table.load(price_table.DEFAULT_TABLE)
    gb_s, request = prices["lambda.arm64.gb_second"], prices["lambda.request"]
    ai_wait = cfg.workload.ai_call_seconds_avg
    budget = cfg.video.worker.timeout_seconds - cfg.video.time_reserve_seconds - ai_wait
    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        clips = {"average": (make_average(Path(tmp), args.average_seconds), args.average_seconds)}
        clips["longest"] = (make_longest(Path(tmp), clips["average"][0], args), args.longest_seconds)
        print(
            f"clips: realistic 1280x720 30 fps B-frames, {args.average_seconds:g} s (workload average) and "
            f"{args.longest_seconds:g} s (the longest accepted); model wait {ai_wait:g} s (workload.ai_call_seconds_avg: "
            "assumed, no model reachable here); time budget for the pass "
            f"{budget:g} s (timeout - reserve - model wait)"
        )
        print(
            f"{'memory':>7} {'vCPU':>5} | {'45 s clip wall/cpu':>20} {'peak':>6} | {'3 min clip wall':>15} | $ / 1000 videos"
        )
        for memory in MEMORY_SIZES:
            try:
                row = {name: run_in_quota(clip, memory) for name, (clip, _) in clips.items()}
            except QuotaUnavailable as exc:
                raise SystemExit(f"unit cost: {exc}") from None
            avg, longest = row["average"], row["longest"]
            billed = avg["s"] + ai_wait
            per_1000 = 1000 * (billed * memory / 1024 * gb_s + request)
            fits = longest["s"] <= budget and max(avg["rss_mb"], longest["rss_mb"]) < memory
            results[str(memory)] = {
                "vcpu": round(share(memory), 3),
                "average_wall_s": round(avg["s"], 3),
                "average_cpu_s": round(avg["cpu"], 3),
                "longest_wall_s": round(longest["s"], 3),
                "peak_rss_mb": round(max(avg["rss_mb"], longest["rss_mb"]), 1),
                "usd_per_1000_videos": round(per_1000, 4),
                "fits_budget": fits,
            }
            print(
                f"{memory:>5} MB {share(memory):5.2f} | {avg['s']:8.2f} s / {avg['cpu']:5.2f} s {avg['rss_mb']:5.0f}M | "
                f"{longest['s']:13.2f} s | ${per_1000:.4f}{'' if fits else '  (over the time or memory budget)'}"
            )
    fitting = [m for m in MEMORY_SIZES if results[str(m)]["fits_budget"]]
    cheapest = min(fitting, key=lambda m: results[str(m)]["usd_per_1000_videos"]) if fitting else None
    if not args.no_write:
        OUT.write_text(
            json.dumps(
                {
                    "source": "bench/bench_unit_cost.py",
                    "measured_at": datetime.now(UTC).strftime("%Y-%m-%d"),
                    "video": {
                        "clip_seconds": args.average_seconds,
                        "longest_clip_seconds": args.longest_seconds,
                        "by_memory_mb": results,
                        "cheapest_within_budget_mb": cheapest,
                    },
                },
                indent=2,
            )
            + "\n"
        )
        print(f"wrote {OUT.relative_to(ROOT)} (the cost report reads it)")
    configured = cfg.video.worker.memory_mb
    if cheapest is None:
        raise SystemExit("no size keeps a 3-minute clip within the time budget")
    ratio = results[str(configured)]["usd_per_1000_videos"] / results[str(cheapest)]["usd_per_1000_videos"]
    print(
        f"unit cost: {ratio:.2f}x the cheapest size that fits ({cheapest} MB; configured {configured} MB) "
        "(target <= 1.0)"
    )


if __name__ == "__main__":
    main()
