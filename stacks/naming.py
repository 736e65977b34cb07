"""Physical names that more than one stack needs, derived from the stage config.

A stack that finds another stack's resource by its name (a topic ARN, a queue
name) needs no CloudFormation export, so removing or replacing that resource
never turns into an "export in use" deadlock between two stacks.
"""

from __future__ import annotations

import aws_cdk as cdk

from stacks.config import StageConfig


def alerts_topic_name(cfg: StageConfig) -> str:
    return f"{cfg.prefix}-alerts"


def alerts_topic_arn(cfg: StageConfig) -> str:
    return f"arn:{cdk.Aws.PARTITION}:sns:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:{alerts_topic_name(cfg)}"


def queue_name(cfg: StageConfig, task: str) -> str:
    """A queue worker's queue (QueueWorker names it; the sweeper and alerts find it by it)."""
    return f"{cfg.prefix}-{task}"


def dlq_name(cfg: StageConfig, task: str) -> str:
    """A queue worker's DLQ."""
    return f"{queue_name(cfg, task)}-dlq"
