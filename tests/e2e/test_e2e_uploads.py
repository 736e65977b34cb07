"""Uploads end to end: POST /v1/uploads, the presigned PUT, S3 -> SQS -> the video worker -> GET /v1/jobs."""

from __future__ import annotations

from pathlib import Path

import pytest
import urllib3

from tests.e2e.api_client import Api, upload, wait_for
from tests.lambdas.video.video_clips import make_clip


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("clips") / "clip.mp4"
    make_clip(path, duration_s=3.0, cuts_s=(1.5,))
    return Path(path).read_bytes()


def test_an_uploaded_clip_is_analysed_and_its_job_returns_the_analysis(api: Api, clip_bytes: bytes) -> None:
    # Given a clip whose file name has a space and a plus
    ticket = upload(api, "my clip+final.mp4", clip_bytes)

    # When the worker has run
    job = api.wait_job(ticket["jobId"])

    # Then the job succeeded and carries the analysis of this clip
    assert job["status"] == "succeeded", job
    assert job["task"] == "video"
    assert job["result"]["analysisId"]
    assert job["result"]["model"]
    assert ticket["key"].endswith("my-clip-final.mp4")


def test_a_file_that_is_not_a_video_fails_with_its_reason(api: Api) -> None:
    # Given bytes that are no video, uploaded as one
    ticket = upload(api, "notes.mp4", b"these are plain words, not a video " * 40)

    # When the worker has looked at it
    job = api.wait_job(ticket["jobId"])

    # Then the job failed and says why
    assert job["status"] == "failed"
    assert job["errorReason"]
    assert job["error"]


def test_a_duplicated_delivery_gives_one_analysis(api: Api, clip_bytes: bytes, local_system, ops) -> None:
    # Given an analysed upload
    ticket = upload(api, "twice.mp4", clip_bytes)
    first = api.wait_job(ticket["jobId"])
    assert first["status"] == "succeeded"

    history_before = ops("job", "history", ticket["jobId"])

    # When the same object is PUT again (the URL is still valid), so S3 delivers a second event for it
    put = urllib3.request("PUT", ticket["uploadUrl"], body=clip_bytes, headers=ticket["headers"])
    assert put.status == 200
    wait_for(lambda: _video_queue_drained(local_system), what="the second delivery handled")

    # Then the job still has its one analysis, finished once
    again = api.get(f"/v1/jobs/{ticket['jobId']}").body
    assert again["result"]["analysisId"] == first["result"]["analysisId"]
    assert again["finishedAt"] == first["finishedAt"]
    history = ops("job", "history", ticket["jobId"])
    assert [e["status"] for e in _events(history)].count("succeeded") == 1
    assert _events(history) == _events(history_before)


def test_another_users_token_gets_404_on_the_job(api: Api, clip_bytes: bytes, token_for) -> None:
    # Given a job of the dev user
    ticket = upload(api, "mine.mp4", clip_bytes)

    # When someone else asks for it
    answer = api.as_user(token_for("someone-else")).get(f"/v1/jobs/{ticket['jobId']}")

    # Then it does not exist for them
    assert answer.status == 404
    assert api.get(f"/v1/jobs/{ticket['jobId']}").status == 200


def _video_queue_drained(local_system) -> bool:
    import boto3

    e = local_system.endpoints
    sqs = boto3.client(
        "sqs",
        endpoint_url=e.aws_endpoint_url,
        region_name=e.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    url = sqs.get_queue_url(QueueName=f"huntaze-{e.stage}-video")["QueueUrl"]
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def _events(history: dict) -> list[dict]:
    return history["events"]
