"""A queue-fed worker: SQS queue + DLQ + Lambda + event source, set up once, right.

Every unit of async work in this app goes through one of these, so every
worker gets retries, a dead-letter queue, back-pressure and a redrive path
with the same settings:

* visibility timeout = 6 x the function timeout + the batching window
  (AWS's guidance for SQS event sources, so a batch that is retried inside
  the function is not delivered twice meanwhile);
* ``maxReceiveCount`` from config, then the DLQ, kept 14 days; the function
  gets it as ``MAX_RECEIVE_COUNT`` to know a message's last delivery;
* partial batch responses (``ReportBatchItemFailures``): one bad message
  does not send its whole batch back;
* a maximum concurrency that caps how many functions hit PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.config import StageConfig, WorkerConfig
from stacks.constructs.nag import acknowledge
from stacks.constructs.nag_checkov import acknowledge_checkov
from stacks.constructs.python_function import DatabaseAccess, PythonFunction
from stacks.naming import dlq_name, function_name, queue_name

VISIBILITY_TIMEOUT_FACTOR = 6
DLQ_RETENTION = cdk.Duration.days(14)


def visibility_timeout_seconds(worker: WorkerConfig) -> int:
    return worker.timeout_seconds * VISIBILITY_TIMEOUT_FACTOR + worker.max_batching_window_seconds


def dead_letter_queue(scope: Construct, construct_id: str, *, queue_name: str, of_what: str) -> sqs.Queue:
    """A DLQ with the app's settings: 14 days to look and redrive, encrypted, TLS only."""
    dlq = sqs.Queue(
        scope,
        construct_id,
        queue_name=queue_name,
        retention_period=DLQ_RETENTION,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )
    acknowledge(
        dlq,
        {
            "AwsSolutions-SQS3": f"This queue is itself the dead-letter queue of {of_what}.",
            "Serverless-SQSRedrivePolicy": f"This queue is itself the dead-letter queue of {of_what}.",
        },
    )
    return dlq


class QueueWorker(Construct):
    """``queue`` -> ``function`` with ``dlq`` behind it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cfg: StageConfig,
        worker: WorkerConfig,
        task: str,
        package: str,
        handler: str,
        description: str,
        environment: Mapping[str, str] | None = None,
        database: DatabaseAccess | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.task = task
        self.worker_config = worker
        timeout = cdk.Duration.seconds(worker.timeout_seconds)

        self.dlq = dead_letter_queue(self, "Dlq", queue_name=dlq_name(cfg, task), of_what=f"the {task} queue")
        self.queue = sqs.Queue(
            self,
            "Queue",
            queue_name=queue_name(cfg, task),
            visibility_timeout=cdk.Duration.seconds(visibility_timeout_seconds(worker)),
            retention_period=cdk.Duration.days(4),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dlq, max_receive_count=worker.max_receive_count),
        )
        self.function = PythonFunction(
            self,
            "Function",
            cfg=cfg,
            package=package,
            handler=handler,
            description=description,
            # A fixed name lets the Monitoring stack watch it without an export.
            function_name=function_name(cfg, task),
            memory_mb=worker.memory_mb,
            timeout=timeout,
            ephemeral_storage_mb=worker.ephemeral_storage_mb,
            # MAX_RECEIVE_COUNT tells the worker which delivery is the last, so a job whose
            # retries run out is marked failed instead of staying queued behind a DLQ message.
            environment={"TASK": task, "MAX_RECEIVE_COUNT": str(worker.max_receive_count), **(environment or {})},
            database=database,
        )
        self.function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=worker.batch_size,
                max_batching_window=cdk.Duration.seconds(worker.max_batching_window_seconds)
                if worker.max_batching_window_seconds
                else None,
                max_concurrency=worker.max_concurrency,
                report_batch_item_failures=True,
            )
        )
        sqs_triggered = (
            "SQS triggers it: a message that keeps failing moves to the queue's redrive DLQ (alarmed); a "
            "function DLQ or on-failure destination only serves asynchronous invocations and Kinesis/DynamoDB/Kafka sources."
        )
        acknowledge(
            self.function,
            {"Serverless-LambdaDLQ": sqs_triggered, "Serverless-LambdaEventSourceMappingDestination": sqs_triggered},
        )
        acknowledge_checkov(
            self.function,
            {
                "CKV_AWS_115": "The SQS event source's maximum concurrency caps it (config max_concurrency) without "
                "taking reserved concurrency from the account.",
                "CKV_AWS_116": sqs_triggered,
            },
        )
