"""Lambda entry point of the completion-webhook notifier: SQS batches of job completions.

A message whose delivery failed is held on the queue for the back-off of its
receive (ChangeMessageVisibility: SQS's delay caps at 15 minutes, a
visibility timeout at 12 hours) and reported as a batch item failure, so
Lambda leaves it there; after the queue's maxReceiveCount it goes to the DLQ.
The message, and so the webhook-id, stays the same across every redelivery.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from common import db
from common.completion import Completion
from common.errors import PermanentError
from webhooks import notifier
from webhooks.settings import Endpoint, webhook_settings

logger = logging.getLogger(__name__)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = webhook_settings()
    failures = []
    for record in event.get("Records", []):
        try:
            completion = Completion.parse(record["body"])
        except PermanentError as exc:
            logger.error("message %s dropped: %s", record.get("messageId"), exc)
            continue
        receive_count = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
        try:
            delay = notifier.notify(
                completion,
                receive_count=receive_count,
                settings=settings,
                connect=db.connection,
                secret_for=_secret,
            )
        except Exception:
            logger.exception("completion of job %s not delivered (receive %d)", completion.job_id, receive_count)
            delay = settings.delay_after(receive_count)
        if delay is not None:
            _hold(settings.queue_url, record["receiptHandle"], delay)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _hold(queue_url: str, receipt_handle: str, seconds: int) -> None:
    try:
        _sqs().change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds)
    except Exception:  # the queue's own visibility timeout then spaces the retry
        logger.warning("could not hold the message for %d s", seconds, exc_info=True)


def _secret(endpoint: Endpoint) -> str:
    from common import secrets

    return secrets.get_secret_string(endpoint.secret)


@functools.cache
def _sqs() -> Any:
    import boto3

    return boto3.client("sqs")
