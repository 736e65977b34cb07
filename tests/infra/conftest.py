"""Synthesize the app once per test session and share it between infra tests.

`stacks.synth.synth_stage` skips bundling: template tests need the templates,
not the pip installs; the bundler has its own test.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from stacks.app_builder import AppStacks
from stacks.config import StageConfig
from stacks.synth import ROOT, cdk_context, synth_stage

CDK_CONTEXT: dict[str, Any] = cdk_context()
# Every stack of a stage, by the short name the `templates` fixture uses.
STACK_NAMES = ["Network", "Data", "Schema", "Video", "Cron", "Router", "Monitoring", "Ops", "DeployAccess"]
_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
# A Lambda version's logical id ends in a hash of the function, code included.
_VERSION_HASH = re.compile(r"(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}")

os.environ.setdefault("JSII_NODE", str(ROOT / "node_modules" / ".bin" / "node"))
if not Path(os.environ["JSII_NODE"]).exists():
    del os.environ["JSII_NODE"]


def synth_app(
    stage: str = "dev", overrides: dict[str, Any] | None = None, outdir: str | None = None
) -> tuple[cdk.App, AppStacks]:
    """An app of ``stage`` with its config, optionally changed by ``overrides``."""
    # Nag runs in its own test through validate_scope; keep synth fast here.
    return synth_stage(stage, overrides, outdir=outdir, nag=False)


def mask_asset_hashes(template: dict) -> dict:
    """Replace asset hashes so snapshots change only when infrastructure does."""
    text = _ASSET_HASH.sub("<asset-hash>", json.dumps(template, sort_keys=True))
    return json.loads(_VERSION_HASH.sub(r"\1<code-hash>", text))


@pytest.fixture(scope="session")
def dev_app(tmp_path_factory) -> tuple[cdk.App, AppStacks]:
    return synth_app("dev", outdir=str(tmp_path_factory.mktemp("cdk-dev")))


@pytest.fixture(scope="session")
def stacks(dev_app) -> AppStacks:
    return dev_app[1]


@pytest.fixture(scope="session")
def cfg(stacks) -> StageConfig:
    return stacks.cfg


@pytest.fixture(scope="session")
def templates(stacks) -> dict[str, Template]:
    """Template of every stack, keyed by its short name ('Network', 'Data', ...)."""
    return {s.stack_name.split("-")[-1]: Template.from_stack(s) for s in stacks.all()}


@pytest.fixture(scope="session")
def prod_stacks(tmp_path_factory) -> AppStacks:
    return synth_app("prod", outdir=str(tmp_path_factory.mktemp("cdk-prod")))[1]


@pytest.fixture(scope="session")
def prod_templates(prod_stacks) -> dict[str, Template]:
    return {s.stack_name.split("-")[-1]: Template.from_stack(s) for s in prod_stacks.all()}
