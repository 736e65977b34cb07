"""Completion webhooks and the job list through the local system: an upload's job succeeds, its signed
job.succeeded arrives at the local receiver (LOCAL_WEBHOOK_URL) and verifies with the secret `make local`
wrote, and GET /v1/jobs pages through the caller's jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.api_client import Api, upload, wait_for
from tests.lambdas.video.video_clips import make_clip


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("clips") / "hooked.mp4"
    make_clip(path, duration_s=2.0, cuts_s=(1.0,))
    return Path(path).read_bytes()


def _webhooks_for(receiver, job_id: str) -> list:
    return [
        r for r, _ in list(receiver.log) if json.loads(r.get_data() or b"{}").get("data", {}).get("jobId") == job_id
    ]


def test_a_succeeded_upload_sends_a_signed_webhook_to_the_local_receiver(
    api: Api, clip_bytes: bytes, local_system, webhook_receiver
) -> None:
    from standardwebhooks import Webhook

    # Given an uploaded clip whose job succeeds
    ticket = upload(api, "hooked.mp4", clip_bytes)
    job = api.wait_job(ticket["jobId"])
    assert job["status"] == "succeeded", job
    # When the notifier has run
    (request,) = wait_for(lambda: _webhooks_for(webhook_receiver, ticket["jobId"]), what="the job.succeeded webhook")
    # Then it verifies with the signing secret `make local` wrote, and names the job
    secret = (local_system.settings.state_dir / "webhook-secret").read_text().strip()
    event = Webhook(secret).verify(request.get_data(), {k.lower(): v for k, v in request.headers.items()})
    assert event["type"] == "job.succeeded"
    assert event["data"]["jobId"] == ticket["jobId"] and event["data"]["task"] == "video"
    assert event["data"]["result"]["analysisId"] == job["result"]["analysisId"]
    # And GET /v1/jobs/{id} carries the stored analysis and features
    assert job["output"]["kind"] == "video" and job["output"]["features"]["duration_s"] > 0
    assert job["output"]["analysis"]


def test_the_job_list_pages_through_the_callers_jobs(api: Api, token_for) -> None:
    # Given a caller of its own with three data jobs
    caller = api.as_user(token_for("lister"))
    ids = [
        caller.post("/v1/jobs", {"task": "video", "payload": {"key": f"uploads/none-{i}.mp4"}}).body["jobId"]
        for i in range(3)
    ]
    # When it lists them two at a time
    first = caller.get("/v1/jobs?limit=2")
    second = caller.get(f"/v1/jobs?limit=2&cursor={first.body['nextCursor']}")
    # Then it gets them newest first, over two pages, and nobody else's
    assert first.status == second.status == 200, (first, second)
    assert [j["jobId"] for j in first.body["jobs"] + second.body["jobs"]] == ids[::-1]
    assert second.body["nextCursor"] is None
    assert api.get("/v1/jobs?task=video&limit=100").status == 200
    assert not {j["jobId"] for j in api.get("/v1/jobs?limit=100").body["jobs"]} & set(ids)


def test_a_receiver_answering_500_gets_the_same_message_again_until_it_acknowledges(webhook_receiver) -> None:
    # Given the receiver fails the next webhook it gets (jobs keep ending: uploads, the schedules' runs)
    webhook_receiver.expect_oneshot_request("/hooks", method="POST").respond_with_data("down", status=500)

    def retried() -> list[str]:
        answers: dict[str, list[int]] = {}
        for request, response in list(webhook_receiver.log):
            answers.setdefault(request.headers.get("webhook-id", ""), []).append(response.status_code)
        return [i for i, codes in answers.items() if 500 in codes and 204 in codes[codes.index(500) + 1 :]]

    # Then that message comes again with the same webhook-id, and the retry is acknowledged
    assert wait_for(retried, within_s=90, what="a retried webhook")
