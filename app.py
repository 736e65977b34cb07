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
    stacks = build(app, cfg)
except ConfigError as err:
    sys.exit(f"error: {err}")
# The nag plugin fails synth on any unacknowledged error; after a clean synth,
# print the tally (acknowledgments made by node validations are in by then).
app.synth()
print(summary(stacks.all()), file=sys.stderr)
