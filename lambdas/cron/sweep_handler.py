"""SQS entry point of the sweeper: each scheduled tick runs one sweep and counts what it did.

The sweeper's runs are not jobs: a sweep holds no state of its own (each one
reads the jobs table afresh), so a duplicated or late tick is harmless, and a
sweeper job would only be one more row for the sweeper to watch. What a run
did is its metrics (namespace from POWERTOOLS_METRICS_NAMESPACE, dimension
`Task`) and one log line; a failed run is a Lambda error, retried by SQS
into the sweeper's DLQ (both alarmed like every queue worker's).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import db
from cron import sweep_settings, sweeper

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
TASK = "sweeper"


def record_handler(record: SQSRecord) -> None:
    with db.connection() as conn:
        report = sweeper.sweep(conn, sweep_settings.sweep_policy(), send)
    counts = report.counts()
    logger.info("sweep done", extra={"messageId": record.message_id, **counts, "sendFailed": report.send_failures})
    for name, value in counts.items():
        with single_metric(name=name, unit=MetricUnit.Count, value=value) as metric:
            metric.add_dimension(name="Task", value=TASK)


def send(queue_url: str, envelope: dict[str, Any]) -> str:
    """Send one envelope; a `TransientError` when SQS does not take it."""
    from botocore.exceptions import BotoCoreError, ClientError

    from common.errors import TransientError

    try:
        return _sqs().send_message(QueueUrl=queue_url, MessageBody=json.dumps(envelope, separators=(",", ":")))[
            "MessageId"
        ]
    except (BotoCoreError, ClientError) as exc:
        raise TransientError("queue_unavailable", f"SQS did not take the message: {exc}") from exc


@functools.cache
def _sqs() -> Any:
    import boto3

    return boto3.client("sqs")


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
