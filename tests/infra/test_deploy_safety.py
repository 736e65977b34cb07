"""What CloudFormation only finds out when it runs: retries after a failed create, replacements, exports.

Create-only properties come from the CloudFormation resource schemas that
cfn-lint ships: a change to one replaces the resource, and CloudFormation
creates the replacement before it deletes the old one.
"""

from __future__ import annotations

import json
from functools import cache

import pytest
from aws_cdk.assertions import Template
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from tests.infra.conftest import synth_app

# Config changes a routine deploy makes: none may replace a resource under the same fixed name.
ROUTINE_CHANGES = {
    "budget thresholds": {"monitoring": {"budget_forecast_percent": 70, "budget_actual_percent": 90}},
    "budget amount": {"monitoring": {"monthly_budget_usd": 55}},
    "alert email": {"monitoring": {"alert_email": "oncall@huntaze.com"}},
    "nat patch window": {"network": {"nat_patch_schedule": "cron(0 3 ? * SAT *)"}},
    "log level": {"lambdas": {"log_level": "DEBUG"}},
}


@cache
def _create_only_paths(resource_type: str, region: str = "us-east-2") -> tuple[tuple[str, ...], ...]:
    """Create-only property paths of a resource type, e.g. ("Budget", "BudgetName")."""
    if not resource_type.startswith("AWS::"):
        return ()
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema
    return tuple(tuple(p.split("/")[2:]) for p in schema.get("createOnlyProperties", []))


def _create_only(resource_type: str) -> tuple[str, ...]:
    """Top-level create-only property names (those whose change replaces the resource as a whole)."""
    return tuple(path[0] for path in _create_only_paths(resource_type) if len(path) == 1)


def _at(props: dict, path: tuple[str, ...]) -> object:
    for key in path:
        props = props.get(key) if isinstance(props, dict) else None
    return props


def _name_of(resource_type: str, props: dict) -> object | None:
    """The resource's own fixed name: a create-only ``Name`` or ``<Noun>Name`` it is given, else None."""
    noun = resource_type.rsplit("::", 1)[-1]
    for key in ("Name", f"{noun}Name"):
        if key in _create_only(resource_type) and key in props:
            return props[key]
    if resource_type == "AWS::Budgets::Budget":
        return (props.get("Budget") or {}).get("BudgetName")
    return None


def _resources(templates: dict[str, Template]) -> dict[tuple[str, str], dict]:
    return {
        (stack, rid): r for stack, t in templates.items() for rid, r in (t.to_json().get("Resources") or {}).items()
    }


def _templates(stacks) -> dict[str, Template]:
    return {s.stack_name.split("-")[-1]: Template.from_stack(s) for s in stacks.all()}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_nothing_with_a_fixed_name_is_plain_retain(stage, templates, prod_templates):
    # A retained leftover of a failed first create keeps its name, and the retry then fails on it.
    resources = _resources(templates if stage == "dev" else prod_templates)
    named = {k: r for k, r in resources.items() if _name_of(r["Type"], r.get("Properties") or {}) is not None}
    assert len(named) > 10, "no fixed-name resource found: the check would pass vacuously"
    retained = sorted(
        f"{s}/{rid} ({r['Type']})" for (s, rid), r in named.items() if r.get("DeletionPolicy") == "Retain"
    )
    assert retained == []


@pytest.mark.parametrize("change", sorted(ROUTINE_CHANGES))
def test_no_routine_change_replaces_a_resource_under_the_same_fixed_name(change, templates):
    # Given dev as deployed, and dev after a routine config change
    before = _resources(templates)
    after = _resources(_templates(synth_app("dev", overrides=ROUTINE_CHANGES[change])[1]))
    collisions = []
    for key, old in before.items():
        new = after.get(key)
        if new is None:
            continue
        old_props, new_props = old.get("Properties") or {}, new.get("Properties") or {}
        name = _name_of(old["Type"], old_props)
        replaced = ["/".join(p) for p in _create_only_paths(old["Type"]) if _at(old_props, p) != _at(new_props, p)]
        # When a create-only property changes, the replacement is created first: it needs a new name.
        if replaced and name is not None and name == _name_of(new["Type"], new_props):
            collisions.append(f"{key[0]}/{key[1]}: {replaced}")
    assert collisions == []


def test_a_budget_threshold_change_is_a_replacement_under_a_new_name(templates):
    # The synthetic change the test above guards: it must really touch a create-only property.
    before = next(iter(templates["Monitoring"].find_resources("AWS::Budgets::Budget").values()))["Properties"]
    mon = synth_app("dev", overrides=ROUTINE_CHANGES["budget thresholds"])[1].monitoring
    after = next(iter(Template.from_stack(mon).find_resources("AWS::Budgets::Budget").values()))["Properties"]
    assert before["NotificationsWithSubscribers"] != after["NotificationsWithSubscribers"]
    assert before["Budget"]["BudgetName"] != after["Budget"]["BudgetName"]


def _deploy_time_parameters(template: dict) -> set[str]:
    """Parameters CloudFormation resolves again on every deploy (SSM lookups such as the latest AMI)."""
    return {k for k, p in (template.get("Parameters") or {}).items() if "SSM::Parameter" in p.get("Type", "")}


@pytest.mark.parametrize("nat_ami", ["at-launch", "latest"])
def test_no_export_depends_on_a_value_a_routine_deploy_replaces(nat_ami):
    # Given the app, also with the NAT following the latest AMI (a routine deploy replaces that instance)
    templates = {k: t.to_json() for k, t in _templates(synth_app("dev", {"network": {"nat_ami": nat_ami}})[1]).items()}
    exported: set[str] = set()
    for t in templates.values():
        for output in (t.get("Outputs") or {}).values():
            if "Export" in output:
                exported |= _refs(output["Value"])
    # Then no exported resource has a create-only property fed by a deploy-time parameter
    replaceable = {
        rid
        for t in templates.values()
        for rid, r in (t.get("Resources") or {}).items()
        if any(_refs((r.get("Properties") or {}).get(p)) & _deploy_time_parameters(t) for p in _create_only(r["Type"]))
    }
    if nat_ami == "latest":
        assert replaceable, "the latest-AMI NAT instance was not recognised: the check would pass vacuously"
    assert exported & replaceable == set()


def _refs(value: object) -> set[str]:
    text = json.dumps(value)
    found: set[str] = set()
    for marker in ('{"Ref": "', '{"Fn::GetAtt": ["'):
        for part in text.split(marker)[1:]:
            found.add(part.split('"', 1)[0])
    return found
