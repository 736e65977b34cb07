"""The load mix against `make local` (run by ``python -m tools.load``; locust imports this file).

Each simulated client, at ``LOAD_USER_RPS`` requests a second:

* submits jobs with an Idempotency-Key (operator tasks, cheap to run), and
  replays one of its own keys a quarter of the time: the replay must answer the
  same job with ``Idempotent-Replay: true``;
* uploads a real small clip (POST /v1/uploads, then the presigned PUT to S3),
  which the video worker analyses;
* asks the AI route (the local stub model) deterministic prompts from a small
  set, so some are cache hits;
* polls the status of its jobs.

The run stops at ``LOAD_MAX_REQUESTS`` requests (or locust's own --run-time).
Configuration comes from the environment the runner sets: LOAD_TOKEN (the
operator scope: it may queue the scheduled tasks by hand), LOAD_CLIP (a
file), LOAD_MAX_REQUESTS, LOAD_USER_RPS.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from pathlib import Path

from locust import HttpUser, constant_throughput, events, task

# One caller with the operator scope: it may queue the scheduled tasks by hand and reads its own jobs.
TOKEN = os.environ.get("LOAD_TOKEN", "")
CLIP = Path(os.environ["LOAD_CLIP"]).read_bytes() if os.environ.get("LOAD_CLIP") else b""
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "1500"))
USER_RPS = float(os.environ.get("LOAD_USER_RPS", "2"))
PROMPTS = [f"Summarise trend number {i} for a creator in one line." for i in range(8)]
JOB_TASKS = ("alerts", "data")

_sent = 0


@events.request.add_listener
def _count(**_kwargs: object) -> None:
    """Stop every user once the request budget is spent."""
    global _sent
    _sent += 1
    if _sent == MAX_REQUESTS and _environment is not None and _environment.runner is not None:
        import gevent

        # In a greenlet of its own: quit() kills every user's greenlet, this caller's too.
        gevent.spawn(_environment.runner.quit)


_environment = None


@events.init.add_listener
def _keep(environment, **_kwargs: object) -> None:
    global _environment
    _environment = environment


@events.quitting.add_listener
def _write_stats(environment, **_kwargs: object) -> None:
    """Each route's figures to LOAD_STATS_FILE (JSON), read by the runner: what locust's summary prints."""
    path = os.environ.get("LOAD_STATS_FILE")
    if not path:
        return
    entries = [*environment.stats.entries.values(), environment.stats.total]
    rows = [
        {
            "name": "Aggregated" if entry is environment.stats.total else entry.name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "rps": entry.total_rps,
            **{f"p{q}": entry.get_response_time_percentile(q / 100) or 0 for q in (50, 95, 99)},
        }
        for entry in entries
    ]
    errors = [
        {"name": e.name, "error": str(e.error)[:300], "occurrences": e.occurrences}
        for e in environment.stats.errors.values()
    ]
    Path(path).write_text(json.dumps({"routes": rows, "errors": errors}))


class ApiClient(HttpUser):
    wait_time = constant_throughput(USER_RPS)

    def on_start(self) -> None:
        self.keys: dict[str, str] = {}  # idempotency key -> job id
        self.jobs: list[str] = []
        # Each user starts with one request of every kind, then draws the weighted mix: a short run
        # (a small LOAD_MAX_REQUESTS) still covers every route instead of whatever the draw favoured.
        self.submit_job()
        self.upload_clip()
        self.ask_ai()

    def _auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @task(3)
    def submit_job(self) -> None:
        replay = bool(self.keys) and random.random() < 0.25
        key = random.choice(list(self.keys)) if replay else f"load-{uuid.uuid4()}"
        task_name = JOB_TASKS[hash(key) % len(JOB_TASKS)]
        name = "POST /v1/jobs (replay)" if replay else "POST /v1/jobs"
        with self.client.post(
            "/v1/jobs",
            json={"task": task_name, "payload": {}},
            headers={**self._auth(TOKEN), "Idempotency-Key": key},
            name=name,
            catch_response=True,
        ) as answer:
            if answer.status_code != 202:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
            job_id = answer.json()["jobId"]
            if replay and (job_id != self.keys[key] or answer.headers.get("Idempotent-Replay") != "true"):
                answer.failure(f"a replay of {key} answered {job_id}, not {self.keys[key]}")
                return
            self.keys[key] = job_id
            if not replay:
                self.jobs.append(job_id)

    @task(1)
    def upload_clip(self) -> None:
        with self.client.post(
            "/v1/uploads",
            json={"filename": "load.mp4", "contentType": "video/mp4", "size": len(CLIP)},
            headers=self._auth(TOKEN),
            name="POST /v1/uploads",
            catch_response=True,
        ) as answer:
            if answer.status_code != 201:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
            ticket = answer.json()
        put = self.client.request(
            ticket["method"], ticket["uploadUrl"], data=CLIP, headers=ticket["headers"], name="PUT upload (S3)"
        )
        if put.status_code == 200:
            self.jobs.append(ticket["jobId"])

    @task(2)
    def ask_ai(self) -> None:
        with self.client.post(
            "/v1/ai/route",
            json={"type": "chat", "prompt": random.choice(PROMPTS), "temperature": 0},
            headers=self._auth(TOKEN),
            name="POST /v1/ai/route",
            catch_response=True,
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")

    @task(4)
    def poll_job(self) -> None:
        if not self.jobs:
            return
        job_id = random.choice(self.jobs)
        self.client.get(f"/v1/jobs/{job_id}", headers=self._auth(TOKEN), name="GET /v1/jobs/{jobId}")
