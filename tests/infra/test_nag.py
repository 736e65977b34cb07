"""cdk-nag AwsSolutions and Serverless: no unacknowledged error on any stack of either stage,
and every acknowledgment has a reason."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from tests.infra.conftest import STACK_NAMES

PACKS = [AwsSolutionsChecks, ServerlessChecks]


def _stack(stacks, name: str) -> cdk.Stack:
    return next(s for s in stacks.all() if s.stack_name.endswith(f"-{name}"))


def _errors(pack, stack: cdk.Stack) -> list[str]:
    report = pack().validate_scope(stack)
    return [
        f"{v.rule_name}: {v.description} at {[r.construct_path for r in v.violating_resources]}"
        for v in report.violations
        if v.severity == "error"
    ]


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.__name__)
@pytest.mark.parametrize("name", STACK_NAMES)
def test_no_unacknowledged_nag_errors(stacks, name, pack):
    assert _errors(pack, _stack(stacks, name)) == []


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.__name__)
@pytest.mark.parametrize("name", STACK_NAMES)
def test_prod_stacks_have_no_unacknowledged_nag_errors(prod_stacks, name, pack):
    assert _errors(pack, _stack(prod_stacks, name)) == []


def test_every_acknowledgment_carries_a_reason(stacks):
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    seen = 0
    for stack in stacks.all():
        for construct in stack.node.find_all():
            for entry in construct.node.metadata:
                if entry.type == key:
                    for rule, reason in entry.data.items():
                        seen += 1
                        assert len(reason.strip()) >= 20, f"{construct.node.path}: {rule} has no real reason"
    assert seen > 0
