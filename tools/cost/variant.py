"""Synthesize the same stage with other settings, in-process and without bundling."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from typing import Any

from stacks.synth import synth_stage


def synth_templates(stage: str, overrides: Mapping[str, Any]) -> tuple[Any, dict[str, dict]]:
    """(config, {stack name: template}) of ``stage`` with ``overrides`` merged into its config.

    Prices depend on the templates, not on the Lambda assets: no bundling.
    """
    with tempfile.TemporaryDirectory(prefix="cost-variant-") as outdir:
        app, stacks = synth_stage(stage, overrides, outdir=outdir)
        assembly = app.synth()
        return stacks.cfg, {s.stack_name: s.template for s in assembly.stacks}
