"""The events imports worker: events/ in the uploads bucket -> SQS (+ DLQ) -> the imports function -> PostgreSQL.

NDJSON files of events (a backfill, an export of the app's backend) are put
under events/ by whoever holds S3 write access there (no API route issues
URLs for it); each is read by the worker with the rules of POST /v1/events
and reported on its own job. The function may read objects under events/
and nothing else in the bucket.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks import function_settings
from stacks.config import StageConfig
from stacks.constructs.nag import acknowledge
from stacks.constructs.queue_worker import QueueWorker
from stacks.data import DataStack
from stacks.function_settings import EVENTS_PREFIX

TASK = "imports"


class EventImports(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, cfg: StageConfig, data: DataStack, uploads: s3.IBucket
    ) -> None:
        super().__init__(scope, construct_id)
        self.worker = QueueWorker(
            self,
            "Worker",
            cfg=cfg,
            worker=cfg.events.imports,
            task=TASK,
            package="imports",
            handler="imports.handler.lambda_handler",
            description="Imports worker: NDJSON (gzip) event files under events/ -> content_events, a report per file",
            environment={**function_settings.imports(cfg), "UPLOADS_BUCKET": data.uploads_bucket_name},
            database=data.database_access(TASK),
        )
        fn = self.worker.function
        fn.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[uploads.arn_for_objects(f"{EVENTS_PREFIX}*")])
        )
        # Without ListBucket a missing object answers 403, not 404; scoped to events/.
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[uploads.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{EVENTS_PREFIX}*"]}},
            )
        )
        assert fn.role is not None
        acknowledge(
            fn.role,
            {
                f"AwsSolutions-IAM5[{data.objects_finding(EVENTS_PREFIX)}]": "The worker reads any events file under "
                "events/, never elsewhere.",
            },
        )

    @property
    def queue(self) -> cdk.aws_sqs.Queue:
        return self.worker.queue
