"""Sending job envelopes to the workers' SQS queues."""

from __future__ import annotations

import functools
import json
from typing import Any

from common.errors import TransientError


class QueueRejected(TransientError):
    """SQS refused the message: it is certainly not on the queue.

    Any other failure (a timeout, a dropped connection, a 5xx, or a refusal
    after botocore had already retried) may come after SQS accepted the
    message, so it is a plain `TransientError`: the message may be queued.
    """


@functools.cache
def _sqs() -> Any:
    import boto3
    from botocore.config import Config

    # Short timeouts: the caller waits on this inside a 30 s API call.
    return boto3.client(
        "sqs", config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})
    )


def send(queue_url: str, envelope: dict[str, Any]) -> str:
    """Send one message; the SQS message id. `QueueRejected` or `TransientError` when SQS can't take it."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return _sqs().send_message(QueueUrl=queue_url, MessageBody=json.dumps(envelope, separators=(",", ":")))[
            "MessageId"
        ]
    except ClientError as exc:
        if _refused_on_first_try(exc.response):
            raise QueueRejected("queue_unavailable", f"SQS refused the job: {exc}") from exc
        raise TransientError("queue_unavailable", f"cannot confirm the job was queued: {exc}") from exc
    except BotoCoreError as exc:
        raise TransientError("queue_unavailable", f"cannot confirm the job was queued: {exc}") from exc


def _refused_on_first_try(response: dict[str, Any]) -> bool:
    """A 4xx on the only attempt (AccessDenied, NonExistentQueue, InvalidParameterValue...).

    SQS enqueues nothing on a 4xx. After a retry, an earlier attempt may have
    timed out after SQS took the message, so only a first-try refusal proves
    the message is not queued.
    """
    meta = response.get("ResponseMetadata") or {}
    return 400 <= int(meta.get("HTTPStatusCode") or 0) < 500 and not meta.get("RetryAttempts")


def reset() -> None:
    _sqs.cache_clear()
