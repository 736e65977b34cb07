"""Video feature pass vs `ffmpeg -vf fps=1`, on the same generated clip, in the same run.

60 s, 1280x720, H.264, 25 fps, a keyframe every 2 s, scene cuts at known
times. Prints both wall times, the ratio, each one's peak memory (RSS high
water mark of a child process) and the worst scene-cut error.

    .venv/bin/python bench/bench_video.py [--keep clip.mp4]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CUTS = (3.3, 11.7, 20.5, 29.1, 37.9, 44.4, 52.6)

_FEATURE_PASS = """
import json, resource, sys, time
sys.path[:0] = [{lambdas!r}]
from pathlib import Path
from video import features, frames, probe, sampling, scenes
p = Path({clip!r})
t = time.perf_counter()
info = probe.probe(p)
ss = sampling.sample(p, info, fps=1.0, max_frames=180, model_max_side=512)
cuts = scenes.detect_cuts(ss.samples, ss.decoded, ss.packets)
features.compute(info, ss.samples, cuts)
frames.model_frames(ss.samples, cuts, 6)
elapsed = time.perf_counter() - t
print(json.dumps({{"s": elapsed, "cuts": cuts, "samples": len(ss.samples), "decoded": ss.decoded_packets,
                  "packets": len(ss.packets), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def make(path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "lambdas" / "video"))
    from video_clips import make_clip

    make_clip(path, duration_s=60, width=1280, height=720, fps=25, cuts_s=CUTS, keyframe_interval_s=2.0, preset="veryfast")


def feature_pass(clip: Path) -> dict:
    code = _FEATURE_PASS.format(lambdas=str(ROOT / "lambdas"), clip=str(clip))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ffmpeg_pass(clip: Path, outdir: Path) -> dict:
    import imageio_ffmpeg

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(clip), "-vf", "fps=1", "-y",
                    str(outdir / "f%03d.jpg")], check=True)
    elapsed = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"s": elapsed, "rss_mb": max(peak, before) / 1024, "frames": len(list(outdir.glob("*.jpg")))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=Path, help="reuse/keep the clip at this path")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = args.keep or Path(tmp) / "clip.mp4"
        if not clip.exists():
            make(clip)
        # ffmpeg first: its child RSS is read before the feature pass adds its own.
        ff = min((ffmpeg_pass(clip, Path(tempfile.mkdtemp(dir=tmp))) for _ in range(args.runs)), key=lambda r: r["s"])
        ours = min((feature_pass(clip) for _ in range(args.runs)), key=lambda r: r["s"])
    errors = [min(abs(c - f) for f in ours["cuts"]) if ours["cuts"] else float("inf") for c in CUTS]
    print(f"clip: 60 s 1280x720 H.264 25 fps, keyframe every 2 s, cuts at {list(CUTS)}")
    print(f"ffmpeg -vf fps=1 : {ff['s']:.3f} s  peak {ff['rss_mb']:.0f} MB  ({ff['frames']} JPEGs)")
    print(f"feature pass     : {ours['s']:.3f} s  peak {ours['rss_mb']:.0f} MB  ({ours['samples']} samples, "
          f"{ours['decoded']}/{ours['packets']} packets decoded)")
    print(f"ratio            : {ff['s'] / ours['s']:.2f}x faster than ffmpeg")
    print(f"scene cuts       : found {ours['cuts']}; worst error {max(errors):.3f} s; "
          f"extra {len(ours['cuts']) - len(CUTS)}")


if __name__ == "__main__":
    main()
