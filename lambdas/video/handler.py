"""SQS -> video worker. Parses records, runs the worker, reports partial batch failures."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import azure_ai
from common.deadline import Deadline
from common.errors import PermanentError, TransientError
from common.messages import Delivery, drop_unreadable
from video import messages, worker
from video.settings import video_settings

logger = Logger()
# Every record gets a verdict: an all-failed batch is reported, not raised.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
# A record is only started with at least this long left before the reserve.
MIN_START_S = 20.0
TASK = "video"


def handle_record(record: SQSRecord, deadline: Deadline) -> None:
    deadline.check(MIN_START_S)
    settings = video_settings()
    delivery = Delivery.from_sqs_record(record)
    try:
        requests = messages.parse_body(delivery.body)
    except PermanentError as err:
        drop_unreadable(delivery, err, task=TASK)
        return
    for request in requests:
        try:
            outcome = worker.process(request, settings, deadline, azure_ai.get_client, delivery)
        except PermanentError as err:
            # It names a job that does not exist: no retry can create it.
            drop_unreadable(delivery, err, task=TASK)
            continue
        logger.info(
            "video processed", extra={"status": outcome.status, "job_id": str(outcome.job.id), "reason": outcome.reason}
        )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = video_settings()
    deadline = Deadline.from_context(context, settings.time_reserve_s, default_s=settings.time_reserve_s + MIN_START_S)

    def record_handler(record: SQSRecord) -> None:
        try:
            handle_record(record, deadline)
        except TransientError as err:
            logger.warning("video will be retried", extra={"reason": err.reason, "message_id": record.message_id})
            raise

    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
