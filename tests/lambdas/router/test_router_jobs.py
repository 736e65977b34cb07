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
    assert queue_messages(router_env, "trends") == [
        {"jobId": job_id, "task": "trends", "payload": {"sources": ["tiktok"]}}
    ]


def test_a_video_job_gets_the_uploads_bucket(call, router_env):
    answer = call("POST", "/v1/jobs", {"task": "video", "payload": {"key": "uploads/abc/clip.mp4"}})
    assert answer.status == 202, answer.body
    (message,) = queue_messages(router_env, "video")
    assert message["payload"] == {"key": "uploads/abc/clip.mp4", "bucket": BUCKET}


def test_an_idempotency_key_returns_the_same_job(call, router_env, db_conn):
    request = {"task": "trends", "payload": {}}
    first = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "order-42"})
    second = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "order-42"})
    assert first.status == second.status == 202
    assert first.body["jobId"] == second.body["jobId"]
    assert (first.headers["Idempotent-Replay"], second.headers["Idempotent-Replay"]) == ("false", "true")
    assert _job_count(db_conn) == 1
    # No worker has started it, so the replay queued it again; every message names the one job.
    assert {m["jobId"] for m in queue_messages(router_env, "trends")} == {first.body["jobId"]}


class _LambdaKilled(BaseException):
    """The invocation dying (timeout, out of memory): nothing in the handler catches it."""


def test_a_replay_after_dying_between_commit_and_send_queues_the_job(call, router_env, db_conn, monkeypatch):
    # Given the first call dies after committing the row, before its request leaves for SQS
    from common import aws_sigv4

    def die(_request):
        raise _LambdaKilled

    request = {"task": "trends", "payload": {}}
    with monkeypatch.context() as m:
        m.setattr(aws_sigv4._http(), "send", die)
        with pytest.raises(_LambdaKilled):
            call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "crash-1"})
    (row,) = db_conn.execute("SELECT id, status FROM jobs").fetchall()
    assert row["status"] == "queued" and queue_messages(router_env, "trends") == []
    # When the client retries with the same key
    answer = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "crash-1"})
    # Then it gets the same job, and this time its message is on the queue
    assert answer.status == 202 and answer.body["jobId"] == str(row["id"])
    assert answer.headers["Idempotent-Replay"] == "true"
    assert queue_messages(router_env, "trends") == [{"jobId": str(row["id"]), "task": "trends", "payload": {}}]


@pytest.mark.parametrize("progress", ["running", "succeeded", "requeued_after_an_attempt"])
def test_a_replay_of_a_job_a_worker_started_sends_nothing(call, router_env, db_conn, progress):
    from common import job_store

    request = {"task": "trends", "payload": {}}
    job_id = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "k-started"}).body["jobId"]
    assert len(queue_messages(router_env, "trends")) == 1  # the worker received it (invisible to later receives)
    attempt = job_store.start_job(db_conn, job_id)
    if progress == "succeeded":
        job_store.succeed_job(db_conn, attempt, {"items": 1})
    elif progress == "requeued_after_an_attempt":
        job_store.fail_job(db_conn, attempt, permanent=False, reason="source_down", message="try later")
    answer = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "k-started"})
    assert answer.status == 202 and answer.body["jobId"] == job_id
    assert queue_messages(router_env, "trends") == []


def test_idempotency_keys_are_scoped_to_the_caller(call, router_env, db_conn):
    # Given two users who happen to pick the same key
    request = {"task": "trends", "payload": {}}
    alice = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "same"}, claims={"sub": "alice"})
    bob = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "same"}, claims={"sub": "bob"})
    # Then each gets a job of their own, and neither learns the other's id
    assert alice.status == bob.status == 202
    assert alice.body["jobId"] != bob.body["jobId"]
    assert bob.headers["Idempotent-Replay"] == "false"
    keys = {r["idempotency_key"] for r in db_conn.execute("SELECT idempotency_key FROM jobs").fetchall()}
    assert keys == {"api:alice:same", "api:bob:same"}


def test_a_sub_with_a_colon_cannot_reach_another_callers_job(call, router_env, db_conn):
    # Given "a" with key "b:k" and "a:b" with key "k" spell the same stored key "api:a:b:k"
    request = {"task": "trends", "payload": {}}
    first = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "b:k"}, claims={"sub": "a"})
    second = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "k"}, claims={"sub": "a:b"})
    # Then the second is refused without the first's job id
    assert first.status == 202
    assert second.status == 409 and second.body["error"] == "idempotency_conflict"
    assert first.body["jobId"] not in second.body["detail"]
    assert len(queue_messages(router_env, "trends")) == 1


def test_an_idempotency_key_reused_for_another_request_is_a_409(call, router_env, db_conn):
    assert call("POST", "/v1/jobs", {"task": "trends", "payload": {}}, headers={"Idempotency-Key": "k1"}).status == 202
    answer = call(
        "POST", "/v1/jobs", {"task": "trends", "payload": {"sources": ["x"]}}, headers={"Idempotency-Key": "k1"}
    )
    assert answer.status == 409 and answer.body["error"] == "idempotency_conflict"
    assert _job_count(db_conn) == 1


def test_a_task_without_a_queue_is_503_and_writes_nothing(call, router_env, db_conn):
    # Given this deployment has no alerts queue (QUEUE_URL_ALERTS unset)
    answer = call("POST", "/v1/jobs", {"task": "alerts", "payload": {}})
    assert answer.status == 503 and answer.body["error"] == "task_unavailable"
    assert answer.headers["Retry-After"] == "60" and answer.headers["Cache-Control"] == "no-store"
    assert _job_count(db_conn) == 0


def test_when_sqs_refuses_a_job_without_a_key_its_row_is_removed(call, router_env, db_conn, monkeypatch):
    # Given the trends queue URL points at a queue that does not exist (NonExistentQueue: nothing was queued)
    from router import settings

    monkeypatch.setenv("QUEUE_URL_TRENDS", router_env["queue_urls"]["trends"] + "-gone")
    settings.reset()
    answer = call("POST", "/v1/jobs", {"task": "trends", "payload": {}})
    assert answer.status == 503 and answer.body["error"] == "queue_unavailable"
    assert answer.headers["Retry-After"] == "5"
    assert _job_count(db_conn) == 0  # nobody can name it again: no job without its message


def test_when_sqs_refuses_a_keyed_job_it_stays_queued_and_a_retry_sends_it(call, router_env, db_conn, monkeypatch):
    # Given the trends queue URL points at a queue that does not exist
    from router import settings

    request = {"task": "trends", "payload": {}}
    monkeypatch.setenv("QUEUE_URL_TRENDS", router_env["queue_urls"]["trends"] + "-gone")
    settings.reset()
    answer = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "retry-me"})
    # Then the caller is told to retry with the key, and the job waits, untouched
    assert answer.status == 503 and "same Idempotency-Key" in answer.body["detail"]
    (row,) = db_conn.execute("SELECT id, status, attempts FROM jobs").fetchall()
    assert (row["status"], row["attempts"]) == ("queued", 0)
    # When the queue is back and the client retries with the same key
    monkeypatch.setenv("QUEUE_URL_TRENDS", router_env["queue_urls"]["trends"])
    settings.reset()
    retry = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "retry-me"})
    # Then that job is queued
    assert retry.status == 202 and retry.body["jobId"] == str(row["id"])
    assert [m["jobId"] for m in queue_messages(router_env, "trends")] == [str(row["id"])]


def test_when_sqs_accepts_but_the_answer_is_lost_the_job_is_kept_and_a_retry_requeues_it(
    call, router_env, db_conn, monkeypatch
):
    # Given SQS takes every attempt's message but no answer arrives (a read timeout after the send)
    from botocore.exceptions import ReadTimeoutError

    from common import aws_sigv4

    session = aws_sigv4._http()
    send = session.send

    def lose_answer(prepared):
        send(prepared)
        raise ReadTimeoutError(endpoint_url=prepared.url)

    request = {"task": "trends", "payload": {}}
    with monkeypatch.context() as m:
        m.setattr(aws_sigv4, "TRANSIENT_BACKOFF_S", 0.0)
        m.setattr(session, "send", lose_answer)
        answer = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "lost-answer"})
    # Then the caller is told to retry, and the job the queued messages name still exists
    assert answer.status == 503 and answer.body["error"] == "queue_unavailable"
    assert answer.headers["Retry-After"] == "5" and "same Idempotency-Key" in answer.body["detail"]
    (row,) = db_conn.execute("SELECT id, status FROM jobs").fetchall()
    assert row["status"] == "queued"
    sent = [m["jobId"] for m in queue_messages(router_env, "trends")]
    assert sent == [str(row["id"])] * aws_sigv4.MAX_ATTEMPTS
    # When the client retries with the same key, it gets that job, queued again
    retry = call("POST", "/v1/jobs", request, headers={"Idempotency-Key": "lost-answer"})
    assert retry.status == 202 and retry.body["jobId"] == str(row["id"])
    assert [m["jobId"] for m in queue_messages(router_env, "trends")] == [str(row["id"])]


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
    "video_other_bucket": (
        {"task": "video", "payload": {"key": "uploads/a.mp4", "bucket": "elsewhere"}},
        {},
        400,
        "invalid_request",
    ),
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
    from common import job_store

    job_id = call("POST", "/v1/jobs", {"task": "trends", "payload": {}}).body["jobId"]
    attempt = job_store.start_job(db_conn, job_id)
    job_store.succeed_job(db_conn, attempt, {"items": 12})
    answer = call("GET", f"/v1/jobs/{job_id}")
    assert answer.status == 200, answer.body
    body = answer.body
    assert (body["jobId"], body["status"], body["attempts"], body["result"]) == (job_id, "succeeded", 1, {"items": 12})
    assert body["error"] is None and body["createdAt"] and body["startedAt"] and body["finishedAt"]


def test_a_failed_job_shows_its_error(call, router_env, db_conn):
    from common import job_store

    job_id = call("POST", "/v1/jobs", {"task": "trends", "payload": {}}).body["jobId"]
    attempt = job_store.start_job(db_conn, job_id)
    job_store.fail_job(db_conn, attempt, permanent=True, reason="source_down", message="every source failed")
    body = call("GET", f"/v1/jobs/{job_id}").body
    assert (body["status"], body["errorReason"], body["error"]) == ("failed", "source_down", "every source failed")


def test_an_unknown_job_is_404(call, router_env):
    answer = call("GET", f"/v1/jobs/{uuid.uuid4()}")
    assert answer.status == 404 and answer.body["error"] == "job_not_found"


def test_a_malformed_job_id_is_400(call, router_env):
    answer = call("GET", "/v1/jobs/not-a-uuid")
    assert answer.status == 400 and answer.body["error"] == "invalid_job_id"


# --- ownership ---------------------------------------------------------------------


def _owner(db_conn, job_id: str) -> str | None:
    return db_conn.execute("SELECT owner FROM jobs WHERE id = %s", (job_id,)).fetchone()["owner"]


def _admin(monkeypatch, claim: str, value: str) -> None:
    from router import settings

    monkeypatch.setenv("ADMIN_CLAIM", claim)
    monkeypatch.setenv("ADMIN_CLAIM_VALUE", value)
    settings.reset()


def test_a_job_belongs_to_the_caller_who_created_it(call, router_env, db_conn):
    job_id = call("POST", "/v1/jobs", {"task": "trends", "payload": {}}, claims={"sub": "alice"}).body["jobId"]
    assert _owner(db_conn, job_id) == "alice"
    answer = call("GET", f"/v1/jobs/{job_id}", claims={"sub": "alice"})
    assert answer.status == 200 and answer.body["jobId"] == job_id


def test_another_callers_job_is_a_404_like_a_missing_one(call, router_env):
    job_id = call("POST", "/v1/jobs", {"task": "trends", "payload": {}}, claims={"sub": "alice"}).body["jobId"]
    answer = call("GET", f"/v1/jobs/{job_id}", claims={"sub": "bob"})
    missing = call("GET", f"/v1/jobs/{uuid.uuid4()}", claims={"sub": "bob"})
    assert answer.status == missing.status == 404
    assert answer.body["error"] == missing.body["error"] == "job_not_found"
    assert answer.body["detail"] == f"no job {job_id}"  # the same words as for an id that does not exist


def test_a_job_no_caller_owns_is_a_404_without_the_admin_claim(call, router_env, db_conn):
    # Given a scheduled run's job (no owner) and a caller whose scope lacks the admin value
    from common import job_store

    job, _ = job_store.create_job(db_conn, "trends", {}, idempotency_key="trends:2026-01-01T00:00:00Z")
    answer = call("GET", f"/v1/jobs/{job.id}", claims={"sub": "alice", "scope": "openid jobs/read"})
    assert answer.status == 404 and answer.body["error"] == "job_not_found"


def test_no_claim_makes_an_admin_when_none_is_configured(call, router_env, db_conn):
    from common import job_store

    job, _ = job_store.create_job(db_conn, "trends", {}, idempotency_key="trends:2026-01-01T01:00:00Z")
    # "scope" is the default admin claim; with no admin value configured even "admin" grants nothing
    assert call("GET", f"/v1/jobs/{job.id}", claims={"sub": "root", "scope": "admin"}).status == 404


def test_an_admin_scope_sees_unowned_and_other_callers_jobs(call, router_env, db_conn, monkeypatch):
    from common import job_store

    _admin(monkeypatch, "scope", "huntaze/admin")
    scheduled, _ = job_store.create_job(db_conn, "trends", {}, idempotency_key="trends:2026-01-01T02:00:00Z")
    alices = call("POST", "/v1/jobs", {"task": "trends", "payload": {}}, claims={"sub": "alice"}).body["jobId"]
    admin = {"sub": "ops", "scope": "openid huntaze/admin"}
    assert call("GET", f"/v1/jobs/{scheduled.id}", claims=admin).status == 200
    assert call("GET", f"/v1/jobs/{alices}", claims=admin).status == 200


# Claims as the HTTP API JWT authorizer passes them (every value a string; arrays flattened to "[a b]").
ADMIN_CLAIMS = {
    "group_in_flattened_array": ({"cognito:groups": "[editors admin]"}, 200),
    "group_alone": ({"cognito:groups": "admin"}, 200),
    "group_as_a_list": ({"cognito:groups": ["admin"]}, 200),
    "longer_name_containing_it": ({"cognito:groups": "[administrators]"}, 404),
    "other_groups_only": ({"cognito:groups": "[editors]"}, 404),
    "value_in_another_claim": ({"scope": "admin"}, 404),
    "empty_claim": ({"cognito:groups": ""}, 404),
}


@pytest.mark.parametrize("case", list(ADMIN_CLAIMS), ids=list(ADMIN_CLAIMS))
def test_the_admin_claim_matches_whole_values_only(call, router_env, db_conn, monkeypatch, case):
    from common import job_store

    _admin(monkeypatch, "cognito:groups", "admin")
    job, _ = job_store.create_job(db_conn, "trends", {}, idempotency_key="trends:2026-01-01T03:00:00Z")
    extra, status = ADMIN_CLAIMS[case]
    assert call("GET", f"/v1/jobs/{job.id}", claims={"sub": "someone", **extra}).status == status
