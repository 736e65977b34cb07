"""Stages are isolated: own bootstrap qualifier per account, one OIDC provider per account,
deploy roles that reach only their stage's bootstrap, no diff role reading uploads."""

from __future__ import annotations

import json
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

from stacks.config import ConfigError, load_stage_config

CONFIG: dict[str, Any] = json.loads((Path(__file__).resolve().parents[2] / "cdk.json").read_text())["context"]["config"]
ACCOUNT = "123456789012"


def _config(stages: dict[str, dict[str, Any]], stage: str = "dev"):
    config = json.loads(json.dumps(CONFIG))
    for name, overrides in stages.items():
        for section, values in overrides.items():
            if isinstance(values, dict):
                config["stages"][name].setdefault(section, {}).update(values)
            else:
                config["stages"][name][section] = values
    return load_stage_config(config, stage, environ={"CDK_DEFAULT_ACCOUNT": ACCOUNT})


def _arn(value: Any, account: str = ACCOUNT, region: str = "us-east-2") -> str:
    """An ARN from the template (Fn::Join over pseudo parameters) as the text AWS would see."""
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        value = sep.join(_arn(p, account, region) for p in parts)
    if isinstance(value, dict) and "Ref" in value:
        return {"AWS::Partition": "aws", "AWS::AccountId": account, "AWS::Region": region}[value["Ref"]]
    return value


def _bootstrap_role(qualifier: str, kind: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/cdk-{qualifier}-{kind}-{ACCOUNT}-us-east-2"


def test_the_shipped_stages_share_an_account_through_their_own_qualifiers():
    dev, prod = _config({}, "dev"), _config({}, "prod")
    assert dev.account == prod.account == ACCOUNT
    assert dev.deploy.cdk_bootstrap_qualifier != prod.deploy.cdk_bootstrap_qualifier
    assert [dev.deploy.create_oidc_provider, prod.deploy.create_oidc_provider] == [True, False]


def test_two_stages_of_one_account_on_one_qualifier_are_refused():
    with pytest.raises(ConfigError, match=r"stages\.prod\.deploy\.cdk_bootstrap_qualifier: 'hzdev' is also dev's"):
        _config({"prod": {"deploy": {"cdk_bootstrap_qualifier": "hzdev"}}})


@pytest.mark.parametrize(("dev_creates", "prod_creates"), [(True, True), (False, False)])
def test_one_account_needs_exactly_one_oidc_provider(dev_creates, prod_creates):
    with pytest.raises(ConfigError, match=r"create_oidc_provider: \d of the stages in account 123456789012"):
        _config(
            {
                "dev": {"deploy": {"create_oidc_provider": dev_creates}},
                "prod": {"deploy": {"create_oidc_provider": prod_creates}},
            }
        )


def test_stages_in_separate_accounts_each_create_their_provider_on_any_qualifier():
    cfg = _config(
        {
            "prod": {
                "account": "210987654321",
                "deploy": {"cdk_bootstrap_qualifier": "hzdev", "create_oidc_provider": True},
            }
        },
        "prod",
    )
    assert cfg.deploy.create_oidc_provider


def test_every_stack_deploys_through_its_stage_qualifier(templates, prod_templates):
    for stage_templates, qualifier in ((templates, "hzdev"), (prod_templates, "hzprod")):
        for name, template in stage_templates.items():
            parameter = template.to_json()["Parameters"]["BootstrapVersion"]["Default"]
            assert parameter == f"/cdk-bootstrap/{qualifier}/version", name


def _role_statement(template, role_name: str) -> dict[str, Any]:
    (role,) = [
        r["Properties"]
        for r in template.find_resources("AWS::IAM::Role").values()
        if r["Properties"]["RoleName"] == role_name
    ]
    (statement,) = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    return statement


def test_dev_deploy_and_diff_roles_reach_only_dev_bootstrap_roles(templates):
    deploy = _arn(_role_statement(templates["DeployAccess"], "huntaze-dev-github-deploy")["Resource"])
    diff = _arn(_role_statement(templates["DeployAccess"], "huntaze-dev-github-pr-diff")["Resource"])
    for kind in ("deploy-role", "file-publishing-role", "lookup-role"):
        assert fnmatch(_bootstrap_role("hzdev", kind), deploy)
        assert not fnmatch(_bootstrap_role("hzprod", kind), deploy)
    assert fnmatch(_bootstrap_role("hzdev", "lookup-role"), diff)
    assert not fnmatch(_bootstrap_role("hzdev", "deploy-role"), diff)
    assert not fnmatch(_bootstrap_role("hzprod", "lookup-role"), diff)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_no_lookup_or_diff_role_of_any_stage_reads_uploaded_objects(templates, prod_templates, stage):
    data = (templates if stage == "dev" else prod_templates)["Data"]
    statements = [
        s
        for p in data.find_resources("AWS::S3::BucketPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and "s3:GetObject" in s["Action"]
    ]
    (deny,) = statements
    assert deny["Principal"] == {"AWS": "*"} and "Uploads" in json.dumps(deny["Resource"])
    patterns = [_arn(p) for p in deny["Condition"]["ArnLike"]["aws:PrincipalArn"]]
    denied = [
        _bootstrap_role("hzdev", "lookup-role"),
        _bootstrap_role("hzprod", "lookup-role"),
        f"arn:aws:iam::{ACCOUNT}:role/huntaze-dev-github-pr-diff",
    ]
    for arn in denied:
        assert any(fnmatch(arn, p) for p in patterns), arn
    # The video worker's role still reads its uploads.
    worker = f"arn:aws:iam::{ACCOUNT}:role/Huntaze-Dev-Video-WorkerFunctionServiceRole1A2B3C4D-abc"
    assert not any(fnmatch(worker, p) for p in patterns)
