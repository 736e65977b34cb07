"""The job lifecycle announces every job it ends to the completion-webhook notifier's queue (moto's SQS)."""

from __future__ import annotations

import json

import pytest

from common import completion, db, job_store, lifecycle
from common.deadline import Deadline
from common.errors import PermanentError, TransientError
from common.messages import Delivery

pytestmark = pytest.mark.pg


@pytest.fixture
def events_queue(aws, database_env, monkeypatch):
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-2")
    url = sqs.create_queue(QueueName="huntaze-test-webhooks")["QueueUrl"]
    monkeypatch.setenv(completion.QUEUE_URL_ENV, url)
    completion.reset()
    yield sqs, url
    completion.reset()


def _messages(sqs, url) -> list[dict]:
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in got]


def _run(job, work, delivery=None):
    return lifecycle.run(
        db.connection, job, work, deadline=Deadline.after(60), delivery=delivery or Delivery("m1", "{}", 1, 3)
    )


def _job(db_conn, task="data"):
    job, _ = job_store.create_job(db_conn, task, {})
    db_conn.commit()
    return job


def test_a_succeeded_job_is_announced_after_its_commit(events_queue, db_conn):
    job = _job(db_conn)
    outcome = _run(job, lambda attempt: {"rows": 2})
    assert outcome.status == "succeeded"
    assert _messages(*events_queue) == [{"jobId": str(job.id), "attempt": 1, "event": "job.succeeded"}]


def test_a_permanently_failed_job_is_announced_as_job_failed(events_queue, db_conn):
    job = _job(db_conn)

    def work(attempt):
        raise PermanentError("bad_payload", "no")

    assert _run(job, work).status == "failed"
    assert _messages(*events_queue) == [{"jobId": str(job.id), "attempt": 1, "event": "job.failed"}]


def test_a_transient_failure_with_retries_left_announces_nothing(events_queue, db_conn):
    job = _job(db_conn)

    def work(attempt):
        raise TransientError("db_timeout", "later")

    with pytest.raises(TransientError):
        _run(job, work)
    assert _messages(*events_queue) == []


def test_a_transient_failure_on_the_last_delivery_announces_job_failed(events_queue, db_conn):
    job = _job(db_conn)

    def work(attempt):
        raise TransientError("db_timeout", "later")

    with pytest.raises(TransientError):
        _run(job, work, Delivery("m1", "{}", 3, 3))
    assert _messages(*events_queue) == [{"jobId": str(job.id), "attempt": 1, "event": "job.failed"}]


def test_a_refused_announcement_fails_the_delivery_and_its_redelivery_announces_again(events_queue, db_conn):
    sqs, url = events_queue
    job = _job(db_conn)
    # Given SQS refuses the first announcement
    completion._sqs().meta.events.register("before-call.sqs.SendMessage", _refuse, unique_id="refuse")
    with pytest.raises(TransientError):
        _run(job, lambda attempt: {"rows": 1})
    completion._sqs().meta.events.unregister("before-call.sqs.SendMessage", unique_id="refuse")
    # Then the job stays succeeded, and the message's redelivery (a duplicate) announces it
    finished = job_store.get_job(db_conn, job.id)
    assert finished.status == "succeeded"
    assert _run(finished, lambda attempt: pytest.fail("a finished job must not run again")).status == "duplicate"
    assert _messages(sqs, url) == [{"jobId": str(job.id), "attempt": 1, "event": "job.succeeded"}]


def test_a_stage_without_webhooks_sends_nothing(aws, database_env, db_conn, monkeypatch):
    monkeypatch.delenv(completion.QUEUE_URL_ENV, raising=False)
    completion.reset()
    job = _job(db_conn)
    assert _run(job, lambda attempt: None).status == "succeeded"
    assert completion.announce(job_store.get_job(db_conn, job.id)) is False


def _refuse(**_kwargs):
    raise ConnectionError("SQS is unreachable")


def test_a_queued_job_failed_for_its_unreadable_message_is_announced(events_queue, db_conn, monkeypatch):
    from common import messages

    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "huntaze-test")  # the unreadable-message count
    sqs, url = events_queue
    # Given a queued job whose message names it but is otherwise unreadable
    job = _job(db_conn)
    body = json.dumps({"jobId": str(job.id), "task": "data", "payload": "not an object"})
    # When the worker drops the message
    messages.drop_unreadable(Delivery("m1", body, 1, 3), PermanentError("malformed_message", "bad"), task="data")
    # Then the job is failed and its end announced as job.failed
    assert job_store.get_job(db_conn, job.id).status == "failed"
    assert _messages(sqs, url) == [{"jobId": str(job.id), "attempt": 0, "event": "job.failed"}]


def test_a_job_running_elsewhere_is_not_announced_for_an_unreadable_copy_of_its_message(
    events_queue, db_conn, monkeypatch
):
    from common import messages

    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "huntaze-test")
    sqs, url = events_queue
    job = _job(db_conn)
    job_store.start_job(db_conn, job.id)
    db_conn.commit()
    body = json.dumps({"jobId": str(job.id), "task": "data", "payload": 1})
    messages.drop_unreadable(Delivery("m1", body, 1, 3), PermanentError("malformed_message", "bad"), task="data")
    assert job_store.get_job(db_conn, job.id).status == "running"
    assert _messages(sqs, url) == []
