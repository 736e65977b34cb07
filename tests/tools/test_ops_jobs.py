"""Ops CLI job commands: through the ops function (botocore Stubber on the Lambda client,
since moto's Lambda needs Docker) and with --database-url against the real test database."""

from __future__ import annotations

import io
import json
import uuid

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from common import job_store, jobs
from tools.ops.cli import main

JOB_ID = "6f1c1f4e-3a59-4a3e-9d55-0a3e5d3e2b11"


def _run(args, **clients) -> tuple[int, object]:
    out = io.StringIO()
    code = main(["--stage", "dev", *args], out=out, **clients)
    return code, (json.loads(out.getvalue()) if out.getvalue() else None)


# --- through the ops function ---------------------------------------------------


@pytest.fixture
def lambda_stub():
    client = boto3.client("lambda", region_name="us-east-2", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def _answer(body: object, *, function_error: str | None = None) -> dict:
    raw = json.dumps(body).encode()
    answer = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(raw), len(raw))}
    if function_error:
        answer["FunctionError"] = function_error
    return answer


def _expected(function: str, payload: dict) -> dict:
    return {
        "FunctionName": function,
        "InvocationType": "RequestResponse",
        "Payload": json.dumps(payload, sort_keys=True).encode(),
    }


def test_history_invokes_the_stages_ops_function_and_prints_its_result(lambda_stub):
    client, stub = lambda_stub
    result = {"job": {"jobId": JOB_ID, "status": "failed"}, "events": [{"status": "queued"}, {"status": "failed"}]}
    stub.add_response(
        "invoke",
        _answer({"ok": True, "result": result}),
        _expected("huntaze-dev-ops", {"action": "history", "jobId": JOB_ID, "force": False}),
    )
    assert _run(["job", "history", JOB_ID], lambda_client=client) == (0, result)


def test_rerun_with_force_goes_to_the_function_named_by_function(lambda_stub):
    client, stub = lambda_stub
    result = {"jobId": JOB_ID, "task": "video", "previousStatus": "running", "messageId": "m-1"}
    stub.add_response(
        "invoke",
        _answer({"ok": True, "result": result}),
        _expected("my-ops", {"action": "rerun", "jobId": JOB_ID, "force": True}),
    )
    assert _run(["job", "rerun", JOB_ID, "--force", "--function", "my-ops"], lambda_client=client) == (0, result)


def test_a_refusal_of_the_function_is_printed_with_its_code(lambda_stub, capsys):
    client, stub = lambda_stub
    message = f"job {JOB_ID} succeeded; nothing to re-run"
    stub.add_response(
        "invoke",
        _answer({"ok": False, "error": "job_succeeded", "message": message}),
        _expected("huntaze-dev-ops", {"action": "rerun", "jobId": JOB_ID, "force": False}),
    )
    assert _run(["job", "rerun", JOB_ID], lambda_client=client) == (2, None)
    assert f"error (job_succeeded): {message}" in capsys.readouterr().err


def test_a_crash_of_the_function_is_a_clear_error(lambda_stub, capsys):
    client, stub = lambda_stub
    crash = {"errorType": "ConfigurationError", "errorMessage": "QUEUE_URL_PREFIX is not set"}
    stub.add_response(
        "invoke",
        _answer(crash, function_error="Unhandled"),
        _expected("huntaze-dev-ops", {"action": "history", "jobId": JOB_ID, "force": False}),
    )
    assert _run(["job", "history", JOB_ID], lambda_client=client)[0] == 2
    assert "huntaze-dev-ops failed: ConfigurationError: QUEUE_URL_PREFIX is not set" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("aws_code", "says"),
    [
        ("ResourceNotFoundException", "no function huntaze-dev-ops: is the stage deployed? (or pass --function)"),
        ("AccessDeniedException", "you need lambda:InvokeFunction on it"),
    ],
)
def test_a_missing_function_or_permission_is_a_clear_error(lambda_stub, capsys, aws_code, says):
    # bad setups tried: the stage is not deployed; the operator may not invoke the function
    client, stub = lambda_stub
    stub.add_client_error(
        "invoke",
        service_error_code=aws_code,
        http_status_code=404 if "NotFound" in aws_code else 403,
        expected_params=_expected("huntaze-dev-ops", {"action": "history", "jobId": JOB_ID, "force": False}),
    )
    assert _run(["job", "history", JOB_ID], lambda_client=client)[0] == 2
    assert says in capsys.readouterr().err


def test_a_bad_job_id_is_refused_before_any_invocation(lambda_stub, capsys):
    # bad input tried: not a UUID (the stub fails the test if the function is invoked)
    client, _ = lambda_stub
    assert _run(["job", "history", "not-a-uuid"], lambda_client=client) == (2, None)
    assert "error (bad_job_id): not a job id (UUID): 'not-a-uuid'" in capsys.readouterr().err


# --- --database-url: the same actions, run here -----------------------------------


def _failed_job(conn):
    job, _ = job_store.create_job(conn, "trends", {"source": "tiktok"})
    attempt = job_store.start_job(conn, job.id)
    return job_store.fail_job(conn, attempt, permanent=True, reason="bad_source", message="source answered 404")


def test_local_history_reads_the_given_database(db_conn, database_url):
    job = _failed_job(db_conn)
    code, result = _run(["job", "history", str(job.id), "--database-url", database_url])
    assert code == 0
    assert result["job"]["status"] == "failed"
    assert [e["status"] for e in result["events"]] == ["queued", "running", "failed"]


def test_local_rerun_requeues_and_sends_to_the_stages_task_queue(db_conn, database_url, aws):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="huntaze-dev-trends")["QueueUrl"]
    job = _failed_job(db_conn)
    code, result = _run(["job", "rerun", str(job.id), "--database-url", database_url])
    assert code == 0 and result["previousStatus"] == "failed"
    assert job_store.get_job(db_conn, job.id).status == "queued"
    body = json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    assert jobs.parse_message(body).job_id == job.id


def test_local_rerun_refuses_a_succeeded_job_and_sends_nothing(db_conn, database_url, aws, capsys):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="huntaze-dev-trends")["QueueUrl"]
    job, _ = job_store.create_job(db_conn, "trends", {})
    attempt = job_store.start_job(db_conn, job.id)
    job_store.succeed_job(db_conn, attempt, {"ok": True})
    assert _run(["job", "rerun", str(job.id), "--database-url", database_url]) == (2, None)
    assert "error (job_succeeded)" in capsys.readouterr().err
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_local_history_of_an_unknown_job_is_a_clear_error(db_conn, database_url, capsys):
    missing = uuid.uuid4()
    assert _run(["job", "history", str(missing), "--database-url", database_url]) == (2, None)
    assert f"error (job_not_found): job {missing} does not exist" in capsys.readouterr().err


def test_function_and_database_url_are_exclusive(capsys):
    # bad input tried: both targets at once
    with pytest.raises(SystemExit):
        main(["job", "history", JOB_ID, "--function", "f", "--database-url", "postgresql://x"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_local_mode_with_an_unreachable_database_is_a_clear_error(pg_server, capsys):
    # bad input tried: a --database-url naming a database that does not exist
    from psycopg.conninfo import make_conninfo

    url = make_conninfo(pg_server, dbname=f"missing_{uuid.uuid4().hex[:8]}")
    assert _run(["job", "history", JOB_ID, "--database-url", url]) == (2, None)
    assert "error (db_unavailable): cannot connect to PostgreSQL" in capsys.readouterr().err
