"""Settings of the cron workers, read from the environment the Cron stack sets."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from common.errors import ConfigurationError
from cron.sources import Source

DEFAULT_USER_AGENT = "HuntazeTrendsBot/1.0 (+https://huntaze.com/bot)"


@dataclass(frozen=True)
class CronSettings:
    stage: str
    trend_sources: tuple[Source, ...]
    trends_user_agent: str
    trends_top_n: int
    generation_model: str
    late_event_lookback: timedelta
    ingest_settle: timedelta
    alerts_topic_arn: str | None
    slack_webhook_secret: str | None
    dlq_urls: dict[str, str]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CronSettings:
        try:
            raw_sources = json.loads(env.get("TREND_SOURCES") or "[]")
            sources = tuple(Source.from_dict(s) for s in raw_sources)
            dlq_urls = json.loads(env.get("DLQ_URLS") or "{}")
            if not isinstance(dlq_urls, dict):
                raise ValueError("DLQ_URLS must be a JSON object")
            return cls(
                stage=env.get("STAGE", "dev"),
                trend_sources=sources,
                trends_user_agent=env.get("TRENDS_USER_AGENT") or DEFAULT_USER_AGENT,
                trends_top_n=int(env.get("TRENDS_TOP_N") or 20),
                generation_model=env.get("GENERATION_MODEL") or "DeepSeek-V3",
                late_event_lookback=timedelta(hours=int(env.get("LATE_EVENT_LOOKBACK_HOURS") or 48)),
                ingest_settle=timedelta(seconds=int(env.get("INGEST_SETTLE_SECONDS") or 60)),
                alerts_topic_arn=env.get("ALERTS_TOPIC_ARN") or None,
                slack_webhook_secret=env.get("SLACK_WEBHOOK_SECRET_NAME") or None,
                dlq_urls=dlq_urls,
            )
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"cron settings: {exc}") from exc


@functools.cache
def cron_settings() -> CronSettings:
    return CronSettings.from_env(os.environ)
