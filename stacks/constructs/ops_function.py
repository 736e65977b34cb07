"""The ops function: what the ops CLI's job commands invoke (RDS admits only the workers' security group, not laptops)."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

from common import names
from common.tasks import TASKS
from stacks.config import StageConfig
from stacks.constructs.nag import acknowledge
from stacks.constructs.nag_checkov import acknowledge_checkov
from stacks.constructs.python_function import PythonFunction
from stacks.data import DataStack
from stacks.naming import function_name, queue_arn, queue_name, queue_url_base


def ops_function(scope: Construct, cfg: StageConfig, data: DataStack) -> PythonFunction:
    """A rerun sends to a task queue found by name (`common.names.queue`), so the
    function may send to exactly those queues and needs no lookup call."""
    ops = PythonFunction(
        scope,
        "Ops",
        cfg=cfg,
        package="ops",
        handler="ops.handler.lambda_handler",
        function_name=function_name(cfg, "ops"),
        description="Operator actions on jobs (history, re-run) for the ops CLI",
        environment={
            # Every task queue's URL is this plus the task (names.queue_prefix + task == names.queue).
            "QUEUE_URL_PREFIX": queue_url_base() + names.queue_prefix(cfg.prefix),
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
            resources=[queue_arn(queue_name(cfg, task)) for task in TASKS],
        )
    )
    return ops
