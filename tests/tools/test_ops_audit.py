"""`python -m tools.ops audit` with --database-url on real PostgreSQL and moto's SQS: lost and duplicated jobs found."""

from __future__ import annotations

import io
import json

import boto3
import pytest

from common import job_store
from tools.ops.cli import main

pytestmark = pytest.mark.pg


@pytest.fixture
def dlqs(aws):
    client = boto3.client("sqs")
    for task in ("video", "data"):
        client.create_queue(QueueName=f"huntaze-dev-{task}-dlq")
    return client


def _audit(database_url: str, *extra: str) -> tuple[int, dict, str]:
    out = io.StringIO()
    code = main(["--stage", "dev", "audit", "--database-url", database_url, *extra], out=out)
    text = out.getvalue()
    report, last = text.rsplit("\n", 2)[0], text.rstrip("\n").rsplit("\n", 1)[-1]
    return code, json.loads(report), last


def _finished_job(conn, task: str = "data"):
    job, _ = job_store.create_job(conn, task, {})
    attempt = job_store.start_job(conn, job.id)
    return job_store.succeed_job(conn, attempt, {"ok": True})


def test_a_healthy_set_is_clean_and_exits_zero(db_conn, database_url, dlqs):
    # Given finished jobs, one just queued, and empty DLQs
    _finished_job(db_conn)
    job_store.create_job(db_conn, "trends", {})
    db_conn.commit()
    # When the audit runs
    code, report, last = _audit(database_url)
    # Then nothing is lost or duplicated, and every DLQ is listed empty
    assert (code, last) == (0, "lost: 0, duplicated: 0")
    assert {q["task"]: q["visible"] for q in report["dlqs"]} == {"video": 0, "data": 0}


def test_a_lost_and_a_duplicated_job_are_found_and_exit_non_zero(db_conn, database_url, dlqs):
    # Given a job queued two hours ago that nothing moved since
    lost, _ = job_store.create_job(db_conn, "data", {})
    db_conn.execute("UPDATE jobs SET updated_at = now() - interval '2 hours' WHERE id = %s", (lost.id,))
    # And a video job with two analyses (a double effect)
    double = _finished_job(db_conn, "video")
    for etag in ("e1", "e2"):
        db_conn.execute(
            "INSERT INTO video_analyses (job_id, bucket, key, etag) VALUES (%s, 'b', 'uploads/x.mp4', %s)",
            (double.id, etag),
        )
    db_conn.commit()
    # When the audit runs with a one-hour threshold
    code, report, last = _audit(database_url, "--older-than-minutes", "60")
    # Then both are named, and the verdict fails
    assert (code, last) == (1, "lost: 1, duplicated: 1")
    assert [j["jobId"] for j in report["lost"]] == [str(lost.id)]
    assert [(j["jobId"], j["videoAnalyses"]) for j in report["duplicated"]] == [(str(double.id), 2)]


def test_two_succeeded_transitions_count_as_a_duplicate(db_conn, database_url, dlqs):
    # Given a job whose history says it succeeded twice
    job = _finished_job(db_conn)
    db_conn.execute(
        "INSERT INTO job_events (job_id, status, attempt, detail) VALUES (%s, 'succeeded', 2, 'again')", (job.id,)
    )
    db_conn.commit()
    # When the audit runs / Then it is a duplicate
    code, report, last = _audit(database_url)
    assert (code, last) == (1, "lost: 0, duplicated: 1")
    assert report["duplicated"][0]["succeededTransitions"] == 2


def test_dlq_messages_are_listed_with_their_bodies(db_conn, database_url, dlqs):
    # Given a message in the data DLQ
    url = dlqs.get_queue_url(QueueName="huntaze-dev-data-dlq")["QueueUrl"]
    dlqs.send_message(QueueUrl=url, MessageBody=json.dumps({"task": "data", "jobId": "x", "payload": {}}))
    # When the audit runs
    _, report, _ = _audit(database_url)
    # Then the DLQ's message is shown and left where it was
    data = next(q for q in report["dlqs"] if q["task"] == "data")
    assert [m["body"]["jobId"] for m in data["peeked"]] == ["x"]
    assert (
        dlqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
        == "1"
    )


def test_a_negative_threshold_is_refused(database_url, dlqs, capsys):
    assert main(["--stage", "dev", "audit", "--database-url", database_url, "--older-than-minutes", "-1"]) == 2
    assert "--older-than-minutes" in capsys.readouterr().err
