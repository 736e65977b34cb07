"""One snapshot per stack, asset hashes masked: a diff here is an infrastructure change."""

from __future__ import annotations

import pytest

from tests.infra.conftest import STACK_NAMES, mask_asset_hashes


@pytest.mark.parametrize("name", STACK_NAMES)
def test_stack_matches_snapshot(templates, snapshot, name):
    assert mask_asset_hashes(templates[name].to_json()) == snapshot


def test_a_code_change_leaves_the_masked_template_alone(stacks, monkeypatch, tmp_path):
    # Given the Schema stack (the migrate function) synthesized as it is
    from aws_cdk.assertions import Template

    from stacks.constructs import bundling
    from tests.infra.conftest import synth_app

    before = mask_asset_hashes(Template.from_stack(stacks.schema).to_json())
    # When only the shared Lambda code changes (a copy of lambdas/ with one more file)
    import shutil

    lambdas = tmp_path / "lambdas"
    shutil.copytree(bundling.LAMBDAS_DIR, lambdas, ignore=shutil.ignore_patterns("__pycache__"))
    (lambdas / "common" / "extra_module.py").write_text("X = 1\n")
    monkeypatch.setattr(bundling, "LAMBDAS_DIR", lambdas)
    _, changed = synth_app("dev")
    after_raw = Template.from_stack(changed.schema).to_json()
    # Then the raw template moved but the masked one did not
    assert after_raw != Template.from_stack(stacks.schema).to_json()
    assert mask_asset_hashes(after_raw) == before
