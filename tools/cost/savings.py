"""What the app's shape avoids paying, found in the templates: each secret it keeps elsewhere.

A value in an SSM SecureString parameter (AWS-managed key) and a cache that
authenticates with IAM instead of an AUTH token would each otherwise be a
Secrets Manager secret. The cost report's comparison table prints the saving.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def avoided_secrets(templates: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per secret the stage does without (sorted, distinct)."""
    found: set[str] = set()
    for template in templates.values():
        for resource in (template.get("Resources") or {}).values():
            kind, props = resource.get("Type"), resource.get("Properties") or {}
            if kind == "AWS::ElastiCache::UserGroup":
                found.add(f"cache IAM auth (user group {props.get('UserGroupId')}) instead of an AUTH-token secret")
            elif kind == "AWS::IAM::Policy":
                for name in _read_parameters(props.get("PolicyDocument") or {}):
                    found.add(f"SSM SecureString {name} instead of a secret")
    return sorted(found)


def _read_parameters(document: Mapping[str, Any]) -> Iterator[str]:
    for statement in document.get("Statement") or []:
        actions = statement.get("Action")
        if "ssm:GetParameter" not in (actions if isinstance(actions, list) else [actions]):
            continue
        resources = statement.get("Resource")
        for arn in resources if isinstance(resources, list) else [resources]:
            tail = _last_literal(arn)
            if tail and ":parameter/" in tail:
                yield tail.split(":parameter", 1)[1]


def _last_literal(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and "Fn::Join" in value:
        parts = value["Fn::Join"][1]
        return parts[-1] if parts and isinstance(parts[-1], str) else None
    return None
