"""cfn-lint: zero errors on every synthesized template."""

from __future__ import annotations

import json

import pytest
from cfnlint.api import ManualArgs, lint

from tests.infra.conftest import STACK_NAMES


@pytest.mark.parametrize("name", STACK_NAMES)
def test_template_has_no_cfn_lint_errors(templates, cfg, name):
    template = templates[name].to_json()
    if not template.get("Resources"):
        pytest.fail(f"{name} synthesized no resources")
    matches = lint(json.dumps(template), config=ManualArgs(regions=[cfg.region]))
    errors = [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches if m.rule.severity == "error"]
    assert errors == []
