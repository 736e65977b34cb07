"""Ops CLI DLQ commands against moto's SQS."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.stub import Stubber

from tools.ops.cli import main
from tools.ops.queues import OpsError, Queues


@pytest.fixture
def sqs(aws):
    client = boto3.client("sqs")
    dlq = client.create_queue(QueueName="huntaze-dev-video-dlq")["QueueUrl"]
    src = client.create_queue(QueueName="huntaze-dev-video")["QueueUrl"]
    client.create_queue(QueueName="huntaze-prod-video-dlq")
    for i in range(3):
        client.send_message(QueueUrl=dlq, MessageBody=json.dumps({"jobId": f"id-{i}", "task": "video", "payload": {}}))
    return client, dlq, src


def _count(client, url) -> int:
    return int(
        client.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
    )


def test_list_shows_only_this_stages_dlqs_with_counts(sqs):
    client, _, _ = sqs
    out = io.StringIO()
    assert main(["--stage", "dev", "dlq", "list"], out=out, sqs=client) == 0
    listed = json.loads(out.getvalue())
    assert [(q["task"], q["visible"]) for q in listed] == [("video", 3)]


def test_peek_returns_messages_and_leaves_them_in_the_dlq(sqs):
    client, dlq, _ = sqs
    peeked = Queues(client, "dev").peek("video", limit=2)
    assert len(peeked) == 2 and all(m["body"]["task"] == "video" for m in peeked)
    assert _count(client, dlq) == 3


def test_redrive_copies_back_when_the_move_task_is_unavailable(sqs):
    # moto has no StartMessageMoveTask: the receive/send/delete fallback runs
    client, dlq, src = sqs
    result = Queues(client, "dev").redrive("video")
    assert (result.method, result.moved) == ("copy", 3)
    assert _count(client, dlq) == 0 and _count(client, src) == 3
    bodies = {
        json.loads(m["Body"])["jobId"] for m in client.receive_message(QueueUrl=src, MaxNumberOfMessages=10)["Messages"]
    }
    assert bodies == {"id-0", "id-1", "id-2"}


def test_redrive_uses_the_sqs_move_task_first():
    client = boto3.client("sqs", region_name="us-east-2", aws_access_key_id="x", aws_secret_access_key="x")
    base = "https://sqs.us-east-2.amazonaws.com/123456789012/"
    with Stubber(client) as stub:
        for name in ("huntaze-dev-video-dlq", "huntaze-dev-video"):
            stub.add_response("get_queue_url", {"QueueUrl": base + name}, {"QueueName": name})
        for name in ("huntaze-dev-video-dlq", "huntaze-dev-video"):
            stub.add_response(
                "get_queue_attributes",
                {"Attributes": {"QueueArn": f"arn:aws:sqs:us-east-2:123456789012:{name}"}},
                {"QueueUrl": base + name, "AttributeNames": ["QueueArn"]},
            )
        stub.add_response(
            "start_message_move_task",
            {"TaskHandle": "handle-1"},
            {
                "SourceArn": "arn:aws:sqs:us-east-2:123456789012:huntaze-dev-video-dlq",
                "DestinationArn": "arn:aws:sqs:us-east-2:123456789012:huntaze-dev-video",
            },
        )
        result = Queues(client, "dev").redrive("video")
        stub.assert_no_pending_responses()
    assert (result.method, result.task_handle) == ("move-task", "handle-1")


def test_unknown_task_is_a_clear_error_naming_the_known_dlqs(sqs):
    # bad inputs tried: a task with no queue; a peek limit of 0
    client, _, _ = sqs
    with pytest.raises(OpsError, match="no queue huntaze-dev-nope-dlq; known DLQs: video"):
        Queues(client, "dev").peek("nope")
    assert main(["--stage", "dev", "dlq", "peek", "video", "--limit", "0"], out=io.StringIO(), sqs=client) == 2
