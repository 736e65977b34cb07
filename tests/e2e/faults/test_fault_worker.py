"""A worker killed in the middle of a job (a Lambda timed out or out of memory)."""

from __future__ import annotations

from tests.e2e.api_client import Api, upload, wait_for
from tests.e2e.faults.conftest import (
    assert_nothing_lost,
    for_model,
    job_rows,
    leases_run_out,
    sweep_once,
    video_model,
)
from tools.local.faults import Fault, FaultProxies
from tools.local.system import LocalSystem


def test_a_job_whose_worker_was_killed_is_requeued_by_the_sweeper_and_runs_once(
    fault_system: LocalSystem, faults: FaultProxies, fapi: Api, clip: bytes
) -> None:
    # Given a video job in the middle of its work (Azure slow, so the attempt lasts)
    faults.azure.inject(Fault(for_model(video_model(fault_system)), "slow", delay_s=3.0, times=1))
    ticket = upload(fapi, "killed.mp4", clip)
    job_id = ticket["jobId"]
    wait_for(lambda: job_rows(fault_system, [job_id]).get(job_id, {}).get("status") == "running", what="job running")

    # When its worker's process is killed (and Lambda starts a fresh one)
    fault_system.kill_function(fault_system.deployment.function("video.handler.lambda_handler").logical_id)

    # Then the job stays running under the dead attempt's lease: its message is invisible, nobody else takes it
    assert job_rows(fault_system, [job_id])[job_id]["status"] == "running"
    # When the lease has run out and the sweeper runs once
    leases_run_out(fault_system)
    swept = sweep_once(fault_system)
    # Then it was sent again, ran once more to success, with one analysis (the audit counts them)
    assert job_id in swept["requeued"], swept
    rows = assert_nothing_lost(fault_system, [job_id])
    assert (rows[job_id]["status"], rows[job_id]["attempts"]) == ("succeeded", 2), rows
