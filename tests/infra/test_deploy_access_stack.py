"""DeployAccess stack: who GitHub may let in, and what they may do once in.

Bad config tried: a repository without owner, a branch or environment with a
wildcard or a colon, an upper-case bootstrap qualifier.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint

from stacks.config import ConfigError, load_stage_config
from stacks.deploy_access import DeployAccessStack

REPO = "huntaze/huntaze-workers"
CONFIG: dict[str, Any] = json.loads((Path(__file__).resolve().parents[2] / "cdk.json").read_text())["context"]["config"]
GITHUB = "token.actions.githubusercontent.com"


def _config(stage: str, overrides: dict[str, Any] | None = None, account: str | None = None):
    config = json.loads(json.dumps(CONFIG))
    for section, values in (overrides or {}).items():
        config["stages"][stage].setdefault(section, {}).update(values)
    environ = {"CDK_DEFAULT_ACCOUNT": account} if account else {}
    return load_stage_config(config, stage, environ=environ)


def _stack(stage: str, overrides: dict[str, Any] | None = None, account: str | None = None) -> DeployAccessStack:
    """The stack alone: its variants need no Network/Data/... synth."""
    cfg = _config(stage, overrides, account)
    return DeployAccessStack(
        cdk.App(), "DeployAccess", cfg=cfg, env=cdk.Environment(account=cfg.account, region=cfg.region)
    )


def _roles(template: Template) -> dict[str, dict]:
    """IAM roles keyed by RoleName."""
    return {r["Properties"]["RoleName"]: r["Properties"] for r in template.find_resources("AWS::IAM::Role").values()}


def _trust(role: dict) -> dict:
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    return statement


def _permissions(role: dict) -> list[dict]:
    return [s for policy in role.get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]


def _arn_text(value: Any) -> str:
    """An Fn::Join ARN as text, pseudo parameters as ${Name}."""
    if isinstance(value, str):
        return value
    parts = value["Fn::Join"][1]
    return "".join(p if isinstance(p, str) else "${" + p["Ref"] + "}" for p in parts)


# --- the OIDC provider ---------------------------------------------------------


def test_stage_gets_githubs_oidc_provider_for_sts(templates):
    # Given the dev stack / Then one native provider for GitHub, audience STS
    templates["DeployAccess"].resource_count_is("AWS::IAM::OIDCProvider", 1)
    templates["DeployAccess"].has_resource_properties(
        "AWS::IAM::OIDCProvider", {"Url": f"https://{GITHUB}", "ClientIdList": ["sts.amazonaws.com"]}
    )
    # And no custom-resource Lambda (the older OpenIdConnectProvider needs one)
    templates["DeployAccess"].resource_count_is("AWS::Lambda::Function", 0)


def test_second_stage_in_the_account_reuses_the_provider():
    # Given a stage that must not create the account's one GitHub provider
    template = Template.from_stack(_stack("prod", {"deploy": {"create_oidc_provider": False}}, account="123456789012"))
    # Then it creates none and trusts the existing one by its ARN
    template.resource_count_is("AWS::IAM::OIDCProvider", 0)
    role = _roles(template)["huntaze-prod-github-deploy"]
    federated = _arn_text(_trust(role)["Principal"]["Federated"])
    assert federated == f"arn:${{AWS::Partition}}:iam::123456789012:oidc-provider/{GITHUB}"


# --- the deploy role: trust --------------------------------------------------------


def test_dev_deploy_role_trusts_only_the_dev_environment_and_the_main_branch(templates):
    role = _roles(templates["DeployAccess"])["huntaze-dev-github-deploy"]
    trust = _trust(role)
    assert trust["Effect"] == "Allow"
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Principal"] == {"Federated": {"Ref": _provider_id(templates)}}
    # Exact claims only: no StringLike, so no pattern can widen them.
    assert trust["Condition"] == {
        "StringEquals": {
            f"{GITHUB}:aud": "sts.amazonaws.com",
            f"{GITHUB}:sub": [f"repo:{REPO}:environment:dev", f"repo:{REPO}:ref:refs/heads/main"],
        }
    }


def _provider_id(templates) -> str:
    (logical_id,) = templates["DeployAccess"].find_resources("AWS::IAM::OIDCProvider")
    return logical_id


def test_prod_deploy_role_trusts_only_the_prod_environment(prod_templates):
    # Given prod (no trust_branch) / Then a job on main without the approved environment cannot deploy it
    role = _roles(prod_templates["DeployAccess"])["huntaze-prod-github-deploy"]
    assert _trust(role)["Condition"] == {
        "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com", f"{GITHUB}:sub": [f"repo:{REPO}:environment:prod"]}
    }


def test_repository_branch_and_environment_come_from_config():
    # Given another repository, branch and environment name
    stack = _stack(
        "dev",
        {
            "deploy": {
                "github_repository": "acme/workers",
                "github_branch": "release",
                "github_environment": "development",
            }
        },
    )
    role = _roles(Template.from_stack(stack))["huntaze-dev-github-deploy"]
    # Then the trust names exactly those
    assert _trust(role)["Condition"]["StringEquals"][f"{GITHUB}:sub"] == [
        "repo:acme/workers:environment:development",
        "repo:acme/workers:ref:refs/heads/release",
    ]


# --- the deploy role: permissions ------------------------------------------------


def test_deploy_role_may_only_assume_the_cdk_bootstrap_roles_of_its_account_and_region(templates):
    role = _roles(templates["DeployAccess"])["huntaze-dev-github-deploy"]
    # Then no managed policy (so no AdministratorAccess) and one statement
    assert "ManagedPolicyArns" not in role
    (statement,) = _permissions(role)
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert _arn_text(statement["Resource"]) == (
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hzdev-*-${AWS::AccountId}-us-east-2"
    )


def test_bootstrap_qualifier_comes_from_config():
    stack = _stack("dev", {"deploy": {"cdk_bootstrap_qualifier": "huntaze1"}}, account="123456789012")
    (statement,) = _permissions(_roles(Template.from_stack(stack))["huntaze-dev-github-deploy"])
    assert (
        _arn_text(statement["Resource"])
        == "arn:${AWS::Partition}:iam::123456789012:role/cdk-huntaze1-*-123456789012-us-east-2"
    )


# --- the pull-request diff role --------------------------------------------------


def test_dev_diff_role_trusts_pull_requests_and_only_reads_through_the_lookup_role(templates):
    role = _roles(templates["DeployAccess"])["huntaze-dev-github-pr-diff"]
    assert _trust(role)["Condition"] == {
        "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com", f"{GITHUB}:sub": [f"repo:{REPO}:pull_request"]}
    }
    assert "ManagedPolicyArns" not in role
    (statement,) = _permissions(role)
    assert statement["Action"] == "sts:AssumeRole"
    assert _arn_text(statement["Resource"]) == (
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hzdev-lookup-role-${AWS::AccountId}-us-east-2"
    )


def test_prod_has_no_pull_request_role(prod_templates):
    # Given prod (pull_request_diff off) / Then only the deploy role exists: pull requests cannot read prod
    assert set(_roles(prod_templates["DeployAccess"])) == {"huntaze-prod-github-deploy"}
    assert "DiffRoleArn" not in prod_templates["DeployAccess"].to_json().get("Outputs", {})


def test_role_arns_are_outputs_for_the_github_variables(templates):
    outputs = templates["DeployAccess"].to_json()["Outputs"]
    assert {"DeployRoleArn", "DiffRoleArn"} <= set(outputs)


# --- config errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("deploy", "key"),
    [
        ({"github_repository": "huntaze-workers"}, "deploy.github_repository"),
        ({"github_branch": "release/*"}, "deploy.github_branch"),
        ({"github_environment": "prod:evil"}, "deploy.github_environment"),
        ({"github_branch": ""}, "deploy.github_branch"),
        ({"cdk_bootstrap_qualifier": "Huntaze!"}, "deploy.cdk_bootstrap_qualifier"),
        ({"trust_branches": True}, "deploy.trust_branches"),
    ],
)
def test_bad_deploy_config_is_refused_naming_the_key(deploy, key):
    with pytest.raises(ConfigError, match=rf"stages\.dev\.{key}"):
        _config("dev", {"deploy": deploy})


# --- nag and cfn-lint on the variants the lead's whole-app tests do not synthesize ------


VARIANTS = {
    "prod, account known": ("prod", None, "123456789012"),
    "dev, account known": ("dev", None, "123456789012"),
    "prod, provider reused": ("prod", {"deploy": {"create_oidc_provider": False}}, None),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_variant_is_nag_and_cfn_lint_clean(variant):
    stage, overrides, account = VARIANTS[variant]
    stack = _stack(stage, overrides, account)
    report = AwsSolutionsChecks().validate_scope(stack)
    assert [v.rule_name for v in report.violations if v.severity == "error"] == []
    matches = lint(json.dumps(Template.from_stack(stack).to_json()), config=ManualArgs(regions=["us-east-2"]))
    assert [f"{m.rule.id} {m.message}" for m in matches if m.rule.severity == "error"] == []
