"""Video feature pass vs `ffmpeg -vf fps=1`, on the same generated clip, in the same run.

60 s, 1280x720, H.264, 25 fps, a keyframe every 2 s, scene cuts at known
times. Prints both wall (and CPU) times, the ratio, each one's peak memory
(each measured in its own process) and the worst scene-cut error. The feature
pass runs with the decoder threads the worker would use here
(VIDEO_DECODE_THREADS, default the usable CPUs; `--threads N` overrides) and,
alternated with it, with one thread, to show what the threads bring.

    .venv/bin/python bench/bench_video.py [--keep clip.mp4] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CUTS = (3.3, 11.7, 20.5, 29.1, 37.9, 44.4, 52.6)

# Imports (about 0.2 s, once per Lambda container) happen before the clock
# starts and are reported on their own; the timed pass is what each video costs.
_FEATURE_PASS = """
import json, sys, time
t0 = time.perf_counter()
sys.path[:0] = [{lambdas!r}]
from pathlib import Path
import av, numpy
from video import cpu_quota, features, frames, probe, sampling, scenes
def vm(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
imported = time.perf_counter() - t0
base_mb = vm("VmRSS:")
p = Path({clip!r})
t, c = time.perf_counter(), time.process_time()
info = probe.probe(p)
threads = {threads!r} or cpu_quota.usable_cpus()
ss = sampling.sample(p, info, fps=1.0, max_frames=180, model_max_side=512, threads=threads)
cuts = scenes.detect_cuts(ss.samples, ss.decoded, ss.packets, ss.cut_intervals)
features.compute(info, ss.samples, cuts)
frames.model_frames(ss.samples, cuts, 6)
elapsed, cpu = time.perf_counter() - t, time.process_time() - c
print(json.dumps({{"s": elapsed, "cpu": cpu, "import_s": imported, "cuts": cuts, "samples": len(ss.samples), "threads": ss.decode_threads,
                  "decoded": ss.decoded_packets, "packets": len(ss.packets), "rss_mb": vm("VmHWM:"), "base_mb": base_mb}}))
"""

_MAKE_CLIP = """
import sys
sys.path[:0] = [{lambdas!r}, {helpers!r}]
from pathlib import Path
from video_clips import make_clip
make_clip(Path({clip!r}), duration_s=60, width=1280, height=720, fps=25, cuts_s={cuts!r}, keyframe_interval_s=2.0,
          preset="veryfast")
"""


def make(path: Path) -> None:
    # In a child, so this process stays small: a child's RSS high-water mark
    # (ru_maxrss) starts from its parent's at exec.
    code = _MAKE_CLIP.format(
        lambdas=str(ROOT / "lambdas"), helpers=str(ROOT / "tests" / "lambdas" / "video"), clip=str(path), cuts=CUTS
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def feature_pass(clip: Path, threads: int | None) -> dict:
    code = _FEATURE_PASS.format(lambdas=str(ROOT / "lambdas"), clip=str(clip), threads=threads)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ffmpeg_pass(ffmpeg: str, clip: Path, outdir: Path) -> dict:
    t = time.perf_counter()
    # ffmpeg with its own defaults (threads included), as a user would run it.
    proc = subprocess.Popen([ffmpeg, "-v", "error", "-i", str(clip), "-vf", "fps=1", "-y", str(outdir / "f%03d.jpg")])
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, proc.args)
    return {
        "s": elapsed,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "frames": len(list(outdir.glob("*.jpg"))),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=Path, help="reuse/keep the clip at this path")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--threads", type=int, help="decoder threads (default: as the worker, VIDEO_DECODE_THREADS or the CPUs)"
    )
    args = parser.parse_args()
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    with tempfile.TemporaryDirectory() as tmp:
        clip = args.keep or Path(tmp) / "clip.mp4"
        if not clip.exists():
            make(clip)
        # Alternated, so both see the same machine; best of N each.
        ffs, ours, singles = [], [], []
        for _ in range(args.runs):
            ffs.append(ffmpeg_pass(ffmpeg, clip, Path(tempfile.mkdtemp(dir=tmp))))
            ours.append(feature_pass(clip, args.threads))
            singles.append(feature_pass(clip, 1))
    ff, us, one = (min(runs, key=lambda r: r["s"]) for runs in (ffs, ours, singles))
    same = all((r["cuts"], r["samples"], r["decoded"]) == (one["cuts"], one["samples"], one["decoded"]) for r in ours)
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    errors = [min(abs(c - f) for f in us["cuts"]) if us["cuts"] else float("inf") for c in CUTS]
    print(
        f"clip: 60 s 1280x720 H.264 25 fps, keyframe every 2 s, cuts at {list(CUTS)}; best of {args.runs}, alternated"
    )
    print(
        f"ffmpeg -vf fps=1 : {ff['s']:.3f} s (cpu {ff['cpu']:.3f} s)  peak {ff['rss_mb']:.0f} MB  ({ff['frames']} JPEGs)"
    )
    print(
        f"feature pass     : {us['s']:.3f} s (cpu {us['cpu']:.3f} s)  peak {us['rss_mb']:.0f} MB "
        f"(after imports {us['base_mb']:.0f} MB)  ({us['samples']} samples, {us['decoded']}/{us['packets']} packets decoded)  "
        f"{us['threads']} decoder threads (usable CPUs here: {len(os.sched_getaffinity(0))})"
    )
    print(
        f"  one thread     : {one['s']:.3f} s (cpu {one['cpu']:.3f} s)  peak {one['rss_mb']:.0f} MB; "
        f"{us['threads']} threads {one['s'] / us['s']:.2f}x faster; same samples, decodes and cuts: {same}"
    )
    print(
        f"ratio            : {ff['s'] / us['s']:.2f}x faster than ffmpeg (cpu {ff['cpu'] / us['cpu']:.2f}x); "
        f"one thread {ff['s'] / one['s']:.2f}x (cpu {ff['cpu'] / one['cpu']:.2f}x); "
        f"with the one-off imports ({us['import_s']:.3f} s): {ff['s'] / (us['s'] + us['import_s']):.2f}x"
    )
    print(
        f"scene cuts       : found {us['cuts']}; worst error {max(errors):.3f} s; extra {len(us['cuts']) - len(CUTS)}"
    )
    print(
        f"memory note      : ffmpeg peak is ru_maxrss of its own process (floor: this script's {floor:.0f} MB, "
        "inherited at exec); feature pass peak is its VmHWM"
    )
    print(f"video pass: {ff['s'] / us['s']:.2f}x ffmpeg -vf fps=1 on the 60 s bench clip, wall time (target >= 3)")


if __name__ == "__main__":
    main()
