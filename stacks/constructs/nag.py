"""cdk-nag acknowledgments: every one names the rule and carries its reason."""

from __future__ import annotations

from typing import Mapping

import aws_cdk as cdk
from constructs import IConstruct


def acknowledge(scope: IConstruct, reasons: Mapping[str, str]) -> None:
    """Acknowledge nag rules on ``scope`` and everything below it.

    Ids with a finding (``AwsSolutions-IAM5[Resource::arn:...:*]``) hold more
    than one ``::``, which ``Validations.acknowledge`` would parse as a plugin
    namespace; they go into the acknowledged-rules metadata directly, which is
    exactly what cdk-nag reads.
    """
    for rule_id, reason in reasons.items():
        if not reason or len(reason) < 20:
            raise ValueError(f"acknowledgment of {rule_id} needs a real reason")
        if "::" in rule_id:
            scope.node.add_metadata(cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY, {rule_id: reason})
        else:
            cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))
