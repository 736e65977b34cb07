"""A receiver that answers 500 gets retries, spaced by the back-off, always with the same webhook-id.

Simulated time: each "delivery" is the handler called with the message as Lambda
would pass it on its next receive; the wait between two is what the handler
asked SQS for (ChangeMessageVisibility), read back from the calls it made.
"""

from __future__ import annotations

import json

import pytest
from conftest import SECRET, as_headers, attempts, body_of

from common.completion import Completion

pytestmark = pytest.mark.pg
DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)


@pytest.fixture
def notifier_env(monkeypatch, database_env, queue, httpserver):
    """The notifier's environment as the stack sets it, its receiver on 127.0.0.1 (allowed, as locally)."""
    from common import secrets
    from tools import function_env
    from webhooks import handler, settings

    endpoint = {"name": "app", "url": httpserver.url_for("/hooks"), "events": ["job.succeeded", "job.failed"]}
    env = {
        **function_env.webhooks(),
        "WEBHOOK_ENDPOINTS": json.dumps([{**endpoint, "secret": "huntaze-test/webhooks/app"}]),
        "WEBHOOK_QUEUE_URL": queue["url"],
        "WEBHOOK_RETRY_DELAYS": ",".join(map(str, DELAYS)),
        "MAX_RECEIVE_COUNT": "8",
        "WEBHOOK_REQUIRE_HTTPS": "false",
        "WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import boto3

    boto3.client("secretsmanager", region_name="us-east-2").create_secret(
        Name="huntaze-test/webhooks/app", SecretString=SECRET
    )
    settings.reset()
    handler._sqs.cache_clear()
    secrets.clear_cache()
    yield queue
    settings.reset()
    handler._sqs.cache_clear()


def _deliver(queue, message, receive_count: int, holds: list[int]) -> dict:
    """The handler on one receive of `message`; the visibility it set is appended to `holds`."""
    from webhooks import handler

    sqs = handler._sqs()

    def hold(**kwargs):
        holds.append(kwargs["params"]["VisibilityTimeout"])

    sqs.meta.events.register("provide-client-params.sqs.ChangeMessageVisibility", hold, unique_id="hold")
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
    }
    try:
        return handler.lambda_handler({"Records": [record]}, None)
    finally:
        sqs.meta.events.unregister("provide-client-params.sqs.ChangeMessageVisibility", unique_id="hold")


def test_a_500_receiver_gets_retries_with_the_same_message_id_until_it_acknowledges(
    notifier_env, db_conn, finished_job, httpserver
):
    from standardwebhooks import Webhook

    queue = notifier_env
    queue["sqs"].send_message(QueueUrl=queue["url"], MessageBody=Completion.of(finished_job).to_body())
    message = queue["receive"]()
    # Given a receiver that fails its first three deliveries, then acknowledges
    for _ in range(3):
        httpserver.expect_ordered_request("/hooks", method="POST").respond_with_data("down", status=500)
    httpserver.expect_ordered_request("/hooks", method="POST").respond_with_data("ok")
    holds: list[int] = []
    # When the message is received four times
    answers = [_deliver(queue, message, n, holds) for n in (1, 2, 3, 4)]
    # Then the first three are handed back, held for the back-off of their receive, and the fourth is done
    assert [len(a["batchItemFailures"]) for a in answers] == [1, 1, 1, 0]
    assert holds == [5, 300, 1800]
    # And every attempt carried the same webhook-id and the same body, each validly signed
    requests = [request for request, _ in httpserver.log]
    assert len({as_headers(r)["webhook-id"] for r in requests}) == 1
    assert len({r.get_data() for r in requests}) == 1
    for request in requests:
        Webhook(SECRET).verify(request.get_data(), as_headers(request))
    # And each attempt is recorded on the job
    rows = attempts(db_conn, finished_job.id)
    assert [(r["attempt"], r["status_code"]) for r in rows] == [(1, 500), (2, 500), (3, 500), (4, 200)]
    assert {r["message_id"] for r in rows} == {as_headers(requests[0])["webhook-id"]}
    assert body_of(requests[0])["data"]["jobId"] == str(finished_job.id)


def test_the_back_off_grows_to_hours_and_the_last_receive_marks_the_delivery_failed(
    notifier_env, db_conn, finished_job, httpserver
):
    queue = notifier_env
    queue["sqs"].send_message(QueueUrl=queue["url"], MessageBody=Completion.of(finished_job).to_body())
    message = queue["receive"]()
    httpserver.expect_request("/hooks").respond_with_data("down", status=500)
    holds: list[int] = []
    for n in range(1, 9):
        _deliver(queue, message, n, holds)
    # Exponential over about a day and a half, each wait within SQS's 12 h visibility limit
    assert holds == [*DELAYS, DELAYS[-1]]
    assert sum(DELAYS) / 3600 > 24 and max(holds) <= 43_200
    status = db_conn.execute("SELECT status, attempts FROM webhook_deliveries").fetchone()
    assert status == {"status": "failed", "attempts": 8}


def test_an_unreadable_message_is_dropped_not_retried(notifier_env, httpserver):
    queue = notifier_env
    queue["sqs"].send_message(QueueUrl=queue["url"], MessageBody='{"jobId": "nope"}')
    assert _deliver(queue, queue["receive"](), 1, []) == {"batchItemFailures": []}
    assert httpserver.log == []
