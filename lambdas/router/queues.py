"""Sending job envelopes to the workers' SQS queues (`common.aws_sigv4`: no boto3 client on the API's cold path)."""

from __future__ import annotations

import json
from typing import Any

from common.errors import TransientError


class QueueRejected(TransientError):
    """SQS refused the message: it is certainly not on the queue.

    Any other failure (a timeout, a dropped connection, a 5xx, or a refusal
    after a retry) may come after SQS accepted the message, so it is a plain
    `TransientError`: the message may be queued.
    """


def send(queue_url: str, envelope: dict[str, Any]) -> str:
    """Send one message; the SQS message id. `QueueRejected` or `TransientError` when SQS can't take it."""
    from common import aws_sigv4

    try:
        return aws_sigv4.sqs_send_message(queue_url, json.dumps(envelope, separators=(",", ":")))
    except aws_sigv4.AwsCallFailed as exc:
        if exc.refused_on_first_try:
            raise QueueRejected("queue_unavailable", f"SQS refused the job: {exc}") from exc
        raise TransientError("queue_unavailable", f"cannot confirm the job was queued: {exc}") from exc


def reset() -> None:
    """Forget the HTTP session and credentials (tests change the environment)."""
    from common import aws_sigv4

    aws_sigv4.reset()
