"""The SQS send failing after the job row was written."""

from __future__ import annotations

from tests.e2e.api_client import Api
from tests.e2e.faults.conftest import assert_nothing_lost, job_rows, submit, sweep_once
from tools.local.faults import Fault, FaultProxies, aws
from tools.local.system import LocalSystem

SQS_ERROR = b'{"__type":"com.amazon.coral.service#InternalFailure","message":"fault injected"}'


def test_jobs_whose_send_failed_are_sent_by_the_sweeper_and_run_once(
    fault_system: LocalSystem, faults: FaultProxies, operator: Api
) -> None:
    # Given SQS failing every SendMessage with a 500 (after the router has committed the job row)
    failing = faults.aws.inject(Fault(aws("sqs", "SendMessage"), "status", 500, body=SQS_ERROR))
    # When clients submit jobs, with and without an Idempotency-Key, and never retry
    answers = [
        submit(operator, "alerts", key="sqs-1"),
        submit(operator, "data", key="sqs-2"),
        submit(operator, "alerts"),
    ]
    faults.aws.clear()
    # Then each got a clear 503 naming the job that may not be queued, and its row stays queued
    for answer in answers:
        assert (answer.status, answer.body["error"]) == (503, "queue_unavailable"), answer
        assert answer.headers["retry-after"] == "5"
    assert failing.hits >= 3
    ids = [a.body["detail"].split()[1] for a in answers]
    assert {r["status"] for r in job_rows(fault_system, ids).values()} == {"queued"}

    # When the sweeper runs once
    swept = sweep_once(fault_system)
    # Then it sent them, each ran once, and a late replay of a key answers the same job without a second run
    assert set(ids) <= set(swept["resent"]), swept
    rows = assert_nothing_lost(fault_system, ids)
    assert all(r["status"] == "succeeded" and r["attempts"] == 1 for r in rows.values()), rows
    replay = submit(operator, "alerts", key="sqs-1")
    assert (replay.status, replay.body["jobId"], replay.headers["idempotent-replay"]) == (202, ids[0], "true")


def test_a_send_refused_outright_without_a_key_leaves_no_job(
    fault_system: LocalSystem, faults: FaultProxies, operator: Api
) -> None:
    # Given SQS refusing SendMessage with a 400 on the first try (certainly not queued)
    refusal = b'{"__type":"com.amazonaws.sqs#AccessDenied","message":"fault injected"}'
    faults.aws.inject(Fault(aws("sqs", "SendMessage"), "status", 400, body=refusal))
    # When a client submits a job without a key
    answer = submit(operator, "alerts")
    faults.aws.clear()
    # Then it gets a 503 and no job id: the row was removed, nothing is left for anyone to wait on
    assert (answer.status, answer.body["error"]) == (503, "queue_unavailable"), answer
    assert "job " not in answer.body["detail"]
    assert_nothing_lost(fault_system, [])
