"""Monitoring stack: alerts topic, alarms, dashboard, budget. (Filled in by the operability issue.)"""

from __future__ import annotations

from typing import Sequence

import aws_cdk as cdk
from constructs import Construct

from stacks.config import StageConfig


class MonitoringStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, cfg: StageConfig, watched: Sequence[cdk.Stack], **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
