"""Each function's asset carries only what it ships, so a change redeploys only the functions that ship it.

The migrations live with the migrate function (lambdas/migrate/migrations), not in ``common``
(which every asset carries): adding one must change the migrate function's asset and no other.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stacks.constructs import bundling, python_function
from tests.infra.conftest import synth_app


def _python_code_keys(stacks) -> dict[str, str]:
    """Every Python function's asset key (its S3 object: the asset hash), by stack and logical id."""
    keys = {}
    for stack in stacks.all():
        for logical_id, resource in stack_resources(stack, "AWS::Lambda::Function"):
            props = resource["Properties"]
            # Ours: a Python function from an asset (CDK's own providers are inline or not Python).
            if props.get("Runtime", "").startswith("python") and "S3Key" in props.get("Code", {}):
                keys[f"{stack.stack_name}/{logical_id}/{props['Handler']}"] = str(props["Code"]["S3Key"])
    return keys


def stack_resources(stack, kind: str):
    from aws_cdk.assertions import Template

    return Template.from_stack(stack).find_resources(kind).items()


@pytest.fixture
def lambdas_copy(tmp_path, monkeypatch) -> Path:
    """A copy of lambdas/ that the bundler and the function construct read instead of the real one."""
    copy = tmp_path / "lambdas"
    shutil.copytree(bundling.LAMBDAS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    monkeypatch.setattr(bundling, "LAMBDAS_DIR", copy)
    monkeypatch.setattr(python_function, "LAMBDAS_DIR", copy)
    return copy


def test_a_new_migration_changes_only_the_migrate_function_asset(stacks, lambdas_copy, tmp_path):
    # Given the app as synthesized from the repository
    before = _python_code_keys(stacks)
    # When a migration is added and the app synthesized again
    (lambdas_copy / "migrate" / "migrations" / "9999_dummy.sql").write_text("SELECT 1;\n")
    _, again = synth_app("dev", outdir=str(tmp_path / "out"))
    after = _python_code_keys(again)
    # Then only the migrate function's asset changed (so only it, and its deploy trigger, redeploy)
    assert after.keys() == before.keys()
    changed = sorted(name.rsplit("/", 1)[1] for name in before if before[name] != after[name])
    assert changed == ["migrate.handler.lambda_handler"]


def test_a_change_to_the_shared_package_changes_every_asset(lambdas_copy):
    # Given every function package's asset hash
    packages = sorted(p.name for p in lambdas_copy.iterdir() if (p / "handler.py").is_file())
    before = {p: bundling.asset_hash(p) for p in packages}
    # When a file of the shared package changes / Then every asset that ships it changes
    (lambdas_copy / "common" / "errors.py").write_text((lambdas_copy / "common" / "errors.py").read_text() + "\n# x\n")
    assert all(bundling.asset_hash(p) != before[p] for p in packages), packages
