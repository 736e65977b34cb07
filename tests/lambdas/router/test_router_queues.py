"""router.queues: what an SQS failure means for a job (certainly not queued, or maybe queued).

SQS on a local HTTP server answering errors; a missing queue on moto's server
is in test_router_jobs.py (through the handler).
"""

from __future__ import annotations

import json

import pytest

from common.errors import TransientError

QUEUE_URL = "https://sqs.us-east-2.amazonaws.com/123456789012/huntaze-test-trends"


@pytest.fixture
def sqs(aws, httpserver, monkeypatch):
    """SQS's endpoint on a local HTTP server; back-off waits shortened."""
    from common import aws_sigv4

    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setattr(aws_sigv4, "THROTTLING_BACKOFF_S", 0.001)
    monkeypatch.setattr(aws_sigv4, "TRANSIENT_BACKOFF_S", 0.001)
    aws_sigv4.reset()
    yield httpserver
    aws_sigv4.reset()


def _answer(httpserver, status: int, error: str, times: int = 1) -> None:
    for _ in range(times):
        httpserver.expect_ordered_request("/", method="POST").respond_with_data(
            json.dumps({"__type": f"com.amazonaws.sqs#{error}", "message": "from the test"}),
            status=status,
            headers={"x-amzn-query-error": f"AWS.SimpleQueueService.{error};Sender"},
            content_type="application/x-amz-json-1.0",
        )


def test_a_refusal_on_the_first_try_means_the_job_is_not_queued(sqs):
    from router.queues import QueueRejected, send

    _answer(sqs, 400, "NonExistentQueue")
    with pytest.raises(QueueRejected) as refused:
        send(QUEUE_URL, {"jobId": "j"})
    assert refused.value.reason == "queue_unavailable" and "NonExistentQueue" in refused.value.message


@pytest.mark.parametrize(
    ("status", "error"), [(500, "InternalError"), (400, "RequestThrottled")], ids=["server_errors", "throttled"]
)
def test_failures_after_every_retry_mean_the_job_may_be_queued(sqs, status, error):
    from router.queues import QueueRejected, send

    _answer(sqs, status, error, times=3)
    with pytest.raises(TransientError) as failed:
        send(QUEUE_URL, {"jobId": "j"})
    assert not isinstance(failed.value, QueueRejected) and failed.value.reason == "queue_unavailable"
    assert len(sqs.log) == 3


def test_a_retry_that_succeeds_answers_the_message_id(sqs):
    from router.queues import send

    _answer(sqs, 500, "InternalError")
    sqs.expect_ordered_request("/", method="POST").respond_with_json({"MessageId": "m-2"})
    assert send(QUEUE_URL, {"jobId": "j"}) == "m-2"
