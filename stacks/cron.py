"""Cron stack: trends, data and alerts workers on schedules. (Filled in by the scheduled-workers issue.)"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.queue_worker import QueueWorker
from stacks.data import DataStack
from stacks.network import NetworkStack


class CronStack(cdk.Stack):
    workers: dict[str, QueueWorker]

    def __init__(self, scope: Construct, construct_id: str, *, cfg: StageConfig, network: NetworkStack, data: DataStack, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.workers = {}
