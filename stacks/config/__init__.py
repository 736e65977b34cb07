"""Typed stage configuration: the one place every setting of the app is named.

The values live in ``cdk.json`` under ``context.config``: a ``defaults`` block
and one block per stage that overrides it. ``load_stage_config`` merges the
two, validates the result with pydantic (unknown keys are errors, so a typo
cannot silently fall back to a default) and raises ``ConfigError`` with one
message that names the offending key. Nothing here talks to AWS: synth needs
no credentials and makes no lookups.

One module per concern: ``base`` (shared types), ``infra`` (network, data),
``functions`` (Lambda, workers, video), ``cron`` (schedules, trends, alerts,
events), ``api`` (router, Azure AI), ``webhooks`` (completion webhooks), ``operations`` (monitoring, cost, deploy)
and ``stage`` (the whole stage and its loading). Import from ``stacks.config``.
"""

from stacks.config.api import AzureConfig, RouterConfig
from stacks.config.base import DEFAULT_REGION, ConfigError, RetentionDays
from stacks.config.cron import AlertsConfig, CronConfig, EventsConfig, ScheduleConfig, TrendSourceConfig
from stacks.config.functions import POWERTOOLS_LAYER_RELEASES, LambdaConfig, VideoConfig, WorkerConfig
from stacks.config.infra import DataConfig, NetworkConfig
from stacks.config.operations import AiCalls, DeployConfig, MonitoringConfig, WorkloadProfile
from stacks.config.stage import StageConfig, deep_merge, load_stage_config
from stacks.config.webhooks import JOB_EVENTS, WebhookEndpointConfig, WebhooksConfig

__all__ = [
    "DEFAULT_REGION",
    "JOB_EVENTS",
    "POWERTOOLS_LAYER_RELEASES",
    "AiCalls",
    "AlertsConfig",
    "AzureConfig",
    "ConfigError",
    "CronConfig",
    "DataConfig",
    "DeployConfig",
    "EventsConfig",
    "LambdaConfig",
    "MonitoringConfig",
    "NetworkConfig",
    "RetentionDays",
    "RouterConfig",
    "ScheduleConfig",
    "StageConfig",
    "TrendSourceConfig",
    "VideoConfig",
    "WebhookEndpointConfig",
    "WebhooksConfig",
    "WorkerConfig",
    "WorkloadProfile",
    "deep_merge",
    "load_stage_config",
]
