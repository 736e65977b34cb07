"""Synthesize the same stage with other settings, in-process and without bundling."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def merge(into: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value
    return into


def synth_templates(stage: str, overrides: Mapping[str, Any]) -> tuple[Any, dict[str, dict]]:
    """(config, {stack name: template}) of ``stage`` with ``overrides`` merged into its config.

    Bundling is skipped (``aws:cdk:bundling-stacks = []``): prices depend on
    the templates, not on the Lambda assets, and no pip install runs.
    """
    import aws_cdk as cdk

    from stacks.app_builder import build
    from stacks.config import load_stage_config

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    context["aws:cdk:bundling-stacks"] = []
    context["stage"] = stage
    merge(context["config"]["stages"].setdefault(stage, {}), overrides)
    cfg = load_stage_config(context["config"], stage, environ={})
    with tempfile.TemporaryDirectory(prefix="cost-variant-") as outdir:
        app = cdk.App(context=context, outdir=outdir)
        build(app, cfg, nag=False)
        assembly = app.synth()
        return cfg, {s.stack_name: s.template for s in assembly.stacks}
