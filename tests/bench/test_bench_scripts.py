"""Every benchmark runs to its ratio line, at its smallest size.

The benchmarks call the real handlers, migrations and settings, so a change
there can break one without any test noticing until `make bench`; several had
(a stale import, settings the handlers stopped defaulting). Each runs here as
`make bench` runs it, in its own process against this session's PostgreSQL and
Redis, with sizes small enough to finish in seconds: what is checked is that
it runs and reports, not the figure.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
# What make bench greps for: `<name>: <ratio>x <peer> (target >= <t>)`, or `<=` where lower is better.
RATIO_LINE = re.compile(r"^[\w .-]+: \d+(\.\d+)?x .+ \(target (>=|<=) \d+(\.\d+)?\)$")

SMALLEST = {
    "bench_analytics": ["--events", "2000", "--runs", "2"],
    "bench_cold_imports": ["--runs", "1", "--functions", "router"],
    "bench_ingest": ["--batches", "1"],
    "bench_jobs_list": ["--jobs", "2000", "--depth", "500", "--repeats", "2"],
    "bench_local": ["--uploads", "2"],
    "bench_router": ["--runs", "1", "--warm", "50"],
    "bench_router_cold": ["--runs", "1"],
    "bench_rollups": ["--histories", "2000,4000", "--events", "2000", "--naive-rows", "200"],
    "bench_scenes": ["--seconds", "4", "--runs", "1"],
    "bench_synth": ["--runs", "1"],
    "bench_unit_cost": ["--no-write", "--average-seconds", "4", "--longest-seconds", "6"],
    "bench_video": ["--runs", "1"],
}


def test_every_benchmark_has_a_smallest_size_here() -> None:
    # Given the benchmarks make bench runs, then each one is run below
    assert {p.stem for p in BENCH.glob("bench_*.py")} == set(SMALLEST)


@pytest.mark.parametrize("name", sorted(SMALLEST))
def test_benchmark_runs_to_its_ratio_line(name: str, pg_server: str, redis_server: tuple[str, int]) -> None:
    # Given this session's servers
    env = {
        **os.environ,
        "TEST_PG_ADMIN_DSN": pg_server,
        "TEST_REDIS_HOST": redis_server[0],
        "TEST_REDIS_PORT": str(redis_server[1]),
    }
    env.pop("REDIS_URL", None)
    # When the benchmark runs at its smallest size
    result = subprocess.run(
        [sys.executable, str(BENCH / f"{name}.py"), *SMALLEST[name]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Then it ends well, with the ratio line last
    assert result.returncode == 0, result.stderr[-3000:]
    last = result.stdout.strip().splitlines()[-1]
    assert RATIO_LINE.match(last), last
