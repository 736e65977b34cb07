"""S3 answering 503, and answering slowly."""

from __future__ import annotations

import threading

import urllib3

from tests.e2e.api_client import Api, upload
from tests.e2e.faults.conftest import assert_nothing_lost
from tools.local.faults import Fault, FaultProxies, aws
from tools.local.system import LocalSystem


def test_an_upload_refused_with_503_succeeds_when_the_client_retries(
    fault_system: LocalSystem, faults: FaultProxies, fapi: Api, clip: bytes
) -> None:
    # Given S3 answering PUTs 503 (SlowDown)
    faults.aws.inject(Fault(aws("s3", method="PUT"), "status", 503, body=b"<Error><Code>SlowDown</Code></Error>"))
    # When a client asks for an upload and PUTs its clip
    ticket = fapi.post("/v1/uploads", {"filename": "s3.mp4", "contentType": "video/mp4", "size": len(clip)})
    refused = urllib3.request("PUT", ticket.body["uploadUrl"], body=clip, headers=ticket.body["headers"], retries=False)
    # Then the ticket was issued (presigning needs no S3 call) and the PUT was refused, nothing queued
    assert ticket.status == 201, ticket
    assert refused.status == 503
    # When S3 is back and the client PUTs again
    faults.aws.clear()
    put = urllib3.request("PUT", ticket.body["uploadUrl"], body=clip, headers=ticket.body["headers"])
    # Then the clip is analysed once
    assert put.status == 200
    rows = assert_nothing_lost(fault_system, [ticket.body["jobId"]])
    assert rows[ticket.body["jobId"]]["status"] == "succeeded"


def test_a_video_job_whose_download_meets_503s_succeeds_once_s3_answers(
    fault_system: LocalSystem, faults: FaultProxies, fapi: Api, clip: bytes
) -> None:
    # Given S3 answering every GET 503 for the next 1.5 s
    faults.aws.inject(Fault(aws("s3", method="GET"), "status", 503, body=b"<Error><Code>SlowDown</Code></Error>"))
    threading.Timer(1.5, faults.aws.clear).start()
    # When a clip is uploaded (the PUT is not affected)
    ticket = upload(fapi, "s3-get.mp4", clip)
    # Then its job succeeds once S3 answers (the SDK's own retries, or a later delivery)
    rows = assert_nothing_lost(fault_system, [ticket["jobId"]])
    assert rows[ticket["jobId"]]["status"] == "succeeded", rows


def test_a_video_job_whose_download_is_slow_succeeds(
    fault_system: LocalSystem, faults: FaultProxies, fapi: Api, clip: bytes
) -> None:
    # Given S3 taking 2 s before each GET's answer
    slow = faults.aws.inject(Fault(aws("s3", method="GET"), "slow", delay_s=2.0))
    # When a clip is uploaded
    ticket = upload(fapi, "s3-slow.mp4", clip)
    # Then its job succeeds on its first delivery, having waited for S3
    rows = assert_nothing_lost(fault_system, [ticket["jobId"]])
    assert rows[ticket["jobId"]]["status"] == "succeeded", rows
    assert rows[ticket["jobId"]]["attempts"] == 1
    assert slow.hits >= 1
