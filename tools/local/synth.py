"""The stage's CloudFormation templates, synthesized here without bundling.

The local system reads its queues, bucket, routes and functions from these
templates, so it cannot drift from what `cdk deploy` would create. Bundling is
skipped (``aws:cdk:bundling-stacks = []``): only the templates are needed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / ".cache" / "local-templates"
# What the templates are made from: any change here means a new synth.
_INPUTS = ("app.py", "cdk.json", "requirements.txt", "docs/api/openapi.json", "stacks/**/*.py", "tools/local/synth.py")
# The local system always runs the completion-webhook notifier: one endpoint, which it points at its
# own receiver (LOCAL_WEBHOOK_URL, else the stand-in); the URL here only makes the stage build it.
LOCAL_OVERRIDES = {"webhooks": {"endpoints": [{"name": "local", "url": "https://receiver.local.invalid/webhooks"}]}}


def inputs_digest() -> str:
    digest = hashlib.sha256()
    for pattern in _INPUTS:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


def templates(stage: str = "dev") -> dict[str, dict[str, Any]]:
    """``synthesize(stage)``, cached in .cache/ until an input of the synth changes."""
    path = CACHE_DIR / f"{stage}-{inputs_digest()}.json"
    if path.exists():
        return json.loads(path.read_text())
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # Processes that miss the cache together (pytest-xdist workers, `make local`
    # beside a test run) wait for one synth instead of each running their own.
    with (CACHE_DIR / f"{stage}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return json.loads(path.read_text())
        result = synthesize(stage)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(result))
        tmp.replace(path)
    return result


def use_project_node() -> None:
    """jsii on the pinned Node.js (as the Makefile sets it), before anything imports aws_cdk."""
    node = ROOT / "node_modules" / ".bin" / "node"
    if node.exists():
        os.environ.setdefault("JSII_NODE", str(node))
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


def synthesize(stage: str = "dev") -> dict[str, dict[str, Any]]:
    """Every stack's template of ``stage``, keyed by its short name ('Router', 'Video', ...)."""
    use_project_node()
    from stacks.synth import synth_stage

    with tempfile.TemporaryDirectory(prefix="huntaze-local-synth-") as outdir:
        app, stacks = synth_stage(stage, LOCAL_OVERRIDES, outdir=outdir)
        assembly = app.synth()
        return {
            stack.stack_name.split("-")[-1]: assembly.get_stack_by_name(stack.stack_name).template
            for stack in stacks.all()
        }
