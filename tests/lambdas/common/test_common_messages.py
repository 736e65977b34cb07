"""One SQS delivery (its attempt number) and the unreadable-message policy shared by the workers."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from common import job_store, messages
from common.errors import ConfigurationError, PermanentError


def _record(body: str = "{}", receive_count: str | None = "1") -> SQSRecord:
    attributes = {} if receive_count is None else {"ApproximateReceiveCount": receive_count}
    return SQSRecord(
        {
            "messageId": "m-1",
            "receiptHandle": "h",
            "body": body,
            "attributes": attributes,
            "messageAttributes": {},
            "eventSource": "aws:sqs",
        }
    )


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("MAX_RECEIVE_COUNT", "3")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "HuntazeTest")
    return monkeypatch


@pytest.mark.parametrize(("count", "last"), [("1", False), ("2", False), ("3", True), ("4", True)])
def test_the_delivery_that_reaches_max_receive_count_is_the_last(env, count, last):
    # Given a queue with maxReceiveCount 3 / When a record arrives for the Nth time
    delivery = messages.Delivery.from_sqs_record(_record(receive_count=count))
    # Then only the 3rd (or a later, racing) delivery is the last one
    assert (delivery.message_id, delivery.receive_count, delivery.max_receive_count) == ("m-1", int(count), 3)
    assert delivery.is_last_attempt is last


def test_a_record_without_receive_count_counts_as_the_first_delivery(env):
    assert messages.Delivery.from_sqs_record(_record(receive_count=None)).receive_count == 1


@pytest.mark.parametrize(
    "raw", [None, "", "0", "-1", "three"], ids=["missing", "empty", "zero", "negative", "not-a-number"]
)
def test_max_receive_count_must_be_configured(monkeypatch, raw):
    # Given a function deployed without a usable MAX_RECEIVE_COUNT
    if raw is None:
        monkeypatch.delenv("MAX_RECEIVE_COUNT", raising=False)
    else:
        monkeypatch.setenv("MAX_RECEIVE_COUNT", raw)
    # When a record is read / Then it is a configuration error, not a silent "never the last attempt"
    with pytest.raises(ConfigurationError, match="MAX_RECEIVE_COUNT"):
        messages.Delivery.from_sqs_record(_record())


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("not json", None),
        ("[1]", None),
        ('{"jobId": 5}', None),
        ('{"jobId": "nope"}', None),
        ('{"jobId": "6f1c2a3e-9d7b-4c1e-8a6f-0b2d3c4e5f60"}', uuid.UUID("6f1c2a3e-9d7b-4c1e-8a6f-0b2d3c4e5f60")),
    ],
    ids=["not-json", "not-object", "number-id", "not-uuid", "uuid"],
)
def test_job_id_in_reads_only_a_readable_job_id(body, expected):
    assert messages.job_id_in(body) == expected


def test_unreadable_message_is_logged_and_counted_without_touching_the_database(env, monkeypatch, caplog, capsys):
    # Given no database configured at all (opening a connection would raise)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DB_SECRET_ARN", raising=False)
    delivery = messages.Delivery("m-9", "this is not json", receive_count=1, max_receive_count=3)
    # When the policy is applied to a body that names no job
    with caplog.at_level(logging.ERROR, logger="common.messages"):
        messages.drop_unreadable(
            delivery, PermanentError("malformed_message", "message body is not valid JSON"), task="data"
        )
    # Then it is logged at ERROR with the message id and reason
    (log,) = [r for r in caplog.records if r.name == "common.messages"]
    assert log.levelno == logging.ERROR
    assert (log.message_id, log.reason, log.task, log.body_preview) == (
        "m-9",
        "malformed_message",
        "data",
        "this is not json",
    )
    # And one UnreadableMessages metric is emitted (CloudWatch EMF) for the data task
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "CloudWatchMetrics" in line]
    assert len(emf) == 1
    assert emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "HuntazeTest"
    assert (emf[0]["Task"], emf[0][messages.UNREADABLE_METRIC]) == ("data", [1.0])


@pytest.mark.pg
def test_unreadable_message_naming_a_queued_job_of_this_queue_fails_that_job(env, db_conn):
    # Given a queued data job and a message naming it with a payload that is not an object
    job, _ = job_store.create_job(db_conn, "data", {})
    body = json.dumps({"jobId": str(job.id), "task": "data", "payload": [1]})
    err = PermanentError("malformed_message", "'payload' must be a JSON object")
    # When the policy is applied
    messages.drop_unreadable(messages.Delivery("m-1", body), err, task="data", conn=db_conn)
    # Then that job failed with the reason: it would otherwise wait forever
    failed = job_store.get_job(db_conn, job.id)
    assert (failed.status, failed.error_reason) == ("failed", "malformed_message")


@pytest.mark.pg
@pytest.mark.parametrize("case", ["other-task", "running", "succeeded"])
def test_unreadable_message_leaves_jobs_that_are_not_waiting_for_it(env, db_conn, case):
    # Given a job of another queue, or one already running or finished
    job, _ = job_store.create_job(db_conn, "video" if case == "other-task" else "data", {})
    if case != "other-task":
        attempt = job_store.start_job(db_conn, job.id, lease_seconds=60)
    if case == "succeeded":
        job_store.succeed_job(db_conn, attempt)
    before = job_store.get_job(db_conn, job.id)
    body = json.dumps({"jobId": str(job.id), "task": "data", "payload": "x"})
    # When a malformed data message naming it is dropped
    messages.drop_unreadable(
        messages.Delivery("m-1", body), PermanentError("malformed_message", "x"), task="data", conn=db_conn
    )
    # Then the job is untouched
    assert job_store.get_job(db_conn, job.id) == before
