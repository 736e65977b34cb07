"""Create, on the local AWS endpoint, what the templates deploy: queues, bucket, notification, topics,
the webhook signing secrets, and the SSM SecureString parameters an operator creates before the first deploy.

Dead-letter queues go first so each redrive policy points at a queue that
exists. Putting the bucket notification makes S3 send its ``s3:TestEvent`` to
the video queue, as AWS does (the worker recognises and drops it).
"""

from __future__ import annotations

from typing import Any

from tools.local.deployment import Deployment


def provision(
    deployment: Deployment,
    *,
    session: Any,
    parameters: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
) -> None:
    sqs, s3, sns = session.client("sqs"), session.client("s3"), session.client("sns")
    dlqs_first = sorted(deployment.queues.values(), key=lambda q: q.dlq_name is not None)
    for queue in dlqs_first:
        sqs.create_queue(QueueName=queue.name, Attributes=queue.attributes)
    s3.create_bucket(Bucket=deployment.bucket, CreateBucketConfiguration={"LocationConstraint": deployment.region})
    if deployment.bucket_cors:
        # CloudFormation says MaxAge where the S3 API says MaxAgeSeconds.
        rules = [
            {("MaxAgeSeconds" if k == "MaxAge" else k): v for k, v in rule.items()} for rule in deployment.bucket_cors
        ]
        s3.put_bucket_cors(Bucket=deployment.bucket, CORSConfiguration={"CORSRules": rules})
    if deployment.notifications:
        s3.put_bucket_notification_configuration(
            Bucket=deployment.bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": n["QueueArn"],
                        "Events": n["Events"],
                        **({"Filter": n["Filter"]} if "Filter" in n else {}),
                    }
                    for n in deployment.notifications
                ]
            },
        )
    for topic in deployment.topics:
        sns.create_topic(Name=topic)
    for name, value in (parameters or {}).items():
        session.client("ssm").put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    for name, value in (secrets or {}).items():
        session.client("secretsmanager").create_secret(Name=name, SecretString=value)
