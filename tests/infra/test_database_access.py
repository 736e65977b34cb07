"""Every function that uses PostgreSQL logs in as its own role, and only migrate holds the master secret."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.db_roles import DB_ROLES, OPTIONAL_FUNCTIONS

# The dev stage builds every function but those it needs config for (the webhook notifier: tests/infra/test_webhooks_stack.py).
BUILT = {f: r for f, r in DB_ROLES.items() if f not in OPTIONAL_FUNCTIONS}


def _functions(templates) -> dict[str, dict[str, Any]]:
    """logical id -> properties of every Lambda function of the stage that has database settings."""
    found = {}
    for template in templates.values():
        for logical_id, fn in template.find_resources("AWS::Lambda::Function").items():
            env = fn["Properties"].get("Environment", {}).get("Variables", {})
            if "DB_USER" in env or "DB_SECRET_ARN" in env:
                found[logical_id] = fn["Properties"]
    return found


def _statements_of(templates, role_logical_id: str) -> list[dict[str, Any]]:
    statements = []
    for template in templates.values():
        for policy in template.find_resources("AWS::IAM::Policy").values():
            roles = policy["Properties"].get("Roles", [])
            if {"Ref": role_logical_id} in roles:
                statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def _role(props: dict[str, Any]) -> str:
    return props["Role"]["Fn::GetAtt"][0]


def test_each_role_is_used_by_exactly_one_function(templates):
    users = sorted(
        p["Environment"]["Variables"]["DB_USER"]
        for p in _functions(templates).values()
        if "DB_USER" in p["Environment"]["Variables"]
    )
    assert users == sorted(BUILT.values())


@pytest.mark.parametrize("role", sorted(BUILT.values()))
def test_a_function_may_connect_as_its_own_user_only(templates, role):
    # Given the function whose DB_USER is this role
    (props,) = [p for p in _functions(templates).values() if p["Environment"]["Variables"].get("DB_USER") == role]
    connects = [s for s in _statements_of(templates, _role(props)) if "rds-db:connect" in _actions(s)]
    # Then its only rds-db:connect grant ends in dbuser:<instance resource id>/<its role>
    assert len(connects) == 1
    resource = json.dumps(connects[0]["Resource"])
    assert f"/{role}" in resource and "dbuser:" in resource
    assert not any(f"/{other}" in resource for other in DB_ROLES.values() if other != role)
    # And it is told to verify nothing but IAM: no master secret in sight
    assert "DB_SECRET_ARN" not in props["Environment"]["Variables"]


def test_only_the_migrate_function_reads_the_master_secret(templates):
    readers = []
    for props in _functions(templates).values():
        statements = _statements_of(templates, _role(props))
        reads = [s for s in statements if "secretsmanager:GetSecretValue" in _actions(s)]
        if any("PostgresSecret" in json.dumps(s["Resource"]) for s in reads):
            readers.append(props["Handler"])
    assert readers == ["migrate.handler.lambda_handler"]
