"""The scheduled workers: schedules, trend sources, alert rules and analytics events."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, IPvAnyNetwork, field_validator, model_validator

from stacks.config.base import Section
from stacks.config.functions import WorkerConfig


class ScheduleConfig(Section):
    """One EventBridge Scheduler schedule that puts the task's envelope on its queue."""

    expression: str
    timezone: str = "UTC"
    flexible_window_minutes: int = Field(0, ge=0, le=1440)
    enabled: bool = True
    # Scheduler's own retries of the SendMessage call, then the target DLQ.
    retry_attempts: int = Field(3, ge=0, le=185)
    max_event_age_minutes: int = Field(60, ge=1, le=1440)

    @field_validator("expression")
    @classmethod
    def _expression(cls, v: str) -> str:
        if not re.fullmatch(r"(rate|cron|at)\(.+\)", v.strip()):
            raise ValueError(f"{v!r} is not a rate(), cron() or at() expression")
        return v.strip()


class TrendSourceConfig(Section):
    """A public trend source: JSON (counts given, at one scale), RSS/Atom or server-rendered HTML (mentions counted).

    Pages that need JavaScript (real TikTok and Instagram pages) are not
    supported; see docs/trends.md.
    """

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    url: str = Field(pattern=r"^https?://\S+$")
    kind: Literal["json", "rss", "html"]
    timeout_seconds: float = Field(10.0, gt=0, le=60)
    # Polite spacing between two requests to the same host.
    min_interval_seconds: float = Field(1.0, ge=0, le=60)
    max_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    # JSON only: where the list is, which dotted fields hold name, count, type
    # and a sound's artist, the kind of a row without a type, what counts measure.
    items_path: str = "items"
    name_field: str = "name"
    count_field: str = "count"
    type_field: str = "type"
    artist_field: str | None = None
    default_type: Literal["hashtag", "sound", "topic"] | None = None
    count_scale: Literal["mentions", "views", "posts", "searches"] | None = None

    @model_validator(mode="after")
    def _json_needs_a_scale(self) -> TrendSourceConfig:
        if self.kind == "json" and self.count_scale is None:
            raise ValueError(f"trend source {self.name}: a json source needs count_scale")
        return self


class CronConfig(Section):
    trends: WorkerConfig = WorkerConfig(memory_mb=512, timeout_seconds=120)
    data: WorkerConfig = WorkerConfig(memory_mb=512, timeout_seconds=300)
    alerts: WorkerConfig = WorkerConfig(memory_mb=256, timeout_seconds=60)
    trends_schedule: ScheduleConfig = ScheduleConfig(expression="rate(6 hours)", flexible_window_minutes=15)
    data_schedule: ScheduleConfig = ScheduleConfig(expression="rate(15 minutes)")
    alerts_schedule: ScheduleConfig = ScheduleConfig(expression="rate(5 minutes)")
    # The sweeper (not a job task: see lambdas/cron/sweep_handler.py) re-sends jobs
    # queued this long untouched, and returns or fails jobs this long past their
    # lease. Both must outlast every job queue's visibility timeout, or the sweep
    # races SQS's own redelivery (harmless, but wasted work): checked at synth.
    sweeper: WorkerConfig = WorkerConfig(memory_mb=256, timeout_seconds=60)
    sweeper_schedule: ScheduleConfig = ScheduleConfig(expression="rate(5 minutes)")
    sweeper_queued_grace_seconds: int = Field(2400, ge=60)
    sweeper_lease_grace_seconds: int = Field(2400, ge=60)
    # Jobs re-sent per sweep at most; the rest wait for the next one.
    sweeper_batch: int = Field(100, ge=1, le=1000)
    trend_sources: tuple[TrendSourceConfig, ...] = ()
    trends_user_agent: str = "HuntazeTrendsBot/1.0 (+https://huntaze.com/bot)"
    trends_top_n: int = Field(20, ge=1, le=200)
    # IP networks trend fetches may reach besides public addresses: for local
    # runs only (deployed stages leave it empty). Metadata/link-local never.
    trends_allowed_networks: tuple[IPvAnyNetwork, ...] = ()
    late_event_lookback_hours: int = Field(48, ge=1)
    # Events ingested this recently may still sit in uncommitted transactions.
    ingest_settle_seconds: int = Field(60, ge=0, le=3600)
    # The most hours one incremental rollup run catches up (the rest waits for the next run).
    rollup_max_catchup_hours: int = Field(24, ge=1)

    @field_validator("trend_sources")
    @classmethod
    def _unique_names(cls, v: tuple[TrendSourceConfig, ...]) -> tuple[TrendSourceConfig, ...]:
        names = [s.name for s in v]
        if len(names) != len(set(names)):
            raise ValueError("trend source names must be unique")
        return v


class AlertsConfig(Section):
    """The alerts worker's rules as code (the operator scope that manages them is ``router.operator_scope``)."""

    # A file under lambdas/cron/rules/: validated at synth, shipped with the worker, applied by it.
    rules_file: str = Field("default.json", pattern=r"^[a-z0-9][a-z0-9_.-]*\.json$")


class EventsConfig(Section):
    """The analytics events content_events carries: what POST /v1/events accepts and alert rules may name."""

    # An event of another type is rejected by the API; a rule naming another is a synth error.
    types: tuple[str, ...] = Field(("view", "like", "share", "comment"), min_length=1)
    # The JWT claim listing the account ids a token may write events for (the
    # operator scope, for the app's backend, may write any account's).
    accounts_claim: str = Field("accounts", min_length=1)
    # The imports worker: NDJSON (optionally gzip) files under events/ in the uploads bucket.
    imports: WorkerConfig = WorkerConfig(memory_mb=512, timeout_seconds=300)
    # A file over this size is refused unread; reading stops past this much text
    # (what a gzip file inflates to) or this many lines. Bigger imports are split.
    import_max_object_bytes: int = Field(256 * 1024 * 1024, ge=1)
    import_max_text_bytes: int = Field(1024 * 1024 * 1024, ge=1)
    import_max_lines: int = Field(2_000_000, ge=1)
    # A longer line is rejected alone (and skipped without being held in memory).
    import_max_line_bytes: int = Field(64 * 1024, ge=1)
    # Events written per transaction (the progress saved between batches).
    import_batch: int = Field(1000, ge=1)
    # Work stops this long before the Lambda timeout, to save the progress and hand the message back.
    import_time_reserve_seconds: float = Field(15.0, gt=0)

    @field_validator("types")
    @classmethod
    def _type_names(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [t for t in v if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", t)]
        if bad or len(set(v)) != len(v):
            raise ValueError(f"event types must be unique lowercase names; got {list(v)}")
        return v
