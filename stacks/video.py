"""Video stack: the uploads bucket's consumers. uploads/ -> SQS -> the video worker -> Azure AI -> PostgreSQL;
events/ -> SQS -> the imports worker -> PostgreSQL (stacks/event_imports.py).

Both notifications of the bucket live here, in one notification resource: S3
keeps one notification configuration per bucket, and two stacks writing it
would each overwrite the other's.
"""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks import function_settings
from stacks.config import StageConfig
from stacks.constructs.nag import acknowledge, acknowledge_cdk_provider
from stacks.constructs.queue_worker import QueueWorker
from stacks.data import DataStack
from stacks.event_imports import EventImports
from stacks.function_settings import EVENTS_PREFIX, UPLOADS_PREFIX
from stacks.naming import keep_queue_exports
from stacks.webhooks import announce_to


@jsii.implements(s3.IBucketNotificationDestination)
class QueueOfThisAccount:
    """An S3 notification to an SQS queue that admits S3 only for this bucket of this account.

    CDK's SqsDestination conditions the queue policy on ``aws:SourceArn``
    alone; a bucket name can change hands, the account cannot.
    """

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    def bind(self, scope: Construct, bucket: s3.IBucket) -> s3.BucketNotificationDestinationConfig:
        result = self.queue.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("s3.amazonaws.com")],
                actions=["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                resources=[self.queue.queue_arn],
                conditions={
                    "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                    "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
                },
            )
        )
        # S3 checks it may send when the notification is put: the policy must exist first.
        depends = [result.policy_dependable] if result.policy_dependable else []
        return s3.BucketNotificationDestinationConfig(
            arn=self.queue.queue_arn, type=s3.BucketNotificationDestinationType.QUEUE, dependencies=depends
        )


class VideoStack(cdk.Stack):
    worker: QueueWorker
    imports: EventImports

    def __init__(self, scope: Construct, construct_id: str, *, cfg: StageConfig, data: DataStack, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        v = cfg.video
        # Imported by name so Data does not depend on Video (the notification lives here).
        uploads = data.uploads_bucket(self)
        self.worker = QueueWorker(
            self,
            "Worker",
            cfg=cfg,
            worker=v.worker,
            task="video",
            package="video",
            handler="video.handler.lambda_handler",
            description="Video worker: frames, features and a Phi-4 multimodal analysis of each upload",
            environment={
                **data.azure_environment(),
                **function_settings.video(cfg),
                "UPLOADS_BUCKET": data.uploads_bucket_name,
            },
            database=data.database_access("video"),
        )
        keep_queue_exports(self.worker.queue)
        fn = self.worker.function
        announce_to(fn, cfg)
        data.grant_azure(fn)
        # Exactly what the worker does: read objects under uploads/. CDK's grant_read
        # would add an unconditional s3:List* on the whole bucket.
        fn.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[uploads.arn_for_objects(f"{UPLOADS_PREFIX}*")])
        )
        # Without ListBucket a missing object answers 403, not 404; scoped to uploads/.
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[uploads.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{UPLOADS_PREFIX}*"]}},
            )
        )
        uploads.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            QueueOfThisAccount(self.worker.queue),
            s3.NotificationKeyFilter(prefix=UPLOADS_PREFIX),
        )
        self.imports = EventImports(self, "EventImports", cfg=cfg, data=data, uploads=uploads)
        uploads.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            QueueOfThisAccount(self.imports.queue),
            s3.NotificationKeyFilter(prefix=EVENTS_PREFIX),
        )
        self._acknowledge(fn, data)

    def _acknowledge(self, fn: cdk.Resource, data: DataStack) -> None:
        assert fn.role is not None
        acknowledge(
            fn.role,
            {
                f"AwsSolutions-IAM5[{data.uploads_objects_finding}]": "The worker reads any uploaded video under uploads/, never elsewhere.",
            },
        )
        acknowledge_cdk_provider(
            self,
            "BucketNotificationsHandler050a0587b7544547bf325f094a3db834",
            "bucket-notifications handler",
            {
                "AwsSolutions-IAM5[Resource::*]": "CDK's bucket-notifications handler calls PutBucketNotification, which it scopes to '*'."
            },
        )
