"""cdk-nag acknowledgments: every one names the rule and carries its reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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


BASIC_EXECUTION_ROLE = (
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]"
)


def acknowledge_cdk_provider(
    scope: IConstruct, child_id: str, what: str, extra: Mapping[str, str] | None = None
) -> None:
    """Acknowledge the findings on a Lambda provider that CDK itself adds (``child_id`` under ``scope``)."""
    provider = scope.node.try_find_child(child_id)
    if provider is None:
        return
    acknowledge(
        provider,
        {
            BASIC_EXECUTION_ROLE: f"CDK's {what} writes only its own logs, with the basic execution policy.",
            "AwsSolutions-L1": f"CDK pins the runtime of its {what}; it runs only during deploys.",
            "Serverless-LambdaLatestVersion": f"CDK pins the runtime of its {what}; it runs only during deploys.",
            "Serverless-LambdaDLQ": f"CloudFormation invokes CDK's {what} synchronously and fails the deploy on "
            "its error; a DLQ only serves asynchronous invocations.",
            **(extra or {}),
        },
    )


def summary(stacks: Sequence[cdk.Stack]) -> str:
    """One line per stack: unacknowledged nag errors and warnings of each pack, for `make synth`."""
    from cdk_nag import AwsSolutionsChecks, ServerlessChecks

    lines = []
    for stack in stacks:
        for pack in (AwsSolutionsChecks, ServerlessChecks):
            report = pack().validate_scope(stack)
            errors = sum(1 for v in report.violations if v.severity == "error")
            warnings = [v.rule_name for v in report.violations if v.severity != "error"]
            detail = f" ({', '.join(sorted(set(warnings)))})" if warnings else ""
            lines.append(f"  {stack.stack_name} {pack.__name__}: {errors} errors, {len(warnings)} warnings{detail}")
    return "cdk-nag AwsSolutions and Serverless (unacknowledged):\n" + "\n".join(lines)
