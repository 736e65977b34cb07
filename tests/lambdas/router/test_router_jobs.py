"""POST /v1/jobs and GET /v1/jobs/{id}: real PostgreSQL, SQS through moto."""

from __future__ import annotations

import uuid

import pytest
from router_events import BUCKET, queue_messages


def _job_count(db_conn) -> int:
    return db_conn.execute("SELECT count(*) AS n FROM jobs").fetchone()["n"]


def test_a_job_is_created_then_queued(call, router_env, db_conn):
    # When a trends job is posted
    answer = call("POST", "/v1/jobs", {"task": "trends", "payload": {"sources": ["tiktok"]}})
    # Then the row is queued and the worker's queue holds its envelope
    assert answer.status == 202, answer.body
    job_id = answer.body["jobId"]
    row = db_conn.execute("SELECT task, status, payload FROM jobs WHERE id = %s", (job_id,)).fetchone()
    assert row == {"task": "trends", "status": "queued", "payload": {"sources": ["tiktok"]}}
    assert queue_messages(router_env, "trends") == [{"jobId": job_id, "task": "trends", "payload": {"sources": ["tiktok"]}}]


def test_a_video_job_gets_the_uploads_bucket(call, router_env):
    answer = call("POST", "/v1/jobs", {"task": "video", "payload": {"key": "uploads/abc/clip.mp4"}})
    assert answer.status == 202, answer.body
    (message,) = queue_messages(router_env, "video")
    assert message["payload"] == {"key": "uploads/abc/clip.mp4", "bucket": BUCKET}


def test_an_idempotency_key_returns_the_same_job_and_sends_once(call, router_env, db_conn):
    request = {"task": "trends", "payload": {}}
    first = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "order-42"})
    second = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "order-42"})
    assert first.status == second.status == 202
    assert first.body["jobId"] == second.body["jobId"]
    assert second.headers["Idempotent-Replay"] == "true"
    assert _job_count(db_conn) == 1
    assert len(queue_messages(router_env, "trends")) == 1


def test_an_idempotency_key_reused_for_another_request_is_a_409(call, router_env, db_conn):
    assert call("POST", "/v1/jobs", {"task": "trends", "payload": {}}, headers={"Idempotency-Key": "k1"}).status == 202
    answer = call("POST", "/v1/jobs", {"task": "trends", "payload": {"sources": ["x"]}}, headers={"Idempotency-Key": "k1"})
    assert answer.status == 409 and answer.body["error"] == "idempotency_conflict"
    assert _job_count(db_conn) == 1


def test_a_task_without_a_queue_is_503_and_writes_nothing(call, router_env, db_conn):
    # Given this deployment has no alerts queue (QUEUE_URL_ALERTS unset)
    answer = call("POST", "/v1/jobs", {"task": "alerts", "payload": {}})
    assert answer.status == 503 and answer.body["error"] == "task_unavailable"
    assert answer.headers["Retry-After"] == "60" and answer.headers["Cache-Control"] == "no-store"
    assert _job_count(db_conn) == 0


def test_when_sqs_refuses_the_job_row_is_removed(call, router_env, db_conn, monkeypatch):
    # Given the trends queue URL points at a queue that does not exist
    from router import settings

    monkeypatch.setenv("QUEUE_URL_TRENDS", router_env["queue_urls"]["trends"] + "-gone")
    settings.reset()
    answer = call("POST", "/v1/jobs", {"task": "trends", "payload": {}}, headers={"Idempotency-Key": "retry-me"})
    assert answer.status == 503 and answer.body["error"] == "queue_unavailable"
    assert _job_count(db_conn) == 0  # a retry with the same key starts clean


def test_when_the_database_is_down_the_answer_is_503(call, router_env, db_conn, monkeypatch, closed_port):
    from common import db, settings

    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{closed_port}/x?connect_timeout=1")
    settings.reset()
    db.close()
    answer = call("POST", "/v1/jobs", {"task": "trends", "payload": {}})
    assert answer.status == 503 and answer.body["error"] == "db_unavailable"
    assert queue_messages(router_env, "trends") == []


BAD_JOBS = {
    "unknown_task": ({"task": "email", "payload": {}}, {}, 400, "invalid_request"),
    "task_not_string": ({"task": 3}, {}, 400, "invalid_request"),
    "payload_not_object": ({"task": "trends", "payload": ["x"]}, {}, 400, "invalid_request"),
    "payload_unknown_field": ({"task": "trends", "payload": {"foo": 1}}, {}, 400, "invalid_request"),
    "video_key_outside_uploads": ({"task": "video", "payload": {"key": "secrets/x.mp4"}}, {}, 400, "invalid_request"),
    "video_without_key": ({"task": "video", "payload": {}}, {}, 400, "invalid_request"),
    "video_other_bucket": ({"task": "video", "payload": {"key": "uploads/a.mp4", "bucket": "elsewhere"}}, {}, 400, "invalid_request"),
    "data_since_not_iso": ({"task": "data", "payload": {"since": "yesterday"}}, {}, 400, "invalid_request"),
    "sources_too_many": ({"task": "trends", "payload": {"sources": ["a"] * 21}}, {}, 400, "invalid_request"),
    "idempotency_key_too_long": ({"task": "trends"}, {"Idempotency-Key": "k" * 129}, 400, "invalid_idempotency_key"),
    "idempotency_key_blank": ({"task": "trends"}, {"Idempotency-Key": "  "}, 400, "invalid_idempotency_key"),
}


@pytest.mark.parametrize("case", list(BAD_JOBS), ids=list(BAD_JOBS))
def test_bad_job_requests_get_a_4xx_and_write_nothing(call, router_env, db_conn, case):
    body, headers, status, error = BAD_JOBS[case]
    answer = call("POST", "/v1/jobs", body, headers=headers)
    assert answer.status == status, answer.body
    assert answer.body["error"] == error and answer.body["detail"]
    assert _job_count(db_conn) == 0
    assert queue_messages(router_env, "trends") == [] and queue_messages(router_env, "video") == []


def test_job_status_reports_attempts_timestamps_error_and_result(call, router_env, db_conn):
    from common import jobs

    job_id = call("POST", "/v1/jobs", {"task": "trends", "payload": {}}).body["jobId"]
    jobs.start_job(db_conn, job_id)
    jobs.succeed_job(db_conn, job_id, {"items": 12})
    answer = call("GET", f"/v1/jobs/{job_id}")
    assert answer.status == 200, answer.body
    body = answer.body
    assert (body["jobId"], body["status"], body["attempts"], body["result"]) == (job_id, "succeeded", 1, {"items": 12})
    assert body["error"] is None and body["createdAt"] and body["startedAt"] and body["finishedAt"]


def test_a_failed_job_shows_its_error(call, router_env, db_conn):
    from common import jobs

    job_id = call("POST", "/v1/jobs", {"task": "trends", "payload": {}}).body["jobId"]
    jobs.fail_job(db_conn, job_id, permanent=True, reason="source_down", message="every source failed")
    body = call("GET", f"/v1/jobs/{job_id}").body
    assert (body["status"], body["errorReason"], body["error"]) == ("failed", "source_down", "every source failed")


def test_an_unknown_job_is_404(call, router_env):
    answer = call("GET", f"/v1/jobs/{uuid.uuid4()}")
    assert answer.status == 404 and answer.body["error"] == "job_not_found"


def test_a_malformed_job_id_is_400(call, router_env):
    answer = call("GET", "/v1/jobs/not-a-uuid")
    assert answer.status == 400 and answer.body["error"] == "invalid_job_id"
