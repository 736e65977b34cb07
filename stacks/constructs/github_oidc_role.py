"""An IAM role that GitHub Actions jobs assume through OIDC, and nothing else can."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from constructs import Construct

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
# The audience aws-actions/configure-aws-credentials asks GitHub for.
STS_AUDIENCE = "sts.amazonaws.com"


class GitHubOidcRole(Construct):
    """A role whose trust is GitHub's OIDC provider, its audience and an exact list of ``sub`` claims.

    The ``sub`` claims are compared with StringEquals, never StringLike: a
    pattern such as ``repo:owner/name:*`` would let any branch, pull request
    or environment of the repository in.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        provider_arn: str,
        subjects: Sequence[str],
        role_name: str,
        description: str,
        assumable_role_arns: Sequence[str],
        actions: Sequence[str] = ("sts:AssumeRole",),
    ) -> None:
        super().__init__(scope, construct_id)
        if not subjects:
            raise ValueError(f"{role_name}: a GitHub OIDC role needs at least one sub claim to trust")
        principal = iam.OpenIdConnectPrincipal(
            iam.OidcProviderNative.from_oidc_provider_arn(self, "Provider", provider_arn),
            conditions={
                "StringEquals": {
                    f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                    f"{GITHUB_OIDC_HOST}:sub": list(subjects),
                }
            },
        )
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            description=description,
            assumed_by=principal,
            # Its only power is to become a CDK bootstrap role, which holds the real permissions.
            inline_policies={
                "AssumeCdkBootstrapRoles": iam.PolicyDocument(
                    statements=[iam.PolicyStatement(actions=list(actions), resources=list(assumable_role_arns))]
                )
            },
        )
