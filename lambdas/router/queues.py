"""Sending job envelopes to the workers' SQS queues."""

from __future__ import annotations

import functools
import json
from typing import Any

from common.errors import TransientError


@functools.cache
def _sqs() -> Any:
    import boto3
    from botocore.config import Config

    # Short timeouts: the caller waits on this inside a 30 s API call.
    return boto3.client("sqs", config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"}))


def send(queue_url: str, envelope: dict[str, Any]) -> str:
    """Send one message; the SQS message id. `TransientError` when SQS can't take it."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return _sqs().send_message(QueueUrl=queue_url, MessageBody=json.dumps(envelope, separators=(",", ":")))["MessageId"]
    except (BotoCoreError, ClientError) as exc:
        raise TransientError("queue_unavailable", f"cannot queue the job: {exc}") from exc


def reset() -> None:
    _sqs.cache_clear()
