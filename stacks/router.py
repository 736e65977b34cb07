"""Router stack: the HTTP API and the AI router Lambda. (Filled in by the HTTP API issue.)"""

from __future__ import annotations

from typing import Mapping

import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.config import StageConfig
from stacks.data import DataStack
from stacks.network import NetworkStack


class RouterStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cfg: StageConfig,
        network: NetworkStack,
        data: DataStack,
        queues: Mapping[str, sqs.IQueue],
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
