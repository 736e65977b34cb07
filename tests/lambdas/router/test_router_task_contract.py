"""One task contract end to end: a job accepted by POST /v1/jobs does in its worker what its payload asks.

Each test creates the job through the router's real handler, takes the
message the router queued (moto SQS) and hands that very message to the
worker's real handler (real PostgreSQL; trend sources, Slack and Azure on a
local HTTP server).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from router_events import BUCKET

from tests.fakes import LambdaContext

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def contract(router_env, call, monkeypatch, db_conn) -> Iterator[Any]:
    """The router with a queue for every task, and the workers' handlers next to it."""
    from common import azure_ai
    from common import settings as common_settings
    from cron import runners
    from router import queues
    from router import settings as router_settings

    sqs = router_env["sqs"]
    urls = dict(router_env["queue_urls"])
    for task in ("data", "alerts"):
        urls[task] = sqs.create_queue(QueueName=f"huntaze-test-{task}")["QueueUrl"]
        monkeypatch.setenv(f"QUEUE_URL_{task.upper()}", urls[task])
    router_settings.reset()
    queues.reset()
    import boto3

    from tools import function_env

    topic = boto3.client("sns", region_name="us-east-2").create_topic(Name="huntaze-test-alerts")["TopicArn"]
    for name, value in {
        **function_env.trends(),
        **function_env.data(),
        **function_env.alerts(),
        **function_env.video(),
        "ALERTS_TOPIC_ARN": topic,
        "SLACK_WEBHOOK_PARAMETER": "/huntaze-test/slack",
        "DLQ_URLS": "{}",
    }.items():
        if name not in os.environ:  # a test's own fixture (a rules file, say) set it first
            monkeypatch.setenv(name, value)
    for name, value in {
        "POWERTOOLS_TRACE_DISABLED": "true",
        "STAGE": "test",
        "MAX_RECEIVE_COUNT": "3",
        "POWERTOOLS_METRICS_NAMESPACE": "HuntazeTest",
    }.items():
        monkeypatch.setenv(name, value)

    class Contract:
        def submit(self, task: str, payload: dict[str, Any]) -> tuple[uuid.UUID, str]:
            """POST /v1/jobs; the job id and the message body the router queued."""
            answer = call("POST", "/v1/jobs", {"task": task, "payload": payload})
            assert answer.status == 202, answer.body
            (message,) = sqs.receive_message(QueueUrl=urls[task], MaxNumberOfMessages=10)["Messages"]
            return uuid.UUID(answer.body["jobId"]), message["Body"]

        def work(self, task: str, body: str, **env: str) -> dict[str, Any]:
            """The cron worker of `task`, configured by environment, handles the message."""
            monkeypatch.setenv("TASK", task)
            for name, value in env.items():
                monkeypatch.setenv(name, value)
            common_settings.reset()
            runners.reset()
            azure_ai.reset_client()
            from cron import handler

            return handler.lambda_handler(sqs_event(body), LambdaContext(function_name=f"huntaze-test-{task}"))

        def job(self, job_id: uuid.UUID) -> dict[str, Any]:
            db_conn.rollback()
            return db_conn.execute(
                "SELECT status, error_reason, error, result FROM jobs WHERE id = %s", (job_id,)
            ).fetchone()

    yield Contract()
    runners.reset()
    azure_ai.reset_client()


def sqs_event(body: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": "m1",
                "receiptHandle": "r1",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "awsRegion": "us-east-2",
                "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:huntaze-test",
            }
        ]
    }


# --- the shape machinery ------------------------------------------------------------


def test_a_cross_field_rule_is_checked_and_documented():
    from common.schema import Field, SchemaError, Shape

    shape = Shape(
        "Range",
        "A range.",
        {"since": Field("string", "from"), "until": Field("string", "to")},
        requires={"until": "since"},
    )

    with pytest.raises(SchemaError) as refused:
        shape.validate({"until": "x"}, "payload")
    assert (refused.value.reason, refused.value.detail) == ("bad_payload", "'payload.until' needs 'payload.since'")
    assert shape.validate({"since": "a", "until": "b"}) == {"since": "a", "until": "b"}
    assert shape.json_schema()["description"] == "A range. `until` requires `since`."


def test_a_cross_field_rule_naming_no_field_is_refused_when_defined():
    from common.schema import Field, Shape

    with pytest.raises(ValueError, match="unknown field"):
        Shape("Bad", "x", {"since": Field("string", "from")}, requires={"until": "since"})


def test_the_published_document_states_the_data_rule():
    from router import openapi

    assert "`until` requires `since`" in openapi.build()["components"]["schemas"]["DataPayload"]["description"]


def test_a_rerun_upload_job_keeps_its_recorded_fields_out_of_the_contract():
    # Given the envelope ops `rerun` sends for a job POST /v1/uploads created (its payload records the ticket)
    from video.messages import parse_body

    job_id = uuid.uuid4()
    payload = {"bucket": BUCKET, "key": "uploads/a.mp4", "contentType": "video/mp4", "size": 10, "filename": "a.mp4"}
    # When the video worker reads it / Then it asks for that object
    (request,) = parse_body(json.dumps({"jobId": str(job_id), "task": "video", "payload": payload}))
    assert (request.bucket, request.key, request.job_id) == (BUCKET, "uploads/a.mp4", job_id)


def test_the_api_refuses_the_fields_only_our_own_flows_record(call, router_env):
    answer = call("POST", "/v1/jobs", {"task": "video", "payload": {"key": "uploads/a.mp4", "etag": "x"}})
    assert answer.status == 400 and answer.body["errors"] == [
        {"field": "payload.etag", "problem": "is not a known field"}
    ]


# --- data ---------------------------------------------------------------------------


def insert_events(conn: Any, rows: list[tuple[str, datetime]]) -> None:
    with conn.transaction():
        for account, occurred in rows:
            conn.execute(
                "INSERT INTO content_events (account_id, content_id, event_type, value, occurred_at, ingested_at) "
                "VALUES (%s, 'c1', 'view', %s, %s, %s)",
                (account, Decimal(1), occurred, occurred + timedelta(minutes=1)),
            )


def hourly(conn: Any) -> dict[datetime, int]:
    with conn.transaction():
        rows = conn.execute(
            "SELECT bucket_start, sum(event_count) AS n FROM content_rollups_hourly GROUP BY 1"
        ).fetchall()
    return {r["bucket_start"]: int(r["n"]) for r in rows}


def test_data_since_until_recomputes_exactly_that_range(contract, db_conn):
    # Given events in five hours, none rolled up, and a watermark that says nothing is pending
    insert_events(db_conn, [("a", T0 - timedelta(hours=h, minutes=30)) for h in range(5) for _ in range(h + 1)])
    with db_conn.transaction():
        db_conn.execute(
            "INSERT INTO rollup_watermarks (name, value_at) VALUES ('content_rollups', %s)", (T0 + timedelta(days=1),)
        )

    # When a data job asks for the two hours [T0-4h, T0-2h) through the API
    job_id, body = contract.submit(
        "data", {"since": (T0 - timedelta(hours=4)).isoformat(), "until": (T0 - timedelta(hours=2)).isoformat()}
    )
    assert contract.work("data", body) == {"batchItemFailures": []}

    # Then exactly those hours were recomputed (an incremental run would have found nothing to do)
    job = contract.job(job_id)
    assert job["status"] == "succeeded"
    assert (job["result"]["window_from"], job["result"]["window_to"]) == (
        (T0 - timedelta(hours=4)).isoformat(),
        (T0 - timedelta(hours=2)).isoformat(),
    )
    assert hourly(db_conn) == {T0 - timedelta(hours=4): 4, T0 - timedelta(hours=3): 3}


def test_data_since_alone_recomputes_up_to_the_job_time(contract, db_conn):
    # Given events one and two hours before now
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    insert_events(db_conn, [("a", now - timedelta(minutes=90)), ("a", now - timedelta(minutes=30))])

    # When a data job names only `since`
    job_id, body = contract.submit("data", {"since": (now - timedelta(hours=2)).isoformat()})
    contract.work("data", body)

    # Then the range ends at the job's time and both hours are there
    job = contract.job(job_id)
    assert job["status"] == "succeeded" and job["result"]["events"] == 2
    assert hourly(db_conn) == {now - timedelta(hours=2): 1, now - timedelta(hours=1): 1}


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        ({"until": "2026-03-10T00:00:00Z"}, "'payload.until' needs 'payload.since'"),
        ({"since": "2026-03-10T00:00:00Z", "until": "2026-03-09T00:00:00Z"}, "must be after"),
        ({"since": "2026-13-01T00:00:00Z"}, "not a valid time"),
        ({"since": "2025-01-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "at most 93 days"),
        ({"from": "2026-03-10T00:00:00Z"}, "'payload.from' is not a known field"),
    ],
    ids=["until-without-since", "reversed", "no-such-month", "over-93-days", "old-from-name"],
)
def test_api_refuses_a_data_range_the_worker_would_refuse(contract, call, payload, detail, router_env, db_conn):
    answer = call("POST", "/v1/jobs", {"task": "data", "payload": payload})

    assert answer.status == 400 and answer.body["error"] == "invalid_request" and detail in answer.body["detail"]
    with db_conn.transaction():
        assert db_conn.execute("SELECT count(*) AS n FROM jobs").fetchone()["n"] == 0


def test_worker_refuses_a_data_message_off_the_contract_and_records_it(contract, db_conn):
    # Given a queued data job whose message (sent by hand, not by the API) has `until` without `since`
    from common import job_store

    job, _ = job_store.create_job(db_conn, "data", {"until": "2026-03-10T00:00:00Z"})
    # When the worker gets it / Then the job fails as bad_payload, the message is not retried
    assert contract.work("data", json.dumps(job.to_envelope())) == {"batchItemFailures": []}
    row = contract.job(job.id)
    assert (row["status"], row["error_reason"]) == ("failed", "bad_payload") and "needs 'payload.since'" in row["error"]


# --- trends -------------------------------------------------------------------------


@pytest.fixture
def trend_sources(httpserver) -> Callable[[], dict[str, str]]:
    for name, tag in (("alpha", "#fyp"), ("beta", "#booktok")):
        httpserver.expect_request(f"/{name}.json").respond_with_json({"items": [{"name": tag, "count": 5}]})
    httpserver.expect_request("/models/chat/completions", method="POST").respond_with_json(
        {
            "id": "c",
            "object": "chat.completion",
            "model": "DeepSeek-V3",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "rising"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        }
    )
    from stacks.config import TrendSourceConfig

    sources = [  # as the Cron stack dumps them: every field
        TrendSourceConfig(
            name=n, url=httpserver.url_for(f"/{n}.json"), kind="json", count_scale="posts", min_interval_seconds=0
        ).model_dump()
        for n in ("alpha", "beta")
    ]
    return lambda: {
        "TREND_SOURCES": json.dumps(sources),
        "TRENDS_ALLOWED_NETWORKS": json.dumps(["127.0.0.1/32"]),  # the local server; refused otherwise
        "GENERATION_MODEL": "DeepSeek-V3",
    }


def test_trends_with_one_source_fetches_only_that_source(contract, httpserver, trend_sources, db_conn):
    job_id, body = contract.submit("trends", {"sources": ["beta"]})

    assert contract.work("trends", body, **trend_sources()) == {"batchItemFailures": []}

    fetched = [r.path for r, _ in httpserver.log if r.path.endswith(".json")]
    assert fetched == ["/beta.json"]
    job = contract.job(job_id)
    # (a first window: the baseline, with beta's one item and no error)
    assert job["status"] == "succeeded" and (job["result"]["items"], job["result"]["sourceErrors"]) == (1, [])


def test_trends_without_sources_fetches_every_configured_source(contract, httpserver, trend_sources):
    job_id, body = contract.submit("trends", {})

    contract.work("trends", body, **trend_sources())

    assert sorted(r.path for r, _ in httpserver.log if r.path.endswith(".json")) == ["/alpha.json", "/beta.json"]
    assert contract.job(job_id)["status"] == "succeeded"


def test_trends_naming_an_unknown_source_fails_the_job_naming_it(contract, httpserver, trend_sources):
    # Given a job the API accepts (it cannot know the trends configuration) naming one good and one unknown source
    job_id, body = contract.submit("trends", {"sources": ["beta", "gamma"]})

    assert contract.work("trends", body, **trend_sources()) == {"batchItemFailures": []}

    # Then nothing is fetched and the job says which name is unknown, for good
    assert [r for r, _ in httpserver.log if r.path.endswith(".json")] == []
    job = contract.job(job_id)
    assert (job["status"], job["error_reason"]) == ("failed", "bad_payload")
    assert "names unknown trend sources: gamma; known: alpha, beta" in job["error"]


# --- alerts -------------------------------------------------------------------------


@pytest.fixture
def add_rule(tmp_path, monkeypatch) -> Any:
    """Adds a rule to the rules file the alerts worker applies (an analyses rule fires: no video was analysed)."""
    from cron import rule_file

    rules: list[dict[str, Any]] = []
    monkeypatch.setattr(rule_file, "RULES_DIR", tmp_path)
    monkeypatch.setenv("ALERT_RULES_FILE", "test.json")

    def add(name: str, *, enabled: bool = True) -> None:
        rules.append({"name": name, "kind": "analyses", "breaches": 1, "evaluations": 1, "enabled": enabled})
        routes = {"critical": ["slack"], "warning": ["slack"]}
        (tmp_path / "test.json").write_text(json.dumps({"routes": routes, "rules": rules}))

    return add


@pytest.fixture
def slack(httpserver, aws) -> dict[str, str]:
    import boto3

    boto3.client("ssm").put_parameter(
        Name="/huntaze-test/slack", Value=httpserver.url_for("/hook"), Type="SecureString"
    )
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    return {"SLACK_WEBHOOK_PARAMETER": "/huntaze-test/slack"}


def evaluated_rules(conn: Any) -> list[str]:
    with conn.transaction():
        return [
            r["name"]
            for r in conn.execute(
                "SELECT r.name FROM alert_rule_states s JOIN alert_rules r ON r.id = s.rule_id ORDER BY r.name"
            ).fetchall()
        ]


def test_alerts_with_one_rule_evaluates_only_that_rule(contract, db_conn, slack, httpserver, add_rule):
    for name in ("first", "second", "third"):
        add_rule(name)

    job_id, body = contract.submit("alerts", {"rules": ["second"]})
    assert contract.work("alerts", body, **slack) == {"batchItemFailures": []}

    job = contract.job(job_id)
    assert job["status"] == "succeeded" and job["result"]["evaluated"] == 1 and job["result"]["firing"] == ["second"]
    assert evaluated_rules(db_conn) == ["second"]
    assert ["second" in json.loads(r.get_data())["text"] for r, _ in httpserver.log if r.path == "/hook"] == [True]


def test_alerts_naming_a_disabled_rule_reports_it_and_evaluates_the_others_named(contract, db_conn, slack, add_rule):
    add_rule("on")
    add_rule("off", enabled=False)
    add_rule("other")

    job_id, body = contract.submit("alerts", {"rules": ["on", "off"]})
    contract.work("alerts", body, **slack)

    job = contract.job(job_id)
    assert job["status"] == "succeeded" and job["result"]["evaluated"] == 1
    assert [(e["rule"], e["reason"]) for e in job["result"]["ruleErrors"]] == [("off", "disabled")]
    assert evaluated_rules(db_conn) == ["on"]


def test_alerts_naming_an_unknown_rule_fails_the_job_and_evaluates_nothing(contract, db_conn, slack, add_rule):
    add_rule("known")

    job_id, body = contract.submit("alerts", {"rules": ["known", "typo-rule"]})
    assert contract.work("alerts", body, **slack) == {"batchItemFailures": []}

    job = contract.job(job_id)
    assert (job["status"], job["error_reason"]) == ("failed", "bad_payload") and "typo-rule" in job["error"]
    assert evaluated_rules(db_conn) == []


# --- video --------------------------------------------------------------------------


def test_video_job_from_the_api_is_read_by_the_video_worker(contract, router_env, monkeypatch, tmp_path):
    # Given a file that is not a video at the key a job names (bucket left to the API's default)
    from video import settings as video_settings
    from video import storage

    router_env["s3"].put_object(Bucket=BUCKET, Key="uploads/clip.mp4", Body=b"not a video\n" * 50)
    job_id, body = contract.submit("video", {"key": "uploads/clip.mp4"})
    assert json.loads(body)["payload"] == {"key": "uploads/clip.mp4", "bucket": BUCKET}

    # When the video worker gets the router's message
    monkeypatch.setenv("VIDEO_WORK_DIR", str(tmp_path))
    video_settings.video_settings.cache_clear()
    storage.reset_client()
    from video import handler

    response = handler.lambda_handler(
        sqs_event(body), LambdaContext(function_name="huntaze-test-video", remaining_ms=120_000)
    )

    # Then it analysed that very object (and found it is no video), not refused the message
    assert response == {"batchItemFailures": []}
    assert (contract.job(job_id)["status"], contract.job(job_id)["error_reason"]) == ("failed", "not_a_video")
    video_settings.video_settings.cache_clear()
    storage.reset_client()
