"""A local system with fault proxies in front of every dependency, and what the fault scenarios share.

One system for the package (its own from the other e2e tests': faults must not
leak into theirs). Its functions reach PostgreSQL, Valkey, S3/SQS (moto) and
Azure AI (the stand-in) through tools/local/faults.py; the tests, the journal
and the audit reach them directly, so a broken dependency breaks the app only.

What the system is told differently from `make local`, and why:

* the sweeper's graces are 1 s (deployed: 40 min), so the one sweep a scenario
  runs after recovery acts on what the fault left behind;
* the router's AI deadline is 2 s (deployed: 25 s), so "Azure hangs past the
  deadline" takes seconds;
* schedules fire once at start (schedule_scale 1): the jobs the audit looks at
  are the scenario's own, and nothing but the scenario sweeps.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3

from tests.e2e.api_client import Api, wait_for
from tools.local.faults import FaultProxies
from tools.local.settings import Settings
from tools.local.system import LocalSystem

FAULT_ENV = {"SWEEP_QUEUED_GRACE_SECONDS": "1", "SWEEP_LEASE_GRACE_SECONDS": "1", "AI_DEADLINE_SECONDS": "2"}
# A request to the router while a dependency is down must be answered, never left hanging:
# the client gives up after this and the test fails.
ANSWER_WITHIN_S = 10.0
TERMINAL = ("succeeded", "failed")
# What each scenario saw (sweeps, DLQs, attempts): `pytest -o log_cli=true --log-cli-level=INFO` shows it.
observed = logging.getLogger("faults.observed")


@pytest.fixture(scope="package")
def fault_system(pg_server: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    settings = Settings(
        port=0,
        state_dir=tmp_path_factory.mktemp("fault-state"),
        pg_admin_dsn=pg_server,
        redis_url=redis_url,
        time_scale=0.001,
        schedule_scale=1.0,
        extra_env=FAULT_ENV,
        fault_proxies=True,
    )
    with LocalSystem(settings) as system:
        yield system


@pytest.fixture
def faults(fault_system: LocalSystem) -> Iterator[FaultProxies]:
    """The proxies; every dependency is back up after each test, whatever it did."""
    assert fault_system.faults is not None
    yield fault_system.faults
    fault_system.faults.clear()


@pytest.fixture(scope="package")
def fapi(fault_system: LocalSystem) -> Api:
    assert fault_system.endpoints is not None
    token = Path(fault_system.endpoints.token_path).read_text().strip()
    api = Api(fault_system.endpoints.api_url, token)
    api.http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=ANSWER_WITHIN_S))
    return api


@pytest.fixture(scope="package")
def operator(fapi: Api, fault_system: LocalSystem) -> Api:
    from tools.local import identity

    dep = fault_system.deployment
    assert dep is not None
    scope = dep.functions[dep.api.function].environment["OPERATOR_SCOPE"]
    token = identity.token(
        "fault-operator", dep.api.audience[0], scope=scope, state_dir=fault_system.settings.state_dir
    )
    api = Api(fapi.base_url, token)
    api.http = fapi.http
    return api


def submit(api: Api, task: str, *, key: str | None = None, payload: dict[str, Any] | None = None):
    headers = {"Idempotency-Key": key} if key else None
    return api.post("/v1/jobs", {"task": task, "payload": payload or {}}, headers=headers)


def unfinished(system: LocalSystem) -> list[dict[str, Any]]:
    """Every job of the system not terminal (the scheduled runs too: a fault hits them as well)."""
    import psycopg
    from psycopg.rows import dict_row

    assert system.endpoints is not None
    with psycopg.connect(system.endpoints.database_url, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT id::text AS id, task, status, attempts, error_reason FROM jobs WHERE status NOT IN ('succeeded', 'failed')"
        ).fetchall()


def job_rows(system: LocalSystem, job_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The jobs as the database holds them (read directly, past the proxies)."""
    import psycopg
    from psycopg.rows import dict_row

    assert system.endpoints is not None
    with psycopg.connect(system.endpoints.database_url, row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT id::text AS id, task, status, attempts, error_reason, lease_until FROM jobs WHERE id = ANY(%s)",
            ([uuid.UUID(j) for j in job_ids],),
        ).fetchall()
    return {r["id"]: r for r in rows}


def sweep_once(system: LocalSystem) -> dict[str, list[str]]:
    """One run of the real sweep (cron.sweeper) with the sweeper function's own settings, sent to the local SQS."""
    import boto3
    import psycopg
    from psycopg.rows import dict_row

    from cron import sweep_settings, sweeper

    dep, e = system.deployment, system.endpoints
    assert dep is not None and e is not None
    fn = next(f for f in dep.functions.values() if f.handler == "cron.sweep_handler.lambda_handler")
    policy = sweep_settings.from_env({**fn.environment, **FAULT_ENV})
    sqs = boto3.client(
        "sqs", endpoint_url=e.aws_endpoint_url, region_name=e.region, aws_access_key_id="l", aws_secret_access_key="l"
    )

    def send(url: str, envelope: dict[str, Any]) -> str:
        return sqs.send_message(QueueUrl=url, MessageBody=json.dumps(envelope))["MessageId"]

    time.sleep(1.1)  # past the 1 s graces
    with psycopg.connect(e.database_url, row_factory=dict_row) as conn:
        report = sweeper.sweep(conn, policy, send)
        conn.commit()
    observed.info("sweep: %s", report.counts())
    return {"resent": report.resent, "requeued": report.requeued, "failed": report.failed}


def settle(system: LocalSystem, job_ids: Iterable[str], *, within_s: float = 30) -> dict[str, dict[str, Any]]:
    """The jobs once every one is terminal (the test fails if one is not within ``within_s``)."""
    ids = list(job_ids)

    def done() -> tuple[dict[str, dict[str, Any]]] | None:
        rows = job_rows(system, ids)
        every = len(rows) == len(ids) and all(r["status"] in TERMINAL for r in rows.values())
        return (rows,) if every and not unfinished(system) else None

    try:
        return wait_for(done, within_s=within_s, what=f"{len(ids)} jobs terminal")[0]
    except AssertionError as exc:
        left = unfinished(system)
        raise AssertionError(f"{exc}; not terminal: {left}") from None


def leases_run_out(system: LocalSystem) -> int:
    """Time passes for the jobs still running: their leases (the function's timeout plus a margin,
    minutes) end now, as they would have by the sweeper's next tick. How many moved."""
    import psycopg

    assert system.endpoints is not None
    with psycopg.connect(system.endpoints.database_url) as conn:
        return conn.execute(
            "UPDATE jobs SET lease_until = now() - interval '2 seconds' WHERE status = 'running'"
        ).rowcount


def audit(system: LocalSystem) -> tuple[dict[str, Any], str]:
    """`python -m tools.ops --local audit --older-than-minutes 0`: its report and its last line."""
    from tools.ops.cli import main

    out = io.StringIO()
    saved = dict(os.environ)
    os.environ["LOCAL_STATE_DIR"] = str(system.settings.state_dir)
    try:
        main(["--local", "audit", "--older-than-minutes", "0"], out=out)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    text = out.getvalue()
    report, _, verdict = text.rstrip("\n").rpartition("\n")
    return json.loads(report), verdict


def assert_nothing_lost(system: LocalSystem, job_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Every job terminal (failed ones with a reason), the audit's `lost: 0, duplicated: 0`."""
    rows = settle(system, job_ids)
    for row in rows.values():
        assert row["status"] == "succeeded" or row["error_reason"], row
    report, verdict = audit(system)
    observed.info(
        "jobs: %s; DLQs: %s; audit: %s",
        sorted((r["task"], r["status"], r["attempts"], r["error_reason"]) for r in rows.values()),
        dlq_messages(report),
        verdict,
    )
    assert verdict == "lost: 0, duplicated: 0", report
    return rows


def dlq_messages(report: dict[str, Any]) -> dict[str, int]:
    return {q["task"]: q["visible"] + q["in_flight"] for q in report["dlqs"] if q["visible"] + q["in_flight"]}


@pytest.fixture(scope="package")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real 2 s MP4 (the video worker decodes it)."""
    from tests.lambdas.video.video_clips import make_clip

    path = tmp_path_factory.mktemp("clips") / "fault.mp4"
    make_clip(path, duration_s=2.0)
    return path.read_bytes()


def video_model(system: LocalSystem) -> str:
    assert system.deployment is not None
    return system.deployment.function("video.handler.lambda_handler").environment["VIDEO_MODEL"]


def for_model(model: str):
    """A matcher: chat completions asked of ``model``."""
    from tools.local.faults import Call

    def match(call: Call) -> bool:
        if not call.path.split("?")[0].endswith("/chat/completions"):
            return False
        try:
            return json.loads(call.body).get("model") == model
        except ValueError:
            return False

    return match


def ask(api: Api, prompt: str, **extra: Any):
    return api.post("/v1/ai/route", {"type": "chat", "prompt": prompt, **extra})
