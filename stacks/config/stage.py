"""A stage's whole config and how it is loaded from cdk.json (merged, validated, cross-checked)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError, field_validator, model_validator

from common import names
from stacks.config.api import AzureConfig, RouterConfig
from stacks.config.base import DEFAULT_REGION, ConfigError, RetentionDays, Section
from stacks.config.cron import AlertsConfig, CronConfig, EventsConfig
from stacks.config.functions import LambdaConfig, VideoConfig
from stacks.config.infra import DataConfig, NetworkConfig
from stacks.config.operations import DeployConfig, MonitoringConfig, WorkloadProfile
from stacks.config.webhooks import WebhooksConfig


class StageConfig(Section):
    stage: str
    account: str | None = None
    region: str = DEFAULT_REGION
    # prod keeps its data: RETAIN + termination protection + deletion protection.
    retain_data: bool = False
    log_retention_days: RetentionDays = 14
    network: NetworkConfig = NetworkConfig()
    data: DataConfig = DataConfig()
    lambdas: LambdaConfig = LambdaConfig()
    video: VideoConfig = VideoConfig()
    cron: CronConfig = CronConfig()
    alerts: AlertsConfig = AlertsConfig()
    events: EventsConfig = EventsConfig()
    azure: AzureConfig = AzureConfig()
    router: RouterConfig = RouterConfig()
    webhooks: WebhooksConfig = WebhooksConfig()
    monitoring: MonitoringConfig
    workload: WorkloadProfile = WorkloadProfile()
    deploy: DeployConfig = DeployConfig()

    @field_validator("account")
    @classmethod
    def _account(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"\d{12}", v):
            raise ValueError(f"{v!r} is not a 12-digit AWS account id")
        return v

    @model_validator(mode="after")
    def _azs(self) -> StageConfig:
        if self.network.availability_zones is None:
            azs = (f"{self.region}a", f"{self.region}b")
            object.__setattr__(self, "network", self.network.model_copy(update={"availability_zones": azs}))
        elif len(self.network.availability_zones) != 2:
            raise ValueError("network.availability_zones: exactly 2 are needed")
        return self

    @model_validator(mode="after")
    def _pinned_nat_ami(self) -> StageConfig:
        if self.retain_data and self.network.nat_mode == "instance" and self.network.nat_ami == "latest":
            raise ValueError(
                "network.nat_ami: a stage that keeps its data must not follow the latest AMI on every deploy "
                "(a new AMI replaces the NAT instance); use 'at-launch' or an ami- id"
            )
        return self

    @property
    def prefix(self) -> str:
        return names.prefix(self.stage)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` merged in, nested mappings key by key; neither input changes."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _section_defaults(model: type[BaseModel]) -> dict[str, Any]:
    """The defaults of every nested section of ``model``, as plain data."""
    return {
        name: field.default.model_dump(mode="json")
        for name, field in model.model_fields.items()
        if isinstance(field.default, BaseModel)
    }


def _first_error(err: ValidationError, stage: str) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(root)"
    msg = first["msg"].removeprefix("Value error, ")
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"config stages.{stage}.{key}: {msg}{more}"


def load_stage_config(
    config: Mapping[str, Any] | None,
    stage: str | None,
    environ: Mapping[str, str] = os.environ,
) -> StageConfig:
    """Build the validated config of one stage from the ``config`` context."""
    if not isinstance(config, Mapping) or not isinstance(config.get("stages"), Mapping):
        raise ConfigError("config: cdk.json context needs 'config' with a 'stages' block")
    stages = config["stages"]
    stage = stage or "dev"
    if stage not in stages:
        raise ConfigError(f"config stage: unknown stage {stage!r}; known stages: {', '.join(sorted(stages))}")
    raw = _raw_stage(config, stage, environ)
    try:
        cfg = StageConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_first_error(err, stage)) from None
    _check_shared_accounts(config, environ)
    return cfg


def _raw_stage(config: Mapping[str, Any], stage: str, environ: Mapping[str, str]) -> dict[str, Any]:
    # Section defaults first, so that overriding one key of a section (say
    # video.worker.batch_size) keeps the section's other defaults instead of
    # falling back to the bare field defaults of the section's class.
    raw = deep_merge(
        deep_merge(_section_defaults(StageConfig), config.get("defaults", {})), config["stages"][stage] or {}
    )
    raw["stage"] = stage
    raw.setdefault("account", environ.get("CDK_DEFAULT_ACCOUNT") or None)
    raw.setdefault("region", environ.get("CDK_DEFAULT_REGION") or DEFAULT_REGION)
    return raw


def _check_shared_accounts(config: Mapping[str, Any], environ: Mapping[str, str]) -> None:
    """Stages in one account (an unset account is the credentials' one, so shared)
    each deploy through their own bootstrap qualifier, and exactly one of them
    creates the account's GitHub OIDC provider."""
    by_account: dict[str, list[tuple[str, DeployConfig]]] = {}
    for name in sorted(config["stages"]):
        raw = _raw_stage(config, name, environ)
        try:
            deploy = DeployConfig.model_validate(raw.get("deploy", {}))
        except ValidationError as err:
            raise ConfigError(_first_error(err, f"{name}.deploy")) from None
        by_account.setdefault(raw["account"] or "(the deploying credentials' account)", []).append((name, deploy))
    for account, members in by_account.items():
        seen: dict[str, str] = {}
        for name, deploy in members:
            other = seen.setdefault(deploy.cdk_bootstrap_qualifier, name)
            if other != name:
                raise ConfigError(
                    f"config stages.{name}.deploy.cdk_bootstrap_qualifier: {deploy.cdk_bootstrap_qualifier!r} is "
                    f"also {other}'s, in the same account {account}; each stage needs its own CDK bootstrap "
                    "qualifier, or one stage's deploy role could deploy the other"
                )
        creators = [name for name, deploy in members if deploy.create_oidc_provider]
        if len(creators) != 1:
            names = ", ".join(name for name, _ in members)
            raise ConfigError(
                f"config stages.*.deploy.create_oidc_provider: {len(creators)} of the stages in account {account} "
                f"({names}) create its GitHub OIDC provider ({', '.join(creators) or 'none'}); exactly one must"
            )
