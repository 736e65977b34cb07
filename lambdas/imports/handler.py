"""SQS -> imports worker. Parses the S3 notifications, imports each file, reports partial batch failures."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from common.deadline import Deadline
from common.errors import PermanentError, TransientError
from common.messages import Delivery, drop_unreadable
from imports import messages, worker
from imports.settings import import_settings

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
# A file is only started with at least this long left before the reserve.
MIN_START_S = 10.0


def handle_record(record: SQSRecord, deadline: Deadline) -> None:
    deadline.check(MIN_START_S)
    settings = import_settings()
    delivery = Delivery.from_sqs_record(record)
    try:
        requests = messages.parse_body(delivery.body)
    except PermanentError as err:
        drop_unreadable(delivery, err, task=worker.TASK)
        return
    for request in requests:
        try:
            outcome = worker.process(request, settings, deadline, delivery)
        except PermanentError as err:
            # It names a job that does not exist: no retry can create it.
            drop_unreadable(delivery, err, task=worker.TASK)
            continue
        logger.info(
            "events file done",
            extra={
                "key": request.key,
                "status": outcome.status,
                "job_id": str(outcome.job.id),
                "result": outcome.reason,
            },
        )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = import_settings()
    deadline = Deadline.from_context(context, settings.time_reserve_s, default_s=settings.time_reserve_s + MIN_START_S)

    def record_handler(record: SQSRecord) -> None:
        try:
            handle_record(record, deadline)
        except TransientError as err:
            logger.warning("events file will be retried", extra={"reason": err.reason, "message_id": record.message_id})
            raise

    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
