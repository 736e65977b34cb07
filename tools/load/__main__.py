"""``python -m tools.load`` (`make load`): locust, headless and bounded, against the local system; then the audit.

1. The local system: the one `make local` runs (its endpoints.json answers GET /health), else one
   started here for the run. Only loopback: an API that is not on 127.0.0.1 is refused.
2. locust (tools/load/locustfile.py) with LOAD_USERS users for at most LOAD_SECONDS seconds and
   LOAD_MAX_REQUESTS requests; the stats: throughput, p50/p95/p99 per route, errors.
3. The jobs the run made, settled: every one terminal (bounded wait), one sweep, and the audit,
   whose last line ``lost: N, duplicated: N`` ends the output (exit 1 unless both are 0).
4. The workers' measured seconds per job go to docs/performance/job_seconds.json (`make capacity`
   reads them).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
JOB_SECONDS = ROOT / "docs" / "performance" / "job_seconds.json"
CLIP_SECONDS = 5.0
SETTLE_S = 180.0


@contextlib.contextmanager
def local_system() -> Iterator[Any]:
    """The running local system's endpoints, or a new one's for the duration."""
    from tools.local.settings import Settings, load_endpoints

    try:
        endpoints = load_endpoints()
        with urllib.request.urlopen(f"{endpoints.api_url}/health", timeout=2) as answer:
            if answer.status == 200:
                print(f"load: using the running local system at {endpoints.api_url}", flush=True)
                yield endpoints, None
                return
    except (FileNotFoundError, OSError):
        pass
    from tools.local.system import LocalSystem

    print("load: starting the local system (make local) for this run", flush=True)
    settings = Settings.from_env()
    if "LOCAL_PORT" not in os.environ:
        settings.port = 0  # a free port: 8000 may be another system's
    with LocalSystem(settings) as system:
        print(f"load: healthy in {system.timings['healthy_s']:.1f} s at {system.endpoints.api_url}", flush=True)
        yield system.endpoints, system


def require_loopback(api_url: str) -> None:
    host = urlsplit(api_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"load: refusing to load {api_url}: make load runs against the local system only")


def _token(endpoints: Any) -> str:
    from tools.local import deployment, identity

    dep = deployment.for_stage(endpoints.stage)
    scope = dep.functions[dep.api.function].environment.get("OPERATOR_SCOPE")
    state = Path(endpoints.token_path).parent
    return identity.token("load-client", dep.api.audience[0], scope=scope, state_dir=state)


def _clip(directory: Path) -> Path:
    sys.path.insert(0, str(ROOT / "tests" / "lambdas" / "video"))
    from video_clips import make_clip

    path = directory / "load.mp4"
    make_clip(path, duration_s=CLIP_SECONDS, cuts_s=(2.5,))
    return path


def run_locust(api_url: str, env: dict[str, str], *, users: int, seconds: int, stats_file: Path) -> int:
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--only-summary",
        "--host",
        api_url,
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "5",
        "--loglevel",
        "WARNING",
    ]
    run = subprocess.run(
        command,
        env={**os.environ, **env, "LOAD_STATS_FILE": str(stats_file)},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if run.returncode not in (0, 1):  # 1: some requests failed, which the table reports
        print(run.stderr[-3000:], file=sys.stderr)
    return run.returncode


def read_stats(stats_file: Path) -> dict[str, Any]:
    return json.loads(stats_file.read_text())


def format_stats(stats: dict[str, Any], wall_s: float) -> str:
    lines = [f"{'route':<28} {'requests':>8} {'errors':>6} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"]
    for row in stats["routes"]:
        name = "all routes" if row["name"] == "Aggregated" else row["name"]
        lines.append(
            f"{name:<28} {row['requests']:>8} {row['failures']:>6} {row['rps']:>6.1f} "
            f"{row['p50']:>7.0f} {row['p95']:>7.0f} {row['p99']:>7.0f}"
        )
    total = next(r for r in stats["routes"] if r["name"] == "Aggregated")
    lines.append(
        f"throughput: {total['requests'] / wall_s:.1f} requests/s over {wall_s:.1f} s (locust's start and stop included)"
    )
    for error in stats["errors"]:
        lines.append(f"error x{error['occurrences']}: {error['name']}: {error['error']}")
    return "\n".join(lines)


def settle(database_url: str, since: datetime, within_s: float = SETTLE_S) -> int:
    """Wait until no job made since ``since`` is queued or running; how many still are."""
    import psycopg

    deadline = time.monotonic() + within_s
    while True:
        with psycopg.connect(database_url) as conn:
            (left,) = conn.execute(
                "SELECT count(*) FROM jobs WHERE created_at >= %s AND status NOT IN ('succeeded', 'failed')", (since,)
            ).fetchone()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(1)


def measured_seconds(database_url: str, since: datetime) -> dict[str, float]:
    """The median worker time (started -> finished) of each task's jobs that succeeded in the run."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT task, percentile_cont(0.5) WITHIN GROUP "
            "(ORDER BY extract(epoch FROM finished_at - started_at)) FROM jobs "
            "WHERE created_at >= %s AND status = 'succeeded' GROUP BY task",
            (since,),
        ).fetchall()
    return {task: round(float(median), 3) for task, median in rows}


def sweep(endpoints: Any) -> dict[str, int]:
    """One run of the real sweep with the stage's sweeper settings, sending to the local SQS."""
    import boto3
    import psycopg
    from psycopg.rows import dict_row

    from cron import sweep_settings, sweeper
    from tools.local import deployment

    dep = deployment.for_stage(endpoints.stage)
    fn = next(f for f in dep.functions.values() if f.handler == "cron.sweep_handler.lambda_handler")
    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoints.aws_endpoint_url,
        region_name=endpoints.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    with psycopg.connect(endpoints.database_url, row_factory=dict_row) as conn:
        report = sweeper.sweep(
            conn,
            sweep_settings.from_env(fn.environment),
            lambda url, envelope: sqs.send_message(QueueUrl=url, MessageBody=json.dumps(envelope))["MessageId"],
        )
    return report.counts()


def audit(endpoints: Any) -> tuple[int, str]:
    from tools.ops.cli import main

    out = io.StringIO()
    saved = dict(os.environ)
    os.environ["LOCAL_STATE_DIR"] = str(Path(endpoints.token_path).parent)
    try:
        code = main(["--local", "audit", "--older-than-minutes", "0", "--peek", "0"], out=out)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return code, out.getvalue().rstrip("\n").rpartition("\n")[2]


def main() -> int:
    users = int(os.environ.get("LOAD_USERS", "8"))
    seconds = int(os.environ.get("LOAD_SECONDS", "60"))
    max_requests = int(os.environ.get("LOAD_MAX_REQUESTS", "1500"))
    user_rps = os.environ.get("LOAD_USER_RPS", "2")
    with local_system() as (endpoints, _system), tempfile.TemporaryDirectory() as tmp:
        require_loopback(endpoints.api_url)
        since = datetime.now(UTC)
        env = {
            "LOAD_TOKEN": _token(endpoints),
            "LOAD_CLIP": str(_clip(Path(tmp))),
            "LOAD_MAX_REQUESTS": str(max_requests),
            "LOAD_USER_RPS": user_rps,
        }
        print(
            f"load: {users} users x {user_rps} req/s, at most {seconds} s and {max_requests} requests",
            flush=True,
        )
        started = time.monotonic()
        stats_file = Path(tmp) / "stats.json"
        code = run_locust(endpoints.api_url, env, users=users, seconds=seconds, stats_file=stats_file)
        wall = time.monotonic() - started
        if code not in (0, 1):
            print(f"load: locust exited {code}", file=sys.stderr)
            return code
        print(format_stats(read_stats(stats_file), wall), flush=True)
        left = settle(endpoints.database_url, since)
        print(f"jobs settled: {'all terminal' if not left else f'{left} still not terminal'}", flush=True)
        print(f"sweep: {sweep(endpoints)}", flush=True)
        measured = measured_seconds(endpoints.database_url, since)
        _write_measured(measured)
        print(f"worker seconds per job (median): {measured}", flush=True)
        code, verdict = audit(endpoints)
        print(verdict, flush=True)
        return code


def _write_measured(measured: dict[str, float]) -> None:
    seconds = {task: s for task, s in measured.items() if task != "video" and s > 0}
    body: dict[str, Any] = {
        "source": f"make load on {datetime.now(UTC):%Y-%m-%d} (local system, median worker time per job)",
        "seconds": seconds,
    }
    if measured.get("video"):
        body["video_work_seconds_per_video_second"] = round(measured["video"] / CLIP_SECONDS, 4)
    JOB_SECONDS.write_text(json.dumps(body, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
