"""Schema stack: the migrations, applied on deploy once the data tier is up.

A stack of its own so that a failing migration rolls back only this stack,
never the database (deletion-protected in prod) beside it. On UPDATE_ROLLBACK
the trigger runs the previous function version again, so every migration must
be safe to run twice (tests/lambdas prove the runner skips what it applied).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import triggers
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.nag import acknowledge, acknowledge_cdk_provider
from stacks.constructs.nag_checkov import acknowledge_checkov
from stacks.constructs.python_function import PythonFunction
from stacks.data import DataStack

MIGRATE_TIMEOUT = cdk.Duration.minutes(5)
TRIGGER_MARGIN = cdk.Duration.minutes(1)


class SchemaStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, cfg: StageConfig, data: DataStack, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.migrate_fn = PythonFunction(
            self,
            "Migrate",
            cfg=cfg,
            package="migrate",
            handler="migrate.handler.lambda_handler",
            description="Applies the versioned SQL migrations",
            memory_mb=256,
            timeout=MIGRATE_TIMEOUT,
            database=data.master_database_access(),
            unalarmed_because="it runs only during deploys, and its failure fails the deploy",
        )
        synchronous = (
            "The deploy's trigger invokes it synchronously (RequestResponse) and fails the deploy on its error."
        )
        acknowledge(self.migrate_fn, {"Serverless-LambdaDLQ": synchronous})
        acknowledge_checkov(
            self.migrate_fn,
            {"CKV_AWS_116": synchronous, "CKV_AWS_115": "Invoked once per deploy, by the trigger only."},
        )
        # The asset hash covers the SQL files, so a new migration re-runs the trigger;
        # the Data stack (database, its security group rules) is complete before it.
        self.migrate_trigger = triggers.Trigger(
            self,
            "MigrateOnDeploy",
            handler=self.migrate_fn,
            execute_on_handler_change=True,
            # The provider waits longer than the function may run, so a slow migration
            # reports the function's own timeout error, not a socket error of the provider.
            timeout=MIGRATE_TIMEOUT.plus(TRIGGER_MARGIN),
            invocation_type=triggers.InvocationType.REQUEST_RESPONSE,
        )
        self.add_stack_dependency(data, "migrations need the database and its security group rules")
        acknowledge_cdk_provider(self, "AWSCDK.TriggerCustomResourceProviderCustomResourceProvider", "trigger provider")
