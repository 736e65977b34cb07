"""Video stack: uploads/ -> SQS -> the video worker. (Filled in by the video issue.)"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.queue_worker import QueueWorker
from stacks.data import DataStack
from stacks.network import NetworkStack


class VideoStack(cdk.Stack):
    worker: QueueWorker

    def __init__(self, scope: Construct, construct_id: str, *, cfg: StageConfig, network: NetworkStack, data: DataStack, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
