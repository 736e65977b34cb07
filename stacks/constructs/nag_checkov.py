"""checkov skips, written where checkov reads them: the resource's template metadata.

``acknowledge_checkov`` puts one check's skip, with its reason, on a resource
(``Metadata.checkov.skip``: ``[{id, comment}]``). ``CheckovBudgetChoices`` is
an aspect for the findings that follow from one decision across every resource
of a type (no customer-managed KMS keys, SQS-managed encryption, CDK's own
deploy-time handlers), so the reason is written once and lands on each resource.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import IConstruct

CHECKOV_METADATA_KEY = "checkov"

NO_CUSTOMER_KMS_KEY = (
    "Budget choice: no customer-managed KMS keys ($1/month each plus requests); the data is encrypted at rest "
    "with the AWS-managed key."
)
# CDK's own Lambda handlers: bucket notifications, auto-delete, triggers, default-SG restriction.
_CDK_HANDLER_MARKERS = ("CustomResourceProvider", "BucketNotificationsHandler")


def acknowledge_checkov(scope: IConstruct, reasons: Mapping[str, str]) -> None:
    """Skip checkov checks on ``scope``'s CloudFormation resource (its default child, or itself)."""
    resource = scope if isinstance(scope, cdk.CfnResource) else scope.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        raise ValueError(f"{scope.node.path} has no CloudFormation resource to carry checkov skips")
    existing = resource.get_metadata(CHECKOV_METADATA_KEY) or {}
    skips = {s["id"]: s["comment"] for s in existing.get("skip", [])}
    for check_id, reason in reasons.items():
        if len(reason.strip()) < 20:
            raise ValueError(f"checkov skip of {check_id} needs a real reason")
        skips[check_id] = reason
    resource.add_metadata(CHECKOV_METADATA_KEY, {"skip": [{"id": i, "comment": c} for i, c in sorted(skips.items())]})


def is_cdk_handler(node: IConstruct) -> bool:
    return any(marker in node.node.path for marker in _CDK_HANDLER_MARKERS)


@jsii.implements(cdk.IAspect)
class CheckovBudgetChoices:
    """The stage-wide decisions, acknowledged on every resource they touch."""

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, logs.CfnLogGroup):
            acknowledge_checkov(node, {"CKV_AWS_158": NO_CUSTOMER_KMS_KEY})
        elif isinstance(node, secretsmanager.CfnSecret):
            acknowledge_checkov(node, {"CKV_AWS_149": NO_CUSTOMER_KMS_KEY})
        elif isinstance(node, sqs.CfnQueue) and cdk.Stack.of(node).resolve(node.sqs_managed_sse_enabled):
            acknowledge_checkov(
                node,
                {
                    "CKV_AWS_27": "False positive: the queue is encrypted with SQS-managed keys "
                    "(SqsManagedSseEnabled), which this check does not recognise."
                },
            )
        elif isinstance(node, cdk.CfnResource) and node.cfn_resource_type == "AWS::Lambda::Function":
            self._function(node)
        elif isinstance(node, ec2.CfnInstance) and "NatInstance" in node.node.path:
            acknowledge_checkov(
                node,
                {
                    "CKV_AWS_88": "Budget choice: a NAT instance instead of a NAT gateway; translating the private "
                    "subnets' traffic to the internet needs a public IP."
                },
            )

    def _function(self, fn: cdk.CfnResource) -> None:
        reasons = {}
        if isinstance(fn, lambda_.CfnFunction) and fn.environment is not None:
            reasons["CKV_AWS_173"] = (
                "The environment holds names, endpoints and ARNs, never a secret (secrets are read from "
                f"Secrets Manager at run time). {NO_CUSTOMER_KMS_KEY}"
            )
        if is_cdk_handler(fn):
            reasons |= {
                "CKV_AWS_115": "CDK's deploy-time handler: CloudFormation invokes it a few times per deploy.",
                "CKV_AWS_116": "CDK's deploy-time handler: CloudFormation invokes it synchronously and fails the "
                "deploy on its error; a DLQ only serves asynchronous invocations.",
                "CKV_AWS_117": "CDK's deploy-time handler calls only AWS APIs; in the VPC it would need the NAT "
                "for nothing it reaches there.",
            }
        if reasons:
            acknowledge_checkov(fn, reasons)
