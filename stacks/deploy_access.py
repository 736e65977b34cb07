"""Deploy-access stack: GitHub's OIDC identity provider and the roles GitHub Actions assume.

No long-lived keys: a workflow job trades its GitHub OIDC token for a short
session of the deploy role, whose only permission is to assume the CDK
bootstrap roles of this account and region (``cdk deploy`` does the rest
through them). Which jobs may do so is the trust policy: this repository's
environment of the stage (where approvals and branch rules live) and,
where config allows it, plain runs on the deploy branch.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from common import names
from stacks.config import StageConfig
from stacks.constructs.github_oidc_role import GITHUB_OIDC_HOST, GITHUB_OIDC_URL, STS_AUDIENCE, GitHubOidcRole
from stacks.constructs.nag import acknowledge

DIFF_ROLE_SUFFIX = "-github-pr-diff"


def deploy_subjects(cfg: StageConfig) -> list[str]:
    """The GitHub ``sub`` claims allowed to deploy this stage."""
    repo = cfg.deploy.github_repository
    subjects = [f"repo:{repo}:environment:{cfg.deploy.github_environment or cfg.stage}"]
    if cfg.deploy.trust_branch:
        subjects.append(f"repo:{repo}:ref:refs/heads/{cfg.deploy.github_branch}")
    return subjects


def read_only_deploy_role_arns(stack: cdk.Stack) -> list[str]:
    """The roles a pull-request diff reads an account through, for every stage:
    the CDK lookup role of any bootstrap qualifier, and the diff roles themselves."""
    role = f"arn:{stack.partition}:iam::{stack.account}:role"
    return [f"{role}/cdk-*-lookup-role-*", f"{role}/*{DIFF_ROLE_SUFFIX}"]


def pull_request_subjects(cfg: StageConfig) -> list[str]:
    """GitHub puts this claim only in tokens of pull_request runs; forks get no token at all."""
    return [f"repo:{cfg.deploy.github_repository}:pull_request"]


class DeployAccessStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, cfg: StageConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        deploy = cfg.deploy

        if deploy.create_oidc_provider:
            provider = iam.OidcProviderNative(
                self, "GitHubOidcProvider", url=GITHUB_OIDC_URL, client_ids=[STS_AUDIENCE]
            )
            provider_arn = provider.oidc_provider_arn
        else:
            provider_arn = f"arn:{self.partition}:iam::{self.account}:oidc-provider/{GITHUB_OIDC_HOST}"

        bootstrap_role_prefix = f"arn:{self.partition}:iam::{self.account}:role/cdk-{deploy.cdk_bootstrap_qualifier}"
        bootstrap_role_suffix = f"{self.account}-{self.region}"

        deployer = GitHubOidcRole(
            self,
            "Deploy",
            provider_arn=provider_arn,
            subjects=deploy_subjects(cfg),
            role_name=names.role(cfg.prefix, "github-deploy"),
            description=f"GitHub Actions deploys of {cfg.stage} from {deploy.github_repository}",
            # deploy, file-publishing, image-publishing and lookup roles of this account and region.
            assumable_role_arns=[f"{bootstrap_role_prefix}-*-{bootstrap_role_suffix}"],
            # Newer CDK CLIs tag the sessions they open on the bootstrap roles.
            actions=("sts:AssumeRole", "sts:TagSession"),
        )
        self.deploy_role = deployer.role
        acknowledge(
            deployer.role,
            {
                f"AwsSolutions-IAM5[Resource::{self._nag_arn(bootstrap_role_prefix)}-*-{self._nag_arn(bootstrap_role_suffix)}]": "The wildcard stands only for the CDK bootstrap role kind "
                "(deploy, file-publishing, image-publishing, lookup) of this account and region; "
                "cdk deploy needs each of them and they hold the real permissions.",
            },
        )
        cdk.CfnOutput(
            self, "DeployRoleArn", value=self.deploy_role.role_arn, description="role-to-assume of the deploy jobs"
        )

        self.diff_role: iam.Role | None = None
        if deploy.pull_request_diff:
            self.diff_role = GitHubOidcRole(
                self,
                "PullRequestDiff",
                provider_arn=provider_arn,
                subjects=pull_request_subjects(cfg),
                role_name=f"{cfg.prefix}{DIFF_ROLE_SUFFIX}",
                description=f"cdk diff of {cfg.stage} for pull requests of {deploy.github_repository} (read only)",
                # The lookup role is read-only (ReadOnlyAccess, no kms:Decrypt): enough for `cdk diff`.
                assumable_role_arns=[f"{bootstrap_role_prefix}-lookup-role-{bootstrap_role_suffix}"],
            ).role
            cdk.CfnOutput(
                self,
                "DiffRoleArn",
                value=self.diff_role.role_arn,
                description="role-to-assume of the pull-request diff job",
            )

    def _nag_arn(self, value: str) -> str:
        """``value`` as cdk-nag names it in a finding: pseudo parameters as ``<AWS::Name>``."""
        for token, name in (
            (self.partition, "AWS::Partition"),
            (self.account, "AWS::AccountId"),
            (self.region, "AWS::Region"),
        ):
            if cdk.Token.is_unresolved(token):
                value = value.replace(token, f"<{name}>")
        return value
