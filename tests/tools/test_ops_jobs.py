"""Ops CLI job commands against the real test database and moto's SQS."""

from __future__ import annotations

import io
import json
import uuid

import boto3
import pytest

from common import jobs
from tools.ops.cli import main


@pytest.fixture
def queue(aws):
    client = boto3.client("sqs")
    url = client.create_queue(QueueName="huntaze-dev-trends")["QueueUrl"]
    return client, url


def _failed_job(conn):
    job, _ = jobs.create_job(conn, "trends", {"source": "tiktok"})
    jobs.start_job(conn, job.id)
    return jobs.fail_job(conn, job.id, permanent=True, reason="bad_source", message="source answered 404")


def _run(args, client, conn) -> tuple[int, object]:
    out = io.StringIO()
    code = main(["--stage", "dev", *args], out=out, sqs=client, conn=conn)
    return code, (json.loads(out.getvalue()) if out.getvalue() else None)


def test_rerun_resets_a_failed_job_and_resends_its_envelope(db_conn, queue):
    client, url = queue
    job = _failed_job(db_conn)
    code, result = _run(["job", "rerun", str(job.id)], client, db_conn)
    assert code == 0 and result["previous_status"] == "failed"
    after = jobs.get_job(db_conn, job.id)
    assert (after.status, after.error, after.finished_at) == ("queued", None, None)
    assert jobs.job_history(db_conn, job.id)[-1].reason == "rerun"
    body = json.loads(client.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    assert jobs.parse_message(body).job_id == job.id


def test_rerun_refuses_a_succeeded_job_and_sends_nothing(db_conn, queue):
    client, url = queue
    job, _ = jobs.create_job(db_conn, "trends", {})
    jobs.start_job(db_conn, job.id)
    jobs.succeed_job(db_conn, job.id, {"ok": True})
    assert _run(["job", "rerun", str(job.id)], client, db_conn)[0] == 2
    assert "Messages" not in client.receive_message(QueueUrl=url)


def test_rerun_of_a_running_job_needs_force(db_conn, queue):
    client, url = queue
    job, _ = jobs.create_job(db_conn, "trends", {})
    jobs.start_job(db_conn, job.id)
    assert _run(["job", "rerun", str(job.id)], client, db_conn)[0] == 2
    assert _run(["job", "rerun", str(job.id), "--force"], client, db_conn)[0] == 0
    assert len(client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 1


def test_history_lists_every_transition_oldest_first(db_conn, queue):
    client, _ = queue
    job = _failed_job(db_conn)
    code, result = _run(["job", "history", str(job.id)], client, db_conn)
    assert code == 0
    assert result["job"]["status"] == "failed"
    assert [e["status"] for e in result["events"]] == ["queued", "running", "failed"]
    assert result["events"][-1]["reason"] == "bad_source"


def test_bad_job_ids_are_clear_errors(db_conn, queue):
    # bad inputs tried: not a UUID; a UUID of no job
    client, _ = queue
    assert _run(["job", "history", "not-a-uuid"], client, db_conn)[0] == 2
    assert _run(["job", "history", str(uuid.uuid4())], client, db_conn)[0] == 2
