"""A stage synthesized in-process, as the tests and the tools need it: templates, no assets.

The context is cdk.json's, as the CDK CLI passes it to app.py; ``overrides`` are deep-merged into
the stage's config block; bundling is skipped (``aws:cdk:bundling-stacks = []``), so no pip install
runs; cdk-nag is off unless asked for (it has its own test, and `make synth` runs it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stacks.config import deep_merge

if TYPE_CHECKING:
    import aws_cdk as cdk

    from stacks.app_builder import AppStacks

ROOT = Path(__file__).resolve().parents[1]


def cdk_context(root: Path = ROOT) -> dict[str, Any]:
    """cdk.json's context (a fresh copy each call: callers may change it)."""
    return json.loads((root / "cdk.json").read_text())["context"]


def synth_stage(
    stage: str = "dev",
    overrides: Mapping[str, Any] | None = None,
    *,
    outdir: str | None = None,
    nag: bool = False,
) -> tuple[cdk.App, AppStacks]:
    """The app of ``stage`` and its stacks, its config changed by ``overrides``; ``app.synth()`` writes to ``outdir``."""
    # Imported here: a caller may point jsii at the project's Node.js before aws_cdk loads.
    import aws_cdk as cdk

    from stacks.app_builder import build
    from stacks.config import load_stage_config

    context = cdk_context()
    context["aws:cdk:bundling-stacks"] = []
    context["stage"] = stage
    stages = context["config"]["stages"]
    stages[stage] = deep_merge(stages.get(stage) or {}, overrides or {})
    app = cdk.App(context=context, outdir=outdir)
    cfg = load_stage_config(context["config"], stage, environ={})
    return app, build(app, cfg, nag=nag)
