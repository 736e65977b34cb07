"""An SSM SecureString parameter the operator creates, and least-privilege reads of it.

CloudFormation cannot create SecureString parameters, so the stack only names
one (docs/deploy.md's first-deploy checklist creates it with
``aws ssm put-parameter --type SecureString``). Encrypted with SSM's
AWS-managed key (``alias/aws/ssm``), it costs nothing, where a Secrets
Manager secret costs $0.40 a month: the right store for a value issued
outside AWS that AWS never rotates (the Azure AI key, the Slack webhook).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.constructs.nag import acknowledge

# How cdk-nag names the KMS statement's resource (any key of the account).
_ANY_KEY_FINDING = "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]"


class SecureParameter:
    """The parameter ``name`` (a path such as ``/huntaze-dev/azure/api-key``)."""

    def __init__(self, name: str) -> None:
        if not name.startswith("/"):
            raise ValueError(f"a parameter path starts with '/': {name!r}")
        self.name = name

    @property
    def arn(self) -> str:
        # A path-style name already starts with '/': the ARN is "parameter" + name.
        return f"arn:{cdk.Aws.PARTITION}:ssm:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:parameter{self.name}"

    def grant_read(self, grantee: iam.IGrantable) -> None:
        """ssm:GetParameter on this parameter, and kms:Decrypt only as SSM decrypting it.

        The aws/ssm key's id is not known at synth time, so the KMS statement names
        any key of the account but holds two conditions: the call comes through SSM
        (kms:ViaService), and the encryption context is this parameter's ARN, which
        SSM sets on every SecureString it decrypts (kms:EncryptionContext:PARAMETER_ARN).
        """
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[self.arn])
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[f"arn:{cdk.Aws.PARTITION}:kms:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:key/*"],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"ssm.{cdk.Aws.REGION}.amazonaws.com",
                        "kms:EncryptionContext:PARAMETER_ARN": self.arn,
                    }
                },
            )
        )
        if isinstance(grantee, Construct):
            acknowledge(
                grantee,
                {
                    _ANY_KEY_FINDING: "kms:Decrypt holds only when SSM decrypts one of the function's own "
                    "parameters (kms:ViaService and the PARAMETER_ARN encryption context); the aws/ssm key's id "
                    "is unknown at synth time."
                },
            )
