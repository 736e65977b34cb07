"""Valkey down: the AI route's cache fails open; nothing else depends on it."""

from __future__ import annotations

import uuid

from tests.e2e.api_client import Api
from tests.e2e.faults.conftest import ask, assert_nothing_lost, submit
from tools.local.faults import FaultProxies
from tools.local.system import LocalSystem


def test_with_valkey_down_the_ai_route_answers_uncached_and_jobs_run(
    fault_system: LocalSystem, faults: FaultProxies, fapi: Api, operator: Api
) -> None:
    # Given a deterministic prompt asked twice is a cache hit while Valkey is up
    warm = f"cache warm {uuid.uuid4()}"
    assert [ask(fapi, warm, temperature=0).headers["x-cache"] for _ in range(2)] == ["miss", "hit"]
    # Given Valkey down
    faults.cache.down()
    try:
        # When the AI route is asked another deterministic prompt twice and a job is submitted
        prompt = f"cache outage {uuid.uuid4()}"
        first, second = ask(fapi, prompt, temperature=0), ask(fapi, prompt, temperature=0)
        job = submit(operator, "alerts")
    finally:
        faults.cache.up()
    # Then both AI calls are answered from the model (no cache to hit), and the job runs
    assert (first.status, second.status) == (200, 200), (first, second)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "miss")
    assert job.status == 202, job
    assert_nothing_lost(fault_system, [job.body["jobId"]])
