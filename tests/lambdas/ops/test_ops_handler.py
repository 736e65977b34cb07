"""The ops function in-process: real PostgreSQL, moto's SQS, the request the CLI sends."""

from __future__ import annotations

import json
import uuid
from functools import partial

import boto3
import pytest

from common import job_store, jobs
from ops import queues
from tests.fakes import LambdaContext as FakeLambdaContext

pytestmark = pytest.mark.pg

TASKS = ("video", "trends", "data", "alerts")


_Context = partial(FakeLambdaContext, function_name="huntaze-dev-ops", memory_limit_in_mb=256)


@pytest.fixture
def sqs(aws, database_env, monkeypatch):
    """The stage's task queues in moto, and the function's QUEUE_URL_PREFIX pointing at them."""
    client = boto3.client("sqs")
    urls = {task: client.create_queue(QueueName=f"huntaze-dev-{task}")["QueueUrl"] for task in TASKS}
    monkeypatch.setenv("QUEUE_URL_PREFIX", urls["video"].removesuffix("video"))
    queues.task_queues.cache_clear()
    yield client, urls
    queues.task_queues.cache_clear()


def _invoke(event):
    from ops.handler import lambda_handler

    return json.loads(json.dumps(lambda_handler(event, _Context())))  # what the CLI receives


def _messages(client, url) -> list[dict]:
    return [
        json.loads(m["Body"]) for m in client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    ]


def _failed_job(conn):
    job, _ = job_store.create_job(conn, "trends", {"source": "tiktok"})
    attempt = job_store.start_job(conn, job.id)
    return job_store.fail_job(conn, attempt, permanent=True, reason="bad_source", message="source answered 404")


def _succeeded_job(conn):
    job, _ = job_store.create_job(conn, "trends", {})
    attempt = job_store.start_job(conn, job.id)
    return job_store.succeed_job(conn, attempt, {"ok": True})


def test_history_returns_the_job_and_every_transition_oldest_first(db_conn, sqs):
    # Given a job that ran and failed
    job = _failed_job(db_conn)
    # When the operator asks for its history
    answer = _invoke({"action": "history", "jobId": str(job.id)})
    # Then the job and its queued -> running -> failed events come back
    assert answer["ok"] is True
    assert answer["result"]["job"]["jobId"] == str(job.id) and answer["result"]["job"]["status"] == "failed"
    assert [e["status"] for e in answer["result"]["events"]] == ["queued", "running", "failed"]
    assert answer["result"]["events"][-1]["reason"] == "bad_source"


def test_rerun_requeues_a_failed_job_and_sends_its_envelope_to_its_task_queue(db_conn, sqs):
    client, urls = sqs
    job = _failed_job(db_conn)
    # When the operator re-runs the failed trends job
    answer = _invoke({"action": "rerun", "jobId": str(job.id)})
    # Then it is queued again, with the re-run in its history
    assert answer["ok"] is True and answer["result"]["previousStatus"] == "failed"
    after = job_store.get_job(db_conn, job.id)
    assert (after.status, after.error, after.finished_at) == ("queued", None, None)
    assert job_store.job_history(db_conn, job.id)[-1].reason == "rerun"
    # And its envelope is on the trends queue, and on no other
    sent = _messages(client, urls["trends"])
    assert sent == [after.to_envelope()]
    assert jobs.parse_message(sent[0]).job_id == job.id
    assert all(_messages(client, urls[t]) == [] for t in TASKS if t != "trends")


def test_rerun_of_a_succeeded_job_is_refused_and_sends_nothing(db_conn, sqs):
    client, urls = sqs
    job = _succeeded_job(db_conn)
    answer = _invoke({"action": "rerun", "jobId": str(job.id)})
    assert answer == {"ok": False, "error": "job_succeeded", "message": f"job {job.id} succeeded; nothing to re-run"}
    assert job_store.get_job(db_conn, job.id).status == "succeeded"
    assert _messages(client, urls["trends"]) == []


def test_rerun_of_a_running_job_needs_force(db_conn, sqs):
    client, urls = sqs
    job, _ = job_store.create_job(db_conn, "video", {"key": "uploads/a.mp4"})
    job_store.start_job(db_conn, job.id)
    # Without force: refused, nothing sent
    refused = _invoke({"action": "rerun", "jobId": str(job.id)})
    assert (refused["ok"], refused["error"]) == (False, "job_running")
    assert "force" in refused["message"] and _messages(client, urls["video"]) == []
    # With force: sent once, the job left as the worker will find it
    forced = _invoke({"action": "rerun", "jobId": str(job.id), "force": True})
    assert forced["ok"] is True and forced["result"]["previousStatus"] == "running"
    assert [m["jobId"] for m in _messages(client, urls["video"])] == [str(job.id)]
    assert job_store.get_job(db_conn, job.id).status == "running"


def test_a_rerun_whose_send_fails_leaves_the_job_queued_and_can_be_asked_again(db_conn, sqs):
    # bad state tried: the task queue is gone when the operator re-runs
    client, urls = sqs
    job = _failed_job(db_conn)
    client.delete_queue(QueueUrl=urls["trends"])
    failed = _invoke({"action": "rerun", "jobId": str(job.id)})
    assert (failed["ok"], failed["error"]) == (False, "send_failed")
    assert "queued but its message was not sent" in failed["message"]
    assert job_store.get_job(db_conn, job.id).status == "queued"
    # When the queue is back, asking again sends the (queued) job as is
    url = client.create_queue(QueueName="huntaze-dev-trends")["QueueUrl"]
    again = _invoke({"action": "rerun", "jobId": str(job.id)})
    assert again["ok"] is True and again["result"]["previousStatus"] == "queued"
    assert [m["jobId"] for m in _messages(client, url)] == [str(job.id)]


@pytest.mark.parametrize(
    ("event", "code", "text"),
    [
        (
            {"action": "delete", "jobId": str(uuid.uuid4())},
            "unknown_action",
            "unknown action 'delete'; expected one of history, rerun, audit, alert-states, silence, silences, unsilence",
        ),
        (
            {"jobId": str(uuid.uuid4())},
            "unknown_action",
            "the request has no action; expected one of history, rerun, audit, alert-states, silence, silences, unsilence",
        ),
        ({"action": "history", "jobId": "not-a-uuid"}, "bad_job_id", "not a job id (UUID): 'not-a-uuid'"),
        ({"action": "history"}, "bad_job_id", "jobId must be a UUID string"),
        ({"action": "rerun", "jobId": str(uuid.uuid4()), "force": "yes"}, "bad_request", "force must be true or false"),
        (["history"], "bad_request", "the request must be a JSON object, got list"),
    ],
)
def test_bad_requests_get_a_clear_error_object(db_conn, sqs, event, code, text):
    # bad inputs tried: an unknown action, none, a non-UUID id, no id, a non-boolean force, a non-object event
    answer = _invoke(event)
    assert answer == {"ok": False, "error": code, "message": text}


def test_an_unknown_job_is_a_clear_error_for_both_actions(db_conn, sqs):
    client, urls = sqs
    missing = uuid.uuid4()
    for action in ("history", "rerun"):
        answer = _invoke({"action": action, "jobId": str(missing)})
        assert answer == {"ok": False, "error": "job_not_found", "message": f"job {missing} does not exist"}
    assert all(_messages(client, u) == [] for u in urls.values())


def test_audit_names_a_job_nothing_moved_for_longer_than_asked(db_conn, sqs):
    # Given a job queued two hours ago and left there
    job, _ = job_store.create_job(db_conn, "data", {})
    db_conn.execute("UPDATE jobs SET updated_at = now() - interval '2 hours' WHERE id = %s", (job.id,))
    db_conn.commit()
    # When the operator audits with a one-hour threshold
    answer = _invoke({"action": "audit", "olderThanSeconds": 3600})
    # Then the job is reported lost and nothing duplicated
    assert answer["ok"] is True
    assert [j["jobId"] for j in answer["result"]["lost"]] == [str(job.id)]
    assert answer["result"]["duplicated"] == []


def test_audit_refuses_a_threshold_that_is_not_a_number(db_conn, sqs):
    answer = _invoke({"action": "audit", "olderThanSeconds": "1h"})
    assert answer == {
        "ok": False,
        "error": "bad_request",
        "message": "olderThanSeconds must be a number of seconds, 0 or more",
    }
