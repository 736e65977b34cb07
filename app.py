#!/usr/bin/env python3
"""The CDK app: every stack of one stage (`cdk synth -c stage=dev|prod`)."""

import sys

import aws_cdk as cdk

from stacks.app_builder import build, stage_config
from stacks.config import ConfigError
from stacks.constructs.nag import summary

app = cdk.App()
try:
    cfg = stage_config(app)
except ConfigError as err:
    sys.exit(f"error: {err}")
stacks = build(app, cfg)
# The nag plugin fails synth on any unacknowledged error; this prints the tally either way.
print(summary(stacks.all()), file=sys.stderr)
app.synth()
