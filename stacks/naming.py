"""Physical names and ARNs as the stacks need them: `common.names` applied to a stage config.

The names themselves live in ``common.names`` (shared with the workers and the
tools); this module adds the CDK side: the stage's prefix and the ARNs and URLs
built from a name with the deploying account and region.

A stack that finds another stack's resource by its name (a topic ARN, a queue
name) needs no CloudFormation export, so removing or replacing that resource
never turns into an "export in use" deadlock between two stacks.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct, IConstruct

from common import names
from stacks.config import StageConfig


def alerts_topic_name(cfg: StageConfig) -> str:
    return names.alerts_topic(cfg.prefix)


def alerts_topic_arn(cfg: StageConfig) -> str:
    return f"arn:{cdk.Aws.PARTITION}:sns:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:{alerts_topic_name(cfg)}"


def queue_name(cfg: StageConfig, task: str) -> str:
    """A queue worker's queue (QueueWorker names it; the sweeper and alerts find it by it)."""
    return names.queue(cfg.prefix, task)


def dlq_name(cfg: StageConfig, task: str) -> str:
    """A queue worker's DLQ."""
    return names.dlq(cfg.prefix, task)


def function_name(cfg: StageConfig, name: str) -> str:
    return names.function(cfg.prefix, name)


def queue_arn(name: str) -> str:
    return f"arn:{cdk.Aws.PARTITION}:sqs:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:{name}"


def queue_url_base() -> str:
    """What a queue's URL is before its name, in the deploying account and region."""
    return f"https://sqs.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}/{cdk.Aws.ACCOUNT_ID}/"


def queue_url(name: str) -> str:
    return queue_url_base() + name


def publish_id(resource: IConstruct, cfg: StageConfig, what: str, value: str) -> ssm.StringParameter:
    """Publish the id of ``resource`` that no one can name in advance (an HTTP API's, a database's).

    It goes to an SSM parameter named by `common.names.parameter`, beside the
    resource, and the owning stack remembers which of its resources it published
    (`published_id`). Another stack reads it with `resolved_id`: an SSM-typed
    template parameter, which, unlike an export, never blocks the owning stack
    from replacing or removing the resource.
    """
    stack = cdk.Stack.of(resource)
    published: dict[str, str] = stack.__dict__.setdefault("published_ids", {})
    published[resource.node.path] = what
    return ssm.StringParameter(
        stack,
        f"Published{''.join(p.capitalize() for p in what.split('-'))}Id",
        parameter_name=names.parameter(cfg.prefix, what),
        string_value=value,
        description=f"The {what} id, read by the Monitoring stack (no export)",
    )


def published_id(resource: IConstruct) -> str | None:
    """What ``resource``'s id was published as (`publish_id`), or None."""
    return cdk.Stack.of(resource).__dict__.get("published_ids", {}).get(resource.node.path)


def resolved_id(scope: Construct, cfg: StageConfig, what: str) -> str:
    """The value `publish_id` published, read when ``scope``'s stack deploys (no export, no import)."""
    return ssm.StringParameter.value_for_string_parameter(scope, names.parameter(cfg.prefix, what))


def keep_queue_exports(queue: sqs.IQueue) -> None:
    """Transition: the Router stack imported ``queue``'s URL and ARN until it found the queues by name.

    Exported one more release, so the owning stack can deploy before the Router stack drops
    its imports (CloudFormation refuses to remove an export in use); remove once every stage
    has deployed the Router stack that names the queues.
    """
    stack = cdk.Stack.of(queue)
    stack.export_value(queue.queue_url)
    stack.export_value(queue.queue_arn)
