"""The upgrade check on the real app (the session's dev synth; tools/upgrade_check explains the base).

Two synthetic changes a routine deploy can bring, made through the stage
config, must be caught: a new AMI for the NAT instance and a new budget
threshold. And this change itself must deploy over the dev stage that the
repository last accepted, as its committed snapshots record it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Template

from tests.infra import test_snapshots
from tests.infra.conftest import ROOT, synth_app
from tools.upgrade_check import check
from tools.upgrade_check.rules import EXPORT_IN_USE, FIXED_NAME
from tools.upgrade_check.snapshots import templates_at
from tools.upgrade_check.synth import default_base

SNAPSHOTS = Path(test_snapshots.__file__).parent / "__snapshots__" / "test_snapshots.ambr"
NEW_AMI = "ami-0fedcba9876543210"


@pytest.fixture(scope="module")
def dev(stacks) -> dict[str, dict]:
    return {s.stack_name: Template.from_stack(s).to_json() for s in stacks.all()}


@pytest.fixture(scope="module")
def routine_change(cfg) -> dict[str, dict]:
    """The dev app after a new AMI release and a budget threshold change (one synth for both tests)."""
    overrides = {
        "network": {"nat_ami": NEW_AMI},
        "monitoring": {"budget_actual_percent": cfg.monitoring.budget_actual_percent - 10},
    }
    _, changed = synth_app("dev", overrides=overrides)
    return {s.stack_name: Template.from_stack(s).to_json() for s in changed.all()}


@pytest.fixture(scope="module")
def routine_check(dev, routine_change, cfg):
    return check(dev, routine_change, cfg.region)


def _logical_id(templates: dict[str, dict], resource_type: str) -> tuple[str, str]:
    (found,) = [
        (s, lid) for s, t in templates.items() for lid, r in t["Resources"].items() if r["Type"] == resource_type
    ]
    return found


def _imported_exports_of(templates: dict[str, dict], stack: str, logical_id: str) -> set[str]:
    """Output ids of ``stack`` whose value reads the resource and that another stack imports."""
    others = json.dumps([t for s, t in templates.items() if s != stack])
    return {
        output_id
        for output_id, output in templates[stack].get("Outputs", {}).items()
        if logical_id in json.dumps(output["Value"]) and f'"{output.get("Export", {}).get("Name")}"' in others
    }


def test_a_new_nat_ami_replaces_the_instance_and_breaks_the_exports_it_feeds(dev, routine_check):
    # Given the dev app / When the NAT instance's AMI changes
    stack, nat = _logical_id(dev, "AWS::EC2::Instance")
    (replacement,) = [r for r in routine_check.plan.replaced() if r.logical_id == nat]
    # Then the check sees the instance replaced by ImageId, printed as cdk diff would
    assert [c.path for c in replacement.causes] == ["ImageId"]
    assert f"[~] AWS::EC2::Instance {nat} replace" in routine_check.text
    assert f"     └─ [+] {NEW_AMI}" in routine_check.text
    # And it fails on every export in use that carries the instance's id
    flagged = {f.logical_id for f in routine_check.findings if f.rule == EXPORT_IN_USE and f.stack == stack}
    assert flagged == _imported_exports_of(dev, stack, nat)


def test_a_new_budget_threshold_replaces_the_budget_and_fails_while_it_keeps_its_name(
    dev, routine_change, routine_check, cfg
):
    # Given the dev app / When the budget's actual-cost threshold changes
    stack, budget = _logical_id(dev, "AWS::Budgets::Budget")
    (replacement,) = [r for r in routine_check.plan.replaced() if r.logical_id == budget]
    # Then the check sees the budget replaced by that notification's threshold
    assert "NotificationsWithSubscribers" in [c.path for c in replacement.causes]
    assert f"[~] AWS::Budgets::Budget {budget} replace" in routine_check.text
    assert f"     └─ [+] {cfg.monitoring.budget_actual_percent - 10}" in routine_check.text
    # And it fails exactly when the replacement keeps the old fixed name: it would take it first
    old_name = dev[stack]["Resources"][budget]["Properties"]["Budget"].get("BudgetName")
    new_name = routine_change[stack]["Resources"][budget]["Properties"]["Budget"].get("BudgetName")
    named = old_name is not None and old_name == new_name
    flagged = [f for f in routine_check.findings if f.rule == FIXED_NAME and f.logical_id == budget]
    assert len(flagged) == int(named)


def test_this_change_deploys_over_what_the_repository_last_accepted(stacks, templates, cfg):
    # Given the dev stage as the base commit's snapshots record it
    base_ref = default_base()
    full_name = {s.stack_name.split("-")[-1]: s.stack_name for s in stacks.all()}
    recorded = templates_at(
        base_ref, str(SNAPSHOTS.relative_to(ROOT)), test_snapshots.test_stack_matches_snapshot.__name__
    )
    base = {full_name.get(short, short): template for short, template in recorded.items()}
    # When this working tree's dev stage is compared with it
    change = {full_name[short]: template.to_json() for short, template in templates.items()}
    result = check(base, change, cfg.region)
    # Then nothing would fail, lose data or orphan a resource (or it is acknowledged, with a reason)
    assert result.failing == [], f"upgrade check against {base_ref}:\n{result.text}"
