"""Settings of the cron workers, read from the environment the Cron stack sets.

Every value is checked when the settings are read and a bad one is refused
with a `ConfigurationError` naming its variable (as common.settings does).
The trend sources are parsed only by the trends worker: reading them needs
`cron.sources` and its XML/HTML parsers, which the data and alerts workers
never load.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from common.errors import ConfigurationError
from common.events import DEFAULT_LOOKBACK_HOURS
from common.settings import env_int, env_optional

if TYPE_CHECKING:
    from cron.sources import Source

DEFAULT_USER_AGENT = "HuntazeTrendsBot/1.0 (+https://huntaze.com/bot)"


@dataclass(frozen=True)
class CronSettings:
    stage: str
    trends_user_agent: str
    trends_top_n: int
    # Networks trend fetches may reach besides public addresses (local runs and tests only).
    trends_allowed_networks: tuple[str, ...]
    generation_model: str
    late_event_lookback: timedelta
    ingest_settle: timedelta
    rollup_max_catchup: timedelta
    alerts_topic_arn: str | None
    slack_webhook_parameter: str | None
    dlq_urls: dict[str, str]
    # The alerts worker: its rules file (a name under lambdas/cron/rules/) and where
    # repository runbook paths resolve.
    alert_rules_file: str = "default.json"
    runbook_base_url: str = ""
    # TREND_SOURCES, checked to be a JSON list; its items are read by `trend_sources()`.
    trend_sources_raw: str = "[]"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CronSettings:
        return cls(
            stage=env_optional(env, "STAGE") or "dev",
            trends_user_agent=env_optional(env, "TRENDS_USER_AGENT") or DEFAULT_USER_AGENT,
            trends_top_n=env_int(env, "TRENDS_TOP_N", default=20, minimum=1),
            trends_allowed_networks=_allowed_networks(env),
            generation_model=env_optional(env, "GENERATION_MODEL") or "DeepSeek-V3",
            late_event_lookback=timedelta(
                hours=env_int(env, "LATE_EVENT_LOOKBACK_HOURS", default=DEFAULT_LOOKBACK_HOURS, minimum=1)
            ),
            ingest_settle=timedelta(seconds=env_int(env, "INGEST_SETTLE_SECONDS", default=60, minimum=0)),
            rollup_max_catchup=timedelta(hours=env_int(env, "ROLLUP_MAX_CATCHUP_HOURS", default=24, minimum=1)),
            alerts_topic_arn=env_optional(env, "ALERTS_TOPIC_ARN"),
            slack_webhook_parameter=env_optional(env, "SLACK_WEBHOOK_PARAMETER"),
            dlq_urls=_dlq_urls(env),
            alert_rules_file=env_optional(env, "ALERT_RULES_FILE") or "default.json",
            runbook_base_url=env_optional(env, "RUNBOOK_BASE_URL") or "",
            trend_sources_raw=json.dumps(_json(env, "TREND_SOURCES", list, "a JSON list of sources")),
        )

    def trend_sources(self) -> tuple[Source, ...]:
        """The configured trend sources (imports the page parsers)."""
        return _parse_sources(self.trend_sources_raw)


@functools.cache
def _parse_sources(raw: str) -> tuple[Source, ...]:
    from cron.sources import Source

    try:
        return tuple(Source.from_dict(s) for s in json.loads(raw))
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"TREND_SOURCES: {exc}") from None


def _allowed_networks(env: Mapping[str, str]) -> tuple[str, ...]:
    from cron.trend_addresses import allowed_networks

    networks = _json(env, "TRENDS_ALLOWED_NETWORKS", list, "a JSON list of IP networks")
    try:
        allowed_networks(networks)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"TRENDS_ALLOWED_NETWORKS: {exc}") from None
    return tuple(networks)


def _dlq_urls(env: Mapping[str, str]) -> dict[str, str]:
    urls = _json(env, "DLQ_URLS", dict, "a JSON object of task -> queue URL")
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in urls.items()):
        raise ConfigurationError("DLQ_URLS must map each task to a queue URL")
    return urls


def _json(env: Mapping[str, str], name: str, kind: type, what: str) -> Any:
    raw = env_optional(env, name)
    if raw is None:
        return kind()
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} is not valid JSON ({exc})") from None
    if not isinstance(value, kind):
        raise ConfigurationError(f"{name} must be {what}")
    return value


@functools.cache
def cron_settings() -> CronSettings:
    return CronSettings.from_env(os.environ)


def reset() -> None:
    """Forget cached settings (tests that change the environment)."""
    cron_settings.cache_clear()
    _parse_sources.cache_clear()
