"""make load's parts (tools/load): the locustfile runs its mix against an HTTP peer and stops at its request budget;
the runner refuses a non-loopback API and prints the per-route table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from tools.load.__main__ import LOCUSTFILE, format_stats, read_stats, require_loopback

BUDGET = 30


def _api(httpserver: HTTPServer) -> None:
    """The API's answers the mix expects: a job per key (a replay answers the same one), a ticket, the AI route."""
    jobs: dict[str, str] = {}

    def create_job(request: Request) -> Response:
        key = request.headers["Idempotency-Key"]
        replay = key in jobs
        jobs.setdefault(key, f"job-{len(jobs)}")
        return Response(json.dumps({"jobId": jobs[key]}), 202, {"Idempotent-Replay": "true" if replay else "false"})

    ticket = {"method": "PUT", "uploadUrl": httpserver.url_for("/put"), "headers": {}, "jobId": "upload-job"}
    httpserver.expect_request("/v1/jobs", method="POST").respond_with_handler(create_job)
    httpserver.expect_request("/v1/uploads", method="POST").respond_with_json(ticket, status=201)
    httpserver.expect_request("/put", method="PUT").respond_with_data("")
    httpserver.expect_request("/v1/ai/route", method="POST").respond_with_json({"content": "ok"})
    httpserver.expect_request("/v1/jobs/upload-job").respond_with_json({"status": "succeeded"})
    httpserver.expect_request("/v1/jobs/job-0").respond_with_json({"status": "succeeded"})
    httpserver.no_handler_status_code = 200


def test_the_locustfile_runs_its_mix_and_stops_at_its_request_budget(httpserver: HTTPServer, tmp_path: Path) -> None:
    # Given an API peer and a budget of BUDGET requests, with a run time far longer than that needs
    _api(httpserver)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0" * 1024)
    env = {"LOAD_TOKEN": "t", "LOAD_CLIP": str(clip), "LOAD_MAX_REQUESTS": str(BUDGET), "LOAD_USER_RPS": "50"}
    # When locust runs it headless
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary"]
        + ["--host", httpserver.url_for("").rstrip("/"), "-u", "4", "-r", "4", "-t", "20s"]
        + ["--loglevel", "WARNING"],
        env={**os.environ, **env, "LOAD_STATS_FILE": str(tmp_path / "stats.json")},
        capture_output=True,
        timeout=40,
    )
    # Then it stopped at the budget (each user finishes the request it is in), without a failed request
    stats = read_stats(tmp_path / "stats.json")
    rows = {r["name"]: r for r in stats["routes"]}
    assert done.returncode == 0, (stats["errors"], done.stderr[-2000:])
    assert BUDGET <= rows["Aggregated"]["requests"] < BUDGET + 8
    assert rows["Aggregated"]["failures"] == 0
    assert {"POST /v1/jobs", "POST /v1/ai/route", "POST /v1/uploads", "PUT upload (S3)"} <= set(rows)
    # And the runner's table names every route with its percentiles
    table = format_stats(stats, wall_s=2.0)
    assert "POST /v1/jobs" in table and "p99 ms" in table and "all routes" in table


@pytest.mark.parametrize("url", ["http://10.0.0.5:8000", "https://api.huntaze.com", "http://example.com"])
def test_the_runner_refuses_an_api_off_the_loopback(url: str) -> None:
    with pytest.raises(SystemExit, match="local system only"):
        require_loopback(url)


def test_the_runner_accepts_the_loopback() -> None:
    require_loopback("http://127.0.0.1:8000")
    require_loopback("http://localhost:8000")
