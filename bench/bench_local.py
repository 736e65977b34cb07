"""`make local`: time to a healthy API, and upload-to-analysis latency.

Starts ``python -m tools.local run`` (what `make local` runs) twice on a free
port: once as a clean clone would (no cached templates, so the stage is
synthesized) and once warm. Each time it prints the time from the command to
``GET /health`` answering 200. On the warm system it uploads a generated clip
20 times (POST /v1/uploads + presigned PUT) and measures, per upload, the time
from the PUT's answer to ``GET /v1/jobs/{id}`` showing ``succeeded``; the peer
is the worker's own time on the same job (startedAt -> finishedAt), so the
ratio is what the queue, the poller and the polling client add.
Usage: python bench/bench_local.py [--uploads N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import percentile  # noqa: E402

from tools.local import services  # noqa: E402
from tools.local.synth import CACHE_DIR  # noqa: E402

# From `make local` on a clean clone to GET /health answering 200.
HEALTHY_BUDGET_S = 60.0


def _start(port: int, state: Path) -> tuple[subprocess.Popen[bytes], float]:
    env = {**os.environ, "LOCAL_PORT": str(port), "LOCAL_STATE_DIR": str(state)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.local", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as answer:
                if answer.status == 200:
                    return proc, time.perf_counter() - started
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"tools.local exited with {proc.returncode} before it was healthy")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> float:
    started = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    return time.perf_counter() - started


def _call(method: str, url: str, token: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def _upload_latency(base: str, token: str, clip: bytes) -> tuple[float, float]:
    ticket = _call(
        "POST",
        f"{base}/v1/uploads",
        token,
        {"filename": "bench clip.mp4", "contentType": "video/mp4", "size": len(clip)},
    )
    put = urllib.request.Request(ticket["uploadUrl"], data=clip, method="PUT", headers=ticket["headers"])
    urllib.request.urlopen(put, timeout=30).close()
    uploaded = time.perf_counter()
    while True:
        job = _call("GET", f"{base}/v1/jobs/{ticket['jobId']}", token)
        if job["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.06)  # under the stage throttle (20 requests a second)
    latency = time.perf_counter() - uploaded
    if job["status"] != "succeeded":
        raise SystemExit(f"upload failed: {job}")
    worker = datetime.fromisoformat(job["finishedAt"]) - datetime.fromisoformat(job["startedAt"])
    return latency, worker.total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests" / "lambdas" / "video"))
    from video_clips import make_clip

    with tempfile.TemporaryDirectory() as tmp:
        clip_path = Path(tmp) / "clip.mp4"
        make_clip(clip_path, duration_s=5.0, cuts_s=(2.5,))
        clip = clip_path.read_bytes()
        cached = CACHE_DIR.with_name(CACHE_DIR.name + ".bench-saved")
        if CACHE_DIR.exists():
            shutil.move(CACHE_DIR, cached)
        try:
            proc, cold = _start(services.free_port(), Path(tmp) / "cold")
            _stop(proc)
        finally:
            if cached.exists():
                shutil.rmtree(CACHE_DIR, ignore_errors=True)
                shutil.move(cached, CACHE_DIR)
        port = services.free_port()
        proc, warm = _start(port, Path(tmp) / "warm")
        try:
            token = (Path(tmp) / "warm" / "dev-token").read_text().strip()
            _upload_latency(f"http://127.0.0.1:{port}", token, clip)  # first call: the worker's imports
            runs = [_upload_latency(f"http://127.0.0.1:{port}", token, clip) for _ in range(args.uploads)]
        finally:
            stopped = _stop(proc)

    latency = [r[0] for r in runs]
    worker = [r[1] for r in runs]
    print(f"time to healthy, clean clone (synth):  {cold:6.1f} s   (target {HEALTHY_BUDGET_S:.0f} s)")
    print(f"time to healthy, warm (cached templates): {warm:6.1f} s")
    print(f"stop after SIGINT:                      {stopped:6.1f} s")
    print(f"upload -> analysis, {len(runs)} uploads of a {len(clip) // 1024} KiB 5 s clip:")
    print(f"  end to end  median {statistics.median(latency):.2f} s  p95 {percentile(latency, 0.95):.2f} s")
    print(f"  worker only median {statistics.median(worker):.2f} s  p95 {percentile(worker, 0.95):.2f} s")
    print(f"  ratio end-to-end / worker (median): {statistics.median(latency) / statistics.median(worker):.2f}x")
    print(
        f"local: {HEALTHY_BUDGET_S / cold:.1f}x the {HEALTHY_BUDGET_S:.0f} s budget to a healthy API, clean clone (target >= 1)"
    )


if __name__ == "__main__":
    main()
