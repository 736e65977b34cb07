"""SQS operations on the app's queues, found by name (`common.names`): ``huntaze-<stage>-<task>`` and ``...-dlq``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from common import names
from ops.errors import OpsError

__all__ = ["OpsError", "QueueInfo", "Queues", "RedriveResult"]

MAX_BATCH = 10
# Codes SQS answers where StartMessageMoveTask is not available (e.g. a FIFO DLQ or an emulator).
_UNSUPPORTED = {
    "UnsupportedOperation",
    "AWS.SimpleQueueService.UnsupportedOperation",
    "InvalidAction",
    "NotImplemented",
}


@dataclass(frozen=True)
class QueueInfo:
    task: str
    name: str
    url: str
    visible: int
    in_flight: int


@dataclass(frozen=True)
class RedriveResult:
    method: str  # "move-task" or "copy"
    moved: int | None  # None when SQS moves them in the background
    task_handle: str | None = None


class Queues:
    def __init__(self, sqs: Any, stage: str) -> None:
        self.sqs = sqs
        self.stage_prefix = names.prefix(stage)

    def queue_url(self, task: str, *, dlq: bool) -> str:
        name = (names.dlq if dlq else names.queue)(self.stage_prefix, task)
        try:
            return self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except self.sqs.exceptions.QueueDoesNotExist:
            raise OpsError(f"no queue {name}; known DLQs: {', '.join(self.dlq_tasks()) or 'none'}") from None

    def dlq_tasks(self) -> list[str]:
        urls: list[str] = []
        prefix = names.queue_prefix(self.stage_prefix)
        for page in self.sqs.get_paginator("list_queues").paginate(QueueNamePrefix=prefix):
            urls += page.get("QueueUrls", [])
        tasks = (names.task_of_dlq(self.stage_prefix, u.rsplit("/", 1)[-1]) for u in urls)
        return sorted(t for t in tasks if t is not None)

    def list_dlqs(self) -> list[QueueInfo]:
        result = []
        for task in self.dlq_tasks():
            url = self.queue_url(task, dlq=True)
            attrs = self.sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            result.append(
                QueueInfo(
                    task,
                    url.rsplit("/", 1)[-1],
                    url,
                    int(attrs["ApproximateNumberOfMessages"]),
                    int(attrs["ApproximateNumberOfMessagesNotVisible"]),
                )
            )
        return result

    def peek(self, task: str, limit: int = MAX_BATCH) -> list[dict[str, Any]]:
        """Up to ``limit`` DLQ messages, left in the queue (visible again at once)."""
        url = self.queue_url(task, dlq=True)
        seen: dict[str, dict[str, Any]] = {}
        while len(seen) < limit:
            batch = self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(MAX_BATCH, limit - len(seen)),
                VisibilityTimeout=30,
                AttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            fresh = [m for m in batch if m["MessageId"] not in seen]
            if not fresh:
                break
            for message in fresh:
                seen[message["MessageId"]] = message
        # Hand every peeked message straight back: peeking must not delay a redrive.
        for message in seen.values():
            self.sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        return [
            {
                "messageId": m["MessageId"],
                "body": _json_or_text(m["Body"]),
                "receiveCount": int(m.get("Attributes", {}).get("ApproximateReceiveCount", 0)),
                "sentAt": m.get("Attributes", {}).get("SentTimestamp"),
            }
            for m in seen.values()
        ]

    def redrive(self, task: str, *, copy: bool = False, max_per_second: int | None = None) -> RedriveResult:
        """Move the DLQ's messages back to its source queue.

        The primary path is SQS's own message move task (server-side, keeps
        nothing in this process). ``copy`` -- or SQS answering that the move
        task is not available -- receives, re-sends and deletes instead, a
        message at a time, deleting only after the send succeeded.
        """
        from botocore.exceptions import ClientError

        dlq_url, source_url = self.queue_url(task, dlq=True), self.queue_url(task, dlq=False)
        if not copy:
            try:
                params: dict[str, Any] = {"SourceArn": self._arn(dlq_url), "DestinationArn": self._arn(source_url)}
                if max_per_second:
                    params["MaxNumberOfMessagesPerSecond"] = max_per_second
                handle = self.sqs.start_message_move_task(**params)["TaskHandle"]
                return RedriveResult("move-task", None, handle)
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") not in _UNSUPPORTED:
                    raise
            except NotImplementedError:
                pass  # an SQS emulator without the move task
        return RedriveResult("copy", self._copy_all(dlq_url, source_url))

    def _copy_all(self, dlq_url: str, source_url: str) -> int:
        moved = 0
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=dlq_url,
                MaxNumberOfMessages=MAX_BATCH,
                VisibilityTimeout=60,
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not batch:
                return moved
            for message in batch:
                send: dict[str, Any] = {"QueueUrl": source_url, "MessageBody": message["Body"]}
                if message.get("MessageAttributes"):
                    send["MessageAttributes"] = message["MessageAttributes"]
                self.sqs.send_message(**send)
                self.sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
                moved += 1

    def send(self, task: str, body: dict[str, Any]) -> str:
        return self.sqs.send_message(QueueUrl=self.queue_url(task, dlq=False), MessageBody=json.dumps(body))[
            "MessageId"
        ]

    def _arn(self, url: str) -> str:
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _json_or_text(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body
