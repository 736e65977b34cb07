"""SQS entry point of the trends, data and alerts workers (TASK says which).

Parse the batch, run each message through the job lifecycle, report the
failed ones back to SQS (partial batch response).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import messages
from common.deadline import Deadline
from cron import runners, worker

logger = Logger()
# No Powertools Tracer: it imports the X-Ray SDK and botocore at cold start (~1 s for
# functions that mostly start cold); the function's active tracing records each invocation.
# Every record gets a verdict: with batch size 1, raising on an all-failed batch
# would turn each routine retry into a Lambda error (and the function-errors alarm).
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
# The time a record gets when called without a Lambda context (a local run).
LOCAL_RUN_S = 60.0


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    task = os.environ["TASK"]
    deadline = Deadline.from_context(lambda_context, runners.RESERVE_S, default_s=LOCAL_RUN_S)
    delivery = messages.Delivery.from_sqs_record(record)
    job = worker.process(delivery, task=task, runner=runners.for_task(task, deadline), deadline=deadline)
    if job is not None:
        logger.info("message done", extra={"jobId": str(job.id), "task": task, "status": job.status})


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
