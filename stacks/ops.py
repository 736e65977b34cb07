"""Ops stack: the ops function, what the ops CLI's job commands invoke inside the VPC.

A stack of its own, beside the data tier it reaches, so that the Monitoring
stack imports nothing: Monitoring finds what it watches by name
(`common.names`) and by published ids (`stacks.naming.publish_id`), while
this function needs the VPC, the workers' security group and the database's
address, which come as exports from the Network and Data stacks.

It depends on the Monitoring stack only for the order of one deploy: the
function used to live there under the same fixed name, and Monitoring must
delete it before this stack creates it again.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.ops_function import ops_function
from stacks.data import DataStack


class OpsStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, cfg: StageConfig, data: DataStack, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.ops_function = ops_function(self, cfg, data)
