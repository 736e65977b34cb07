"""The video worker end to end: SQS event -> S3 (moto) -> PyAV -> Azure AI (HTTP fake) -> PostgreSQL."""

from __future__ import annotations

import json
import uuid
from functools import partial

import pytest
from video_support import ANSWER, BUCKET, completion, good_answer, upload
from video_support import sqs_event as event

from tests.fakes import LambdaContext as FakeLambdaContext

pytestmark = pytest.mark.pg
CHAT = "/models/chat/completions"


Context = partial(FakeLambdaContext, function_name="video", memory_limit_in_mb=2048, remaining_ms=300_000)


def s3_body(key: str) -> str:
    return json.dumps(
        {
            "Records": [
                {
                    "eventSource": "aws:s3",
                    "eventName": "ObjectCreated:Put",
                    "s3": {"bucket": {"name": BUCKET}, "object": {"key": key}},
                }
            ]
        }
    )


MAX_RECEIVE_COUNT = 3


@pytest.fixture(autouse=True)
def queue_env(monkeypatch):
    # What QueueWorker and PythonFunction put in the function environment.
    monkeypatch.setenv("MAX_RECEIVE_COUNT", str(MAX_RECEIVE_COUNT))
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "HuntazeTest")


def run(*bodies: str, remaining_ms: int = 300_000, receive_count: int = 1) -> dict:
    from video import handler

    return handler.lambda_handler(event(*bodies, receive_count=receive_count), Context(remaining_ms=remaining_ms))


def job_of(db_conn, key: str) -> dict:
    db_conn.rollback()
    return db_conn.execute(
        "SELECT * FROM jobs WHERE payload->>'key' = %s OR idempotency_key = %s", (key, key)
    ).fetchone()


def test_upload_is_analysed_and_stored(video_env, db_conn, httpserver, clips):
    # Given a landscape clip with audio in uploads/ and a model that answers
    upload(video_env, clips["landscape"].path, "uploads/a.mp4")
    httpserver.expect_request(CHAT, method="POST").respond_with_json(good_answer())
    # When the S3 notification is handled
    result = run(s3_body("uploads/a.mp4"))
    # Then the message succeeds, the job is succeeded and the analysis row holds features and the answer
    assert result == {"batchItemFailures": []}
    job = job_of(db_conn, "uploads/a.mp4")
    assert job["status"] == "succeeded" and job["attempts"] == 1
    row = db_conn.execute("SELECT * FROM video_analyses").fetchone()
    assert row["status"] == "succeeded" and row["job_id"] == job["id"]
    f = row["features"]
    assert f["orientation"] == "landscape" and f["has_audio"] is True and f["width"] == 320
    assert row["analysis"]["hook"] == ANSWER["hook"] and row["model"] == "Phi-4-multimodal-instruct"
    assert 1 <= len(row["frames"]) <= 6
    # And the model saw the frames as JPEG images
    sent = httpserver.log[0][0].get_json()
    images = [p for p in sent["messages"][0]["content"] if p["type"] == "image_url"]
    assert len(images) == len(row["frames"]) and images[0]["image_url"]["url"].startswith("data:image/jpeg;base64,/9j/")


def test_duplicate_delivery_changes_nothing(video_env, db_conn, httpserver, clips):
    # Given an upload already analysed
    upload(video_env, clips["landscape"].path, "uploads/dup.mp4")
    httpserver.expect_request(CHAT, method="POST").respond_with_json(good_answer())
    run(s3_body("uploads/dup.mp4"))
    # When the same notification arrives again
    result = run(s3_body("uploads/dup.mp4"))
    # Then it is acknowledged, the model is not asked again and there is still one row and one attempt
    assert result == {"batchItemFailures": []}
    assert len(httpserver.log) == 1
    assert db_conn.execute("SELECT count(*) AS n FROM video_analyses").fetchone()["n"] == 1
    assert job_of(db_conn, "uploads/dup.mp4")["attempts"] == 1


def test_job_message_from_the_api_runs_that_job(video_env, db_conn, httpserver, clips):
    # Given a job created by the API and its envelope
    from common import job_store

    job, _ = job_store.create_job(
        db_conn, "video", {"bucket": BUCKET, "key": "uploads/api.mp4"}, idempotency_key="uploads/api.mp4"
    )
    db_conn.commit()
    upload(video_env, clips["portrait"].path, "uploads/api.mp4")
    httpserver.expect_request(CHAT, method="POST").respond_with_json(good_answer())
    body = json.dumps({"jobId": str(job.id), "task": "video", "payload": {"bucket": BUCKET, "key": "uploads/api.mp4"}})
    # When handled
    assert run(body) == {"batchItemFailures": []}
    # Then that job succeeded with a portrait 1080x1920 analysis
    db_conn.rollback()
    assert job_store.get_job(db_conn, job.id).status == "succeeded"
    f = db_conn.execute("SELECT features FROM video_analyses WHERE job_id = %s", (job.id,)).fetchone()["features"]
    assert (f["orientation"], f["width"], f["height"], f["has_audio"]) == ("portrait", 1080, 1920, False)


def test_s3_test_event_is_ignored(video_env, db_conn):
    assert run(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET})) == {
        "batchItemFailures": []
    }
    assert db_conn.execute("SELECT count(*) AS n FROM jobs").fetchone()["n"] == 0


def _truncated(clips) -> bytes:
    data = clips["landscape"].path.read_bytes()
    return data[: len(data) // 2]


def _png() -> bytes:
    import av
    import numpy as np

    ctx = av.CodecContext.create("png", "w")
    ctx.width, ctx.height, ctx.pix_fmt, ctx.time_base = 16, 16, "rgb24", 1
    frame = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
    return b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)])


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda c: b"", "empty_file"),
        (lambda c: b"this is a text file, not a video\n" * 20, "not_a_video"),
        (_truncated, "corrupt_video"),
        (lambda c: _png(), "not_a_video"),
        (lambda c: b"\x00" * (3 * 1024 * 1024 + 1), "too_large"),
        (lambda c: c["long"].path.read_bytes(), "too_long"),
    ],
    ids=["zero-bytes", "text-named-mp4", "truncated-mp4", "png", "over-size-cap", "over-length-cap"],
)
def test_bad_file_fails_permanently_with_its_reason(video_env, db_conn, httpserver, clips, make, reason):
    # Given a bad upload named .mp4
    upload(video_env, None, "uploads/bad.mp4", make(clips))
    # When handled
    result = run(s3_body("uploads/bad.mp4"))
    # Then it is acknowledged (not retried), the job failed with the reason and the model was never called
    assert result == {"batchItemFailures": []}
    job = job_of(db_conn, "uploads/bad.mp4")
    assert (job["status"], job["error_reason"]) == ("failed", reason)
    assert httpserver.log == []


def test_missing_object_fails_its_job(video_env, db_conn):
    assert run(s3_body("uploads/gone.mp4")) == {"batchItemFailures": []}
    job = job_of(db_conn, "uploads/gone.mp4")
    assert (job["status"], job["error_reason"]) == ("failed", "object_not_found")


def test_a_job_failed_for_its_missing_object_is_announced_to_the_webhook_notifier(video_env, db_conn, monkeypatch):
    import boto3

    from common import completion

    # Given a stage with a completion-webhook queue
    sqs = boto3.client("sqs", region_name="us-east-2")
    url = sqs.create_queue(QueueName="huntaze-test-webhooks")["QueueUrl"]
    monkeypatch.setenv(completion.QUEUE_URL_ENV, url)
    completion.reset()
    # When the notification of an object that is gone arrives
    assert run(s3_body("uploads/gone.mp4")) == {"batchItemFailures": []}
    # Then the job's failure is announced like any job's end
    job = job_of(db_conn, "uploads/gone.mp4")
    got = sqs.receive_message(QueueUrl=url).get("Messages", [])
    assert [json.loads(m["Body"]) for m in got] == [{"jobId": str(job["id"]), "attempt": 0, "event": "job.failed"}]
    completion.reset()


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"bucket": BUCKET}, "'payload.key' is required"),
        ({"bucket": BUCKET, "key": "elsewhere/a.mp4"}, "'payload.key' has an invalid format"),
        ({"bucket": BUCKET, "key": "uploads/a.mp4", "priority": 1}, "'payload.priority' is not a known field"),
        ({"key": "uploads/a.mp4"}, "'payload.bucket' is required"),
    ],
    ids=["no-key", "key-outside-uploads", "unknown-field", "no-bucket"],
)
def test_job_message_off_the_video_contract_fails_that_job(video_env, db_conn, payload, named):
    # Given a queued video job whose message does not fit the contract POST /v1/jobs checks
    from common import job_store

    job, _ = job_store.create_job(db_conn, "video", payload)
    db_conn.commit()
    body = json.dumps({"jobId": str(job.id), "task": "video", "payload": payload})
    # When handled / Then it is acknowledged (never retried) and the job says what is wrong
    assert run(body) == {"batchItemFailures": []}
    db_conn.rollback()
    failed = job_store.get_job(db_conn, job.id)
    assert (failed.status, failed.error_reason) == ("failed", "bad_payload")
    assert named in failed.error


def test_throttled_then_answered(video_env, db_conn, httpserver, clips):
    # Given a model that throttles once with Retry-After, then answers
    upload(video_env, clips["portrait"].path, "uploads/t.mp4")
    httpserver.expect_ordered_request(CHAT).respond_with_json(
        {"error": {"code": "429"}}, status=429, headers={"Retry-After": "0.1"}
    )
    httpserver.expect_ordered_request(CHAT).respond_with_json(good_answer())
    # When handled / Then it succeeds after two calls
    assert run(s3_body("uploads/t.mp4")) == {"batchItemFailures": []}
    assert len(httpserver.log) == 2 and job_of(db_conn, "uploads/t.mp4")["status"] == "succeeded"


def test_server_errors_until_time_runs_out_return_the_message(video_env, db_conn, httpserver, clips):
    # Given a model that always fails with 500 and a function with 25 s left
    upload(video_env, clips["portrait"].path, "uploads/e.mp4")
    httpserver.expect_request(CHAT).respond_with_json({"error": {"code": "500"}}, status=500)
    from common import azure_ai

    azure_ai._client = azure_ai.AzureAIClient(
        httpserver.url_for("/"), "k", api_version="2024-05-01-preview", max_attempts=3, backoff_base_s=0.01
    )
    # When handled
    result = run(s3_body("uploads/e.mp4"))
    # Then the message goes back to the queue and the job is queued again with the reason
    assert result == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    job = job_of(db_conn, "uploads/e.mp4")
    assert (job["status"], job["error_reason"]) == ("queued", "azure_unavailable")


def test_malformed_answer_is_retried_once_then_recorded(video_env, db_conn, httpserver, clips):
    upload(video_env, clips["portrait"].path, "uploads/m.mp4")
    httpserver.expect_request(CHAT).respond_with_json(completion("Sure! Here is a caption: colours"))
    assert run(s3_body("uploads/m.mp4")) == {"batchItemFailures": []}
    assert len(httpserver.log) == 2
    job = job_of(db_conn, "uploads/m.mp4")
    assert (job["status"], job["error_reason"]) == ("failed", "analysis_malformed")


def test_one_failing_message_reports_only_its_id(video_env, db_conn, httpserver, clips):
    # Given a batch: a good upload, and a job message whose model call keeps failing
    upload(video_env, clips["portrait"].path, "uploads/ok.mp4")
    upload(video_env, clips["landscape"].path, "uploads/fail.mp4")
    calls = {"n": 0}

    def answer(request):
        from werkzeug import Response

        calls["n"] += 1
        body = request.get_data(as_text=True)
        status = 503 if '\\"has_audio\\": true' in body else 200
        return Response(json.dumps(good_answer()), status=status, content_type="application/json")

    httpserver.expect_request(CHAT).respond_with_handler(answer)
    from common import azure_ai

    azure_ai._client = azure_ai.AzureAIClient(
        httpserver.url_for("/"), "k", api_version="2024-05-01-preview", max_attempts=2, backoff_base_s=0.01
    )
    # When the batch is handled / Then only the failing message is reported
    assert run(s3_body("uploads/ok.mp4"), s3_body("uploads/fail.mp4")) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}]
    }


def test_no_time_left_returns_message_untouched(video_env, db_conn):
    # Given 5 s left (less than the time a video needs)
    result = run(s3_body("uploads/x.mp4"), remaining_ms=5_000)
    # Then the message is returned to the queue and nothing was written
    assert result == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert db_conn.execute("SELECT count(*) AS n FROM jobs").fetchone()["n"] == 0


def test_unknown_job_id_is_dropped(video_env, db_conn):
    body = json.dumps(
        {"jobId": str(uuid.uuid4()), "task": "video", "payload": {"bucket": BUCKET, "key": "uploads/z.mp4"}}
    )
    upload(video_env, None, "uploads/z.mp4", b"x")
    # When handled / Then it is acknowledged (a retry cannot create the job) and nothing is written
    assert run(body) == {"batchItemFailures": []}
    assert db_conn.execute("SELECT count(*) AS n FROM video_analyses").fetchone()["n"] == 0


def _failing_model(httpserver) -> None:
    httpserver.expect_request(CHAT).respond_with_json({"error": {"code": "500"}}, status=500)
    from common import azure_ai

    azure_ai._client = azure_ai.AzureAIClient(
        httpserver.url_for("/"), "k", api_version="2024-05-01-preview", max_attempts=2, backoff_base_s=0.01
    )


def test_server_errors_on_the_last_delivery_fail_the_job_and_still_dead_letter(video_env, db_conn, httpserver, clips):
    # Given a model that keeps failing, and the message's last delivery (maxReceiveCount 3)
    upload(video_env, clips["portrait"].path, "uploads/last.mp4")
    _failing_model(httpserver)
    # When handled
    result = run(s3_body("uploads/last.mp4"), receive_count=MAX_RECEIVE_COUNT)
    # Then the message is still reported, so it reaches the DLQ and its alarm fires
    assert result == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    # And the job is failed as retries_exhausted naming the last error, not "queued" forever
    job = job_of(db_conn, "uploads/last.mp4")
    assert (job["status"], job["error_reason"]) == ("failed", "retries_exhausted")
    assert "azure_unavailable" in job["error"]
    # And the analysis row stays open for a redrive
    assert db_conn.execute("SELECT status FROM video_analyses").fetchone()["status"] == "running"


def test_redrive_after_retries_ran_out_analyses_the_video(video_env, db_conn, httpserver, clips):
    # Given an upload whose retries ran out against a failing model
    upload(video_env, clips["portrait"].path, "uploads/redrive.mp4")
    _failing_model(httpserver)
    run(s3_body("uploads/redrive.mp4"), receive_count=MAX_RECEIVE_COUNT)
    httpserver.clear()
    from common import azure_ai

    azure_ai.reset_client()
    httpserver.expect_request(CHAT, method="POST").respond_with_json(good_answer())
    # When the DLQ is redriven (a fresh first delivery) and the model answers
    result = run(s3_body("uploads/redrive.mp4"))
    # Then the same job succeeds on the same analysis row
    assert result == {"batchItemFailures": []}
    job = job_of(db_conn, "uploads/redrive.mp4")
    assert (job["status"], job["attempts"], job["error_reason"]) == ("succeeded", 2, None)
    rows = db_conn.execute("SELECT status, job_id FROM video_analyses").fetchall()
    assert rows == [{"status": "succeeded", "job_id": job["id"]}]


def test_duplicate_while_another_attempt_analyses_is_acknowledged_without_calling_the_model(
    video_env, db_conn, httpserver, clips
):
    # Given an API job already being analysed by another function (its lease is live)
    from common import job_store

    job, _ = job_store.create_job(db_conn, "video", {"bucket": BUCKET, "key": "uploads/busy.mp4"})
    job_store.start_job(db_conn, job.id, lease_seconds=300)
    db_conn.commit()
    upload(video_env, clips["portrait"].path, "uploads/busy.mp4")
    httpserver.expect_request(CHAT, method="POST").respond_with_json(good_answer())
    body = json.dumps({"jobId": str(job.id), "task": "video", "payload": {"bucket": BUCKET, "key": "uploads/busy.mp4"}})
    # When a duplicate delivery of its message arrives
    result = run(body)
    # Then it is acknowledged, Azure is not paid twice and the job is still the first attempt's
    assert result == {"batchItemFailures": []}
    assert httpserver.log == []
    db_conn.rollback()
    current = job_store.get_job(db_conn, job.id)
    assert (current.status, current.attempts) == ("running", 1)


@pytest.mark.parametrize(
    "body",
    ["not json", json.dumps(["Records"]), json.dumps({"Records": "x"}), json.dumps({"task": "video", "payload": {}})],
    ids=["not-json", "not-object", "records-not-a-list", "envelope-without-job"],
)
def test_unreadable_message_is_acknowledged_logged_and_counted(video_env, db_conn, body, caplog, capsys):
    import logging

    # When an unreadable message arrives
    with caplog.at_level(logging.ERROR):
        result = run(body)
    # Then it is not retried, but an ERROR names its message id and one metric counts it
    assert result == {"batchItemFailures": []}
    (log,) = [r for r in caplog.records if r.getMessage() == "unreadable message dropped"]
    assert (log.levelno, log.message_id, log.reason) == (logging.ERROR, "m0", "malformed_message")
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"UnreadableMessages"' in line]
    assert [(m["Task"], m["UnreadableMessages"]) for m in metrics] == [("video", [1.0])]
    assert db_conn.execute("SELECT count(*) AS n FROM jobs").fetchone()["n"] == 0
