"""What CloudFormation replaces: the create-only properties of each resource type.

The facts come from the resource provider schemas that cfn-lint ships (its
bundled ``data/schemas``), so they follow cfn-lint's pinned version instead of
a list kept by hand. ``createOnlyProperties`` always replace;
``conditionalCreateOnlyProperties`` may replace or only interrupt, as
``cdk diff``'s "may be replaced".
"""

from __future__ import annotations

import re
from functools import cache

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER, ResourceNotFoundError

# Types whose replacement loses data: a new, empty one takes over.
STATEFUL_TYPES = frozenset(
    {
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::ElastiCache::CacheCluster",
        "AWS::ElastiCache::ServerlessCache",
        "AWS::S3::Bucket",
        "AWS::SQS::Queue",
        "AWS::SecretsManager::Secret",
        "AWS::DynamoDB::Table",
        "AWS::EFS::FileSystem",
        "AWS::EC2::Volume",
        "AWS::KMS::Key",
        "AWS::Kinesis::Stream",
        "AWS::Cognito::UserPool",
        "AWS::Logs::LogGroup",
    }
)
# DeletionPolicy values that leave the resource behind when the template drops it.
RETAINING_POLICIES = frozenset({"Retain", "RetainExceptOnCreate", "Snapshot"})
_PROPERTIES = "/properties/"
_NAME_LIKE = re.compile(r"(\w*?)(Name|Identifier|Id)")


@cache
def _schema(region: str, resource_type: str) -> dict:
    try:
        return PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema
    except ResourceNotFoundError:
        return {}


def _paths(pointers: list[str] | None) -> tuple[str, ...]:
    """``/properties/Budget/BudgetName`` -> ``Budget/BudgetName`` (``*`` kept: any item)."""
    return tuple(p.removeprefix(_PROPERTIES) for p in pointers or () if p.startswith(_PROPERTIES))


def create_only(region: str, resource_type: str) -> tuple[str, ...]:
    """Property paths whose change always replaces a resource of this type."""
    return _paths(_schema(region, resource_type).get("createOnlyProperties"))


def conditionally_create_only(region: str, resource_type: str) -> tuple[str, ...]:
    """Property paths whose change may replace (or only interrupt) a resource of this type."""
    return _paths(_schema(region, resource_type).get("conditionalCreateOnlyProperties"))


def name_paths(region: str, resource_type: str) -> tuple[str, ...]:
    """The create-only properties that name the resource itself (unique in the account).

    A writable primary identifier (BucketName, DBInstanceIdentifier,
    LogGroupName) is one; so is a create-only ``Name`` or ``<end of the type
    name>Name|Id|Identifier`` (QueueName, Budget/BudgetName, a SecurityGroup's
    GroupName). KeyName or DBSubnetGroupName name other resources: not counted.
    """
    schema = _schema(region, resource_type)
    read_only = set(_paths(schema.get("readOnlyProperties")))
    identifiers = {p for p in _paths(schema.get("primaryIdentifier")) if p not in read_only}
    kind = resource_type.rsplit("::", 1)[-1]
    return tuple(p for p in create_only(region, resource_type) if p in identifiers or _names_own_kind(p, kind))


def _names_own_kind(path: str, kind: str) -> bool:
    match = _NAME_LIKE.fullmatch(path.rsplit("/", 1)[-1])
    return bool(match) and kind.endswith(match.group(1))
