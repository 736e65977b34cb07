"""The ops function: what the ops CLI's job commands invoke (RDS admits only the workers' security group, not laptops)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.nag import acknowledge
from stacks.constructs.nag_checkov import acknowledge_checkov
from stacks.constructs.python_function import PythonFunction
from stacks.cron import WATCHED_DLQ_TASKS as WORKER_TASKS
from stacks.data import DataStack


def ops_function(scope: Construct, cfg: StageConfig, data: DataStack) -> PythonFunction:
    """A rerun sends to a task queue found by name (``<prefix>-<task>``), so the
    function may send to exactly those queues and needs no lookup call."""
    prefix = cfg.prefix
    ops = PythonFunction(
        scope,
        "Ops",
        cfg=cfg,
        package="ops",
        handler="ops.handler.lambda_handler",
        function_name=f"{prefix}-ops",
        description="Operator actions on jobs (history, re-run) for the ops CLI",
        environment={
            "QUEUE_URL_PREFIX": f"https://sqs.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}/{cdk.Aws.ACCOUNT_ID}/{prefix}-",
        },
        database=data.database_access("ops"),
        unalarmed_because="an operator invokes it synchronously and sees every error in the CLI",
        reserved_concurrency=cfg.monitoring.ops_reserved_concurrency,
    )
    synchronous = (
        "The ops CLI invokes it synchronously and shows its error to the operator; "
        "a DLQ only serves asynchronous invocations."
    )
    acknowledge(ops, {"Serverless-LambdaDLQ": synchronous})
    acknowledge_checkov(ops, {"CKV_AWS_116": synchronous})
    ops.add_to_role_policy(
        iam.PolicyStatement(
            actions=["sqs:SendMessage"],
            resources=[
                f"arn:{cdk.Aws.PARTITION}:sqs:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:{prefix}-{task}"
                for task in WORKER_TASKS
            ],
        )
    )
    return ops
