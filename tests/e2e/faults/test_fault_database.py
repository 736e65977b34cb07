"""PostgreSQL stopped in the middle of a batch, then restarted."""

from __future__ import annotations

import time

from tests.e2e.api_client import Api
from tests.e2e.faults.conftest import assert_nothing_lost, leases_run_out, submit, sweep_once
from tools.local.faults import FaultProxies
from tools.local.system import LocalSystem

BATCH = 8


def test_jobs_in_flight_when_postgresql_stops_all_finish_after_it_restarts(
    fault_system: LocalSystem, faults: FaultProxies, operator: Api
) -> None:
    # Given a batch of jobs submitted, some keyed, the workers taking them
    submitted = [
        submit(operator, ("alerts", "data")[i % 2], key=f"db-batch-{i}" if i % 2 else None) for i in range(BATCH)
    ]
    assert [s.status for s in submitted] == [202] * BATCH, submitted
    ids = [s.body["jobId"] for s in submitted]

    # When PostgreSQL stops in the middle of the batch
    faults.database.down()
    try:
        # Then the router answers a clear 503 with Retry-After (a new job, a status read), and does not hang
        refused = submit(operator, "alerts", key="db-during-outage")
        read = operator.get(f"/v1/jobs/{ids[0]}")
        for answer in (refused, read):
            assert answer.status == 503, answer
            # (the connection it held was reset: db_connection_lost; a new one refused: db_unavailable)
            assert answer.body["error"] in ("db_connection_lost", "db_unavailable"), answer
            assert answer.headers["retry-after"] == "5"
        time.sleep(1.0)  # the workers meet the outage too
    finally:
        # When it is back
        faults.database.up()

    # Then the client's retry with the same key is accepted once, and after one sweep nothing is lost or doubled
    retried = submit(operator, "alerts", key="db-during-outage")
    assert retried.status == 202, retried
    # (an attempt that lost its connection mid-job could not record its failure: the job keeps its lease until it runs out)
    leases_run_out(fault_system)
    sweep_once(fault_system)
    rows = assert_nothing_lost(fault_system, [*ids, retried.body["jobId"]])
    assert all(r["status"] == "succeeded" for r in rows.values()), rows
