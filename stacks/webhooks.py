"""Completion webhooks: the notifier (a QueueWorker: queue, DLQ, function, alarms derived by Monitoring),
each endpoint's signing secret, and the grant that lets a job worker announce a finished job.

Built only when the stage config names an endpoint (`webhooks.endpoints`): a
stage without one pays for no queue, no poller and no alarm, and its workers
announce nothing. The queue is found by its name (`stacks.naming`), so the
workers' stacks need no export from this one.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks import function_settings
from stacks.config import StageConfig
from stacks.constructs.nag import acknowledge
from stacks.constructs.queue_worker import QueueWorker
from stacks.data import DataStack
from stacks.naming import queue_arn, queue_name, queue_url

TASK = "webhooks"
# The environment variable common.completion reads (a test keeps the two equal).
QUEUE_URL_ENV = "JOB_EVENTS_QUEUE_URL"


def secret_name(cfg: StageConfig, endpoint: str) -> str:
    return function_settings.webhook_endpoint_secret(cfg, endpoint)


def announce_to(fn: lambda_.Function, cfg: StageConfig) -> None:
    """Let a job worker queue its finished jobs for the notifier (nothing when the stage has no endpoint)."""
    if not cfg.webhooks.enabled:
        return
    name = queue_name(cfg, TASK)
    fn.add_environment(QUEUE_URL_ENV, queue_url(name))
    fn.add_to_role_policy(
        iam.PolicyStatement(
            actions=["sqs:SendMessage"],
            resources=[queue_arn(name)],
        )
    )


class WebhookNotifier(Construct):
    """Posts job.succeeded / job.failed to the stage's endpoints, signed, retried with back-off over hours."""

    def __init__(self, scope: Construct, construct_id: str, *, cfg: StageConfig, data: DataStack) -> None:
        super().__init__(scope, construct_id)
        w = cfg.webhooks
        self.secrets = {
            e.name: secretsmanager.Secret(
                self,
                f"Secret-{e.name}",
                secret_name=secret_name(cfg, e.name),
                description=f"Standard Webhooks signing secret of the {e.name} endpoint (give its value to the receiver)",
                # 44 base64 characters: the 33-byte key the standardwebhooks libraries decode it to.
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    password_length=44, exclude_punctuation=True
                ),
                removal_policy=data.removal_policy,
            )
            for e in w.endpoints
        }
        self.worker = QueueWorker(
            self,
            "Worker",
            cfg=cfg,
            worker=w.worker,
            task=TASK,
            package="webhooks",
            handler="webhooks.handler.lambda_handler",
            description=f"Huntaze {cfg.stage} completion webhooks: signed job.succeeded / job.failed, retried for hours",
            environment=function_settings.webhooks(cfg),
            database=data.database_access(TASK),
        )
        fn = self.worker.function
        fn.add_environment("WEBHOOK_QUEUE_URL", self.worker.queue.queue_url)
        for secret in self.secrets.values():
            secret.grant_read(fn)
            acknowledge(
                secret,
                {
                    "AwsSolutions-SMG4": "A signing secret is shared with the receiver, which must be given a new one "
                    "by hand when it changes (the Standard Webhooks rotation: both keys valid for a while); "
                    "docs/webhooks.md has the steps."
                },
            )
