"""Builds every stack of one stage; shared by app.py and the tests."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from stacks import connection_budget
from stacks.config import StageConfig, load_stage_config
from stacks.constructs.nag_checkov import CheckovBudgetChoices
from stacks.cron import CronStack
from stacks.data import DataStack
from stacks.deploy_access import DeployAccessStack
from stacks.monitoring import MonitoringStack
from stacks.network import NetworkStack
from stacks.ops import OpsStack
from stacks.router import RouterStack
from stacks.schema import SchemaStack
from stacks.video import VideoStack


@dataclass(frozen=True)
class AppStacks:
    cfg: StageConfig
    network: NetworkStack
    data: DataStack
    schema: SchemaStack
    video: VideoStack
    cron: CronStack
    router: RouterStack
    monitoring: MonitoringStack
    ops: OpsStack
    deploy_access: DeployAccessStack

    def all(self) -> list[cdk.Stack]:
        return [
            self.network,
            self.data,
            self.schema,
            self.video,
            self.cron,
            self.router,
            self.monitoring,
            self.ops,
            self.deploy_access,
        ]


def stage_config(app: cdk.App) -> StageConfig:
    return load_stage_config(app.node.try_get_context("config"), app.node.try_get_context("stage"))


def build(app: cdk.App, cfg: StageConfig, *, nag: bool = True) -> AppStacks:
    env = cdk.Environment(account=cfg.account, region=cfg.region)
    name = f"Huntaze-{cfg.stage.capitalize()}"

    def props(description: str) -> dict:
        return {
            "cfg": cfg,
            "env": env,
            "description": f"Huntaze {cfg.stage}: {description}",
            # The stage's own bootstrap: its assets bucket and the roles its deploy role may assume.
            "synthesizer": cdk.DefaultStackSynthesizer(qualifier=cfg.deploy.cdk_bootstrap_qualifier),
        }

    network = NetworkStack(app, f"{name}-Network", **props("VPC, subnets, NAT"))
    data = DataStack(app, f"{name}-Data", network=network, **props("PostgreSQL, Valkey, uploads bucket, migrations"))
    schema = SchemaStack(app, f"{name}-Schema", data=data, **props("schema migrations, applied on deploy"))
    video = VideoStack(app, f"{name}-Video", data=data, **props("uploads consumers: video and events imports workers"))
    cron = CronStack(app, f"{name}-Cron", data=data, **props("scheduled workers"))
    queued_tasks = ["video", *cron.workers]
    router = RouterStack(app, f"{name}-Router", data=data, queued_tasks=queued_tasks, **props("HTTP API and AI router"))
    # The router finds the queues by name: deployed after their stacks, so a job is never sent to a queue not yet made.
    for owner in (video, cron):
        router.add_stack_dependency(owner)
    monitoring = MonitoringStack(
        app,
        f"{name}-Monitoring",
        data=data,
        watched=[network, data, schema, video, cron, router],
        **props("alarms, dashboard, budget"),
    )
    # Monitoring imports nothing: it reads the others' published ids when it deploys, so it must come after them.
    for watched in (network, data, schema, video, cron, router):
        monitoring.add_stack_dependency(watched)
    ops = OpsStack(app, f"{name}-Ops", data=data, **props("ops function (the ops CLI's job commands)"))
    # Only for the deploy that moves the ops function out of Monitoring (same fixed name): delete, then create.
    ops.add_stack_dependency(monitoring)
    deploy_access = DeployAccessStack(app, f"{name}-DeployAccess", **props("GitHub OIDC deploy role"))

    stacks = AppStacks(cfg, network, data, schema, video, cron, router, monitoring, ops, deploy_access)
    connection_budget.check(cfg, data)
    for stack in stacks.all():
        cdk.Aspects.of(stack).add(CheckovBudgetChoices())
        cdk.Tags.of(stack).add("project", "huntaze-workers")
        cdk.Tags.of(stack).add("stage", cfg.stage)
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    return stacks
