"""Settings of the cron workers, one reader per task, from the environment the Cron stack sets.

Each task's worker gets only its own variables, and every value and its default live in the
stage config (``cron``, ``alerts`` sections); a missing or bad variable is a
`ConfigurationError` naming it (read through common.settings.Env). The trend sources are
parsed only by the trends worker: reading them needs `cron.sources` and its XML/HTML
parsers, which the data and alerts workers never load.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from common.errors import ConfigurationError
from common.settings import Env

if TYPE_CHECKING:
    from cron.sources import Source


@dataclass(frozen=True)
class TrendsSettings:
    trends_user_agent: str
    trends_top_n: int
    # Networks trend fetches may reach besides public addresses (local runs and tests only).
    trends_allowed_networks: tuple[str, ...]
    generation_model: str
    # TREND_SOURCES, checked to be a JSON list; its items are read by `trend_sources()`.
    trend_sources_raw: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TrendsSettings:
        e = Env(env)
        return cls(
            trends_user_agent=e.text("TRENDS_USER_AGENT"),
            trends_top_n=e.integer("TRENDS_TOP_N", minimum=1),
            trends_allowed_networks=_allowed_networks(e),
            generation_model=e.text("GENERATION_MODEL"),
            trend_sources_raw=json.dumps(e.json("TREND_SOURCES", list, "a JSON list of sources")),
        )

    def trend_sources(self) -> tuple[Source, ...]:
        """The configured trend sources (imports the page parsers)."""
        return _parse_sources(self.trend_sources_raw)


@dataclass(frozen=True)
class DataSettings:
    late_event_lookback: timedelta
    ingest_settle: timedelta
    rollup_max_catchup: timedelta

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DataSettings:
        e = Env(env)
        return cls(
            late_event_lookback=timedelta(hours=e.integer("LATE_EVENT_LOOKBACK_HOURS", minimum=1)),
            ingest_settle=timedelta(seconds=e.integer("INGEST_SETTLE_SECONDS", minimum=0)),
            rollup_max_catchup=timedelta(hours=e.integer("ROLLUP_MAX_CATCHUP_HOURS", minimum=1)),
        )


@dataclass(frozen=True)
class AlertsSettings:
    stage: str
    alerts_topic_arn: str
    slack_webhook_parameter: str
    dlq_urls: dict[str, str]
    # Its rules file (a name under lambdas/cron/rules/), where repository runbook
    # paths resolve (may be blank). The ai_spend rule's monthly budget is
    # common.settings.AiBudgetSettings's.
    alert_rules_file: str
    runbook_base_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AlertsSettings:
        e = Env(env)
        return cls(
            stage=e.text("STAGE"),
            alerts_topic_arn=e.text("ALERTS_TOPIC_ARN"),
            slack_webhook_parameter=e.text("SLACK_WEBHOOK_PARAMETER"),
            dlq_urls=_dlq_urls(e),
            alert_rules_file=e.text("ALERT_RULES_FILE"),
            runbook_base_url=e.raw("RUNBOOK_BASE_URL"),
        )


@functools.cache
def _parse_sources(raw: str) -> tuple[Source, ...]:
    from cron.sources import Source

    try:
        return tuple(Source.from_dict(s) for s in json.loads(raw))
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"TREND_SOURCES: {exc}") from None


def _allowed_networks(e: Env) -> tuple[str, ...]:
    from cron.trend_addresses import allowed_networks

    networks = e.json("TRENDS_ALLOWED_NETWORKS", list, "a JSON list of IP networks")
    try:
        allowed_networks(networks)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"TRENDS_ALLOWED_NETWORKS: {exc}") from None
    return tuple(networks)


def _dlq_urls(e: Env) -> dict[str, str]:
    urls = e.json("DLQ_URLS", dict, "a JSON object of task -> queue URL")
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in urls.items()):
        raise ConfigurationError("DLQ_URLS must map each task to a queue URL")
    return urls


@functools.cache
def trends_settings() -> TrendsSettings:
    return TrendsSettings.from_env(os.environ)


@functools.cache
def data_settings() -> DataSettings:
    return DataSettings.from_env(os.environ)


@functools.cache
def alerts_settings() -> AlertsSettings:
    return AlertsSettings.from_env(os.environ)


def reset() -> None:
    """Forget cached settings (tests that change the environment)."""
    for cached in (trends_settings, data_settings, alerts_settings, _parse_sources):
        cached.cache_clear()
