"""A poison message ends in the DLQ after maxReceiveCount, and the ops CLI redrives it."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.api_client import Api, upload, wait_for
from tests.lambdas.video.video_clips import make_clip
from tools.local.system import LocalSystem


def _dlq(ops, task: str) -> dict:
    return next(q for q in ops("dlq", "list") if q["task"] == task)


def test_a_poison_message_reaches_the_dlq_and_the_ops_cli_redrives_it(
    api: Api, local_system: LocalSystem, ops, tmp_path: Path
) -> None:
    # Given Azure AI failing every call of the video model (a transient outage), and a clip uploaded meanwhile
    make_clip(tmp_path / "poison.mp4", duration_s=2.0)
    video_model = local_system.deployment.function("video.handler.lambda_handler").environment["VIDEO_MODEL"]
    local_system.standins.azure_outage(503, model=video_model)
    try:
        ticket = upload(api, "poison.mp4", (tmp_path / "poison.mp4").read_bytes())
        max_receive = local_system.deployment.queues[f"huntaze-{local_system.endpoints.stage}-video"].max_receive_count

        # When every delivery fails, maxReceiveCount times
        wait_for(lambda: _dlq(ops, "video")["visible"] == 1, within_s=90, what="the message in the video DLQ")
    finally:
        local_system.standins.azure_outage(None)

    # Then the job says its retries ran out, and the DLQ holds the message with its receive count
    job = api.wait_job(ticket["jobId"])
    assert job["status"] == "failed"
    assert job["errorReason"] == "retries_exhausted"
    peeked = ops("dlq", "peek", "video")
    assert len(peeked) == 1
    assert peeked[0]["receiveCount"] >= max_receive

    # When the outage is over and the ops CLI redrives the DLQ
    redriven = ops("dlq", "redrive", "video")

    # Then the DLQ empties and the job runs again to success
    assert redriven["method"] in ("move-task", "copy")
    wait_for(lambda: _dlq(ops, "video")["visible"] == 0, what="the video DLQ emptied")
    assert api.wait_job(ticket["jobId"], until=("succeeded",))["status"] == "succeeded"
