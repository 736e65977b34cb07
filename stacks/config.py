"""Typed stage configuration: the one place every setting of the app is named.

The values live in ``cdk.json`` under ``context.config``: a ``defaults`` block
and one block per stage that overrides it. ``load_stage_config`` merges the
two, validates the result with pydantic (unknown keys are errors, so a typo
cannot silently fall back to a default) and raises ``ConfigError`` with one
message that names the offending key. Nothing here talks to AWS: synth needs
no credentials and makes no lookups.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    ValidationError,
    field_validator,
    model_validator,
)

from common import names
from stacks.constructs.log_retention import SUPPORTED_RETENTION_DAYS

DEFAULT_REGION = "us-east-2"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def _check_retention(days: int) -> int:
    if days not in SUPPORTED_RETENTION_DAYS:
        raise ValueError(f"{days} is not a CloudWatch Logs retention ({sorted(SUPPORTED_RETENTION_DAYS)})")
    return days


RetentionDays = Annotated[int, AfterValidator(_check_retention)]


class ConfigError(ValueError):
    """A missing or invalid setting; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NetworkConfig(_Section):
    cidr: str = "10.40.0.0/16"
    # Explicit AZs keep synth free of context lookups (no credentials needed).
    availability_zones: tuple[str, ...] | None = None
    nat_mode: Literal["instance", "gateway"] = "instance"
    nat_instance_type: str = "t4g.nano"
    # The NAT instance's AMI (arm64 Amazon Linux 2023). ImageId is create-only,
    # so an AMI that changes between deploys replaces the instance (egress drops,
    # the public IP changes). "at-launch" (the default) names the AL2023 SSM
    # parameter in the template and EC2 resolves it when it launches the
    # instance: the newest AMI on first create, and a template that never
    # changes, so routine deploys keep the instance (SSM patches it in place).
    # "latest" resolves the parameter on every deploy (a new AMI replaces the
    # instance); an "ami-..." id pins one image of one region. A stage that
    # keeps its data (prod) refuses "latest".
    nat_ami: str = Field("at-launch", pattern=r"^(at-launch|latest|ami-[0-9a-f]{8,17})$")
    # When SSM State Manager runs AWS-RunPatchBaseline (install, reboot if
    # needed: about a minute without egress); None leaves patching to a person.
    nat_patch_schedule: str | None = Field("cron(0 9 ? * SUN *)", pattern=r"^(cron|rate)\(.+\)$")
    # One NAT is the budget choice; prod may run one per AZ for HA.
    nat_count: int = Field(1, ge=1, le=2)
    flow_log_retention_days: RetentionDays = 30


class DataConfig(_Section):
    db_instance_class: str = "t4g.micro"
    db_allocated_storage_gb: int = Field(20, ge=20, le=1000)
    db_max_allocated_storage_gb: int = Field(50, ge=20, le=1000)
    # Only majors in RDS standard support: 11-13 are paid Extended Support.
    db_engine_major: Literal["16", "17", "18"] = "17"
    db_name: str = "huntaze"
    db_backup_retention_days: int = Field(7, ge=1, le=35)
    cache_node_type: str = "cache.t4g.micro"
    cache_engine_version: str = "8.0"
    uploads_expire_days: int = Field(30, ge=1)
    uploads_cors_origins: tuple[str, ...] = ()
    access_logs_expire_days: int = Field(90, ge=1)
    # Connections kept out of the functions' budget (stacks/connection_budget.py):
    # RDS's own superuser slots (rds.rds_superuser_reserved_connections and
    # superuser_reserved_connections, 5 together), the migrate function and an
    # operator's psql session.
    db_connection_reserve: int = Field(10, ge=0)


# Layer version of AWSLambdaPowertoolsPythonV3-python313-arm64 -> the Powertools
# release it holds. The tests run on the aws-lambda-powertools pinned in
# requirements-dev.txt, so the deployed layer must hold that same release
# (tests/infra/test_powertools_layer.py checks the pin against this table).
# Issue 18 item 7: the tests are pinned to the release a layer version is shown to hold.
# Evidence (read offline from aws-powertools/powertools-lambda-python):
# - commit 0219b401d6a97e222cb26ade10456f8626a716d3: docs/includes/_layer_homepage_arm64.md lists
#   arn:aws:lambda:us-east-2:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:25 (every
#   region, every Python), and aws_lambda_powertools/shared/version.py in the same tree says 3.22.0.
#   Each release's "docs(layer): update layer version number" change sets both together, e.g.
#   https://github.com/aws-powertools/powertools-lambda-python/pull/5869 (v3.4.1 -> layer 6, 2025-01-14);
#   also #5426 (v3.2.0 -> 3, 2024-10-22), #5785 (v3.4.0 -> 5, 2024-12-23).
# - layer 27 (the version configured before): docs/index.md moves from :18 to :27 in
#   https://github.com/aws-powertools/powertools-lambda-python/pull/7757 (index.md lags the regional
#   tables), and schubergphilis/terraform-aws-mcaf-securityhub-findings-manager#91 (2026-06-24) calls
#   :27 the latest V3 layer (an earlier note here dated 3.37.0, the pin before, to 2026-10; not
#   re-checked). So 27 holds a release after 3.22.0; which one, and which layer holds 3.37.0, no
#   source read offline says.
# The lambda tests (router, ops, notify, cron and video handlers, common) pass on 3.22.0.
# To move up: `aws lambda get-layer-version-by-arn --arn <arn>:<n>` (its Description names the
# release), then change this table, cdk.json and requirements-dev.txt together.
POWERTOOLS_LAYER_RELEASES: dict[int, str] = {25: "3.22.0"}


class LambdaConfig(_Section):
    # The AWS-managed Powertools layer (python313, arm64); bump together with the
    # pinned aws-lambda-powertools in requirements-dev.txt and POWERTOOLS_LAYER_RELEASES.
    powertools_layer_account: str = "017000801446"
    powertools_layer_version: int = Field(25, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("powertools_layer_version")
    @classmethod
    def _known_layer(cls, v: int) -> int:
        if v not in POWERTOOLS_LAYER_RELEASES:
            known = ", ".join(f"{k} (Powertools {r})" for k, r in sorted(POWERTOOLS_LAYER_RELEASES.items()))
            raise ValueError(f"layer version {v} is not in POWERTOOLS_LAYER_RELEASES (known: {known})")
        return v

    @property
    def powertools_release(self) -> str:
        """The aws-lambda-powertools release the configured layer holds."""
        return POWERTOOLS_LAYER_RELEASES[self.powertools_layer_version]


class WorkerConfig(_Section):
    """Settings of one queue-fed worker (queue, DLQ, function, event source)."""

    memory_mb: int = Field(512, ge=128, le=10240)
    timeout_seconds: int = Field(60, ge=1, le=900)
    ephemeral_storage_mb: int = Field(512, ge=512, le=10240)
    batch_size: int = Field(1, ge=1, le=10)
    max_batching_window_seconds: int = Field(0, ge=0, le=300)
    # Caps the pollers (and so DB connections); SQS's minimum is 2.
    max_concurrency: int = Field(2, ge=2, le=1000)
    max_receive_count: int = Field(3, ge=1, le=1000)


class VideoConfig(_Section):
    # 512 MB: the cheapest size that keeps a 3-minute clip within the time budget
    # (bench/bench_unit_cost.py, docs/performance/unit-cost.md); videos go to /tmp, not memory.
    worker: WorkerConfig = WorkerConfig(memory_mb=512, timeout_seconds=300, ephemeral_storage_mb=2048)
    max_bytes: int = Field(500 * 1024 * 1024, ge=1)
    max_duration_seconds: float = Field(180.0, gt=0)
    sample_fps: float = Field(1.0, gt=0)
    max_sampled_frames: int = Field(180, ge=1)
    frames_for_model: int = Field(6, ge=1, le=20)
    # The worker stops this long before the function timeout and hands unfinished messages back.
    time_reserve_seconds: float = Field(10.0, ge=1)


class ScheduleConfig(_Section):
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


class TrendSourceConfig(_Section):
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


class CronConfig(_Section):
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

    @field_validator("trend_sources")
    @classmethod
    def _unique_names(cls, v: tuple[TrendSourceConfig, ...]) -> tuple[TrendSourceConfig, ...]:
        names = [s.name for s in v]
        if len(names) != len(set(names)):
            raise ValueError("trend source names must be unique")
        return v


class AlertsConfig(_Section):
    """The alerts worker's rules as code (the operator scope that manages them is ``router.operator_scope``)."""

    # A file under lambdas/cron/rules/: validated at synth, shipped with the worker, applied by it.
    rules_file: str = Field("default.json", pattern=r"^[a-z0-9][a-z0-9_.-]*\.json$")


class EventsConfig(_Section):
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

    @field_validator("types")
    @classmethod
    def _type_names(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [t for t in v if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", t)]
        if bad or len(set(v)) != len(v):
            raise ValueError(f"event types must be unique lowercase names; got {list(v)}")
        return v


class AzureConfig(_Section):
    endpoint: str = "https://huntaze-ai.services.ai.azure.com"
    api_version: str = "2024-05-01-preview"
    # type -> deployed model name; "default" answers every other type.
    models: dict[str, str] = {
        "reasoning": "DeepSeek-R1",
        "generation": "DeepSeek-V3",
        "default": "Phi-4-multimodal-instruct",
    }
    # Request types that are accepted and answered by the "default" model.
    default_types: tuple[str, ...] = ("vision", "chat")
    # AI spend in USD, priced by lambdas/common/ai_prices.json. Every model call
    # (the router's AI route, video analyses, trends summaries) reserves its worst
    # case against the stage's day and its caller's day: over either, the router
    # answers 429 and a worker retries the job the next UTC day. The alert checker's
    # ai_spend rule compares the month's spend with monthly_budget_usd.
    daily_budget_usd: float = Field(2.0, gt=0)
    caller_daily_budget_usd: float = Field(0.5, gt=0)
    monthly_budget_usd: float = Field(30.0, gt=0)

    @field_validator("models")
    @classmethod
    def _has_default(cls, v: dict[str, str]) -> dict[str, str]:
        if "default" not in v:
            raise ValueError("needs a 'default' model")
        return v


class RouterConfig(_Section):
    memory_mb: int = Field(512, ge=128, le=10240)
    timeout_seconds: int = Field(29, ge=1, le=29)
    jwt_issuer: str = "https://auth.huntaze.com/"
    jwt_audience: tuple[str, ...] = ("huntaze-api",)
    throttle_rate: float = Field(20, gt=0)
    throttle_burst: int = Field(40, ge=1)
    cors_origins: tuple[str, ...] = ()
    cache_ttl_seconds: int = Field(3600, ge=1)
    max_prompt_chars: int = Field(32_000, ge=1)
    # Lambda's synchronous payload limit is 6 MB; images ride inside the JSON body.
    max_body_bytes: int = Field(4_000_000, ge=1024, le=6_000_000)
    max_images: int = Field(4, ge=0, le=20)
    max_output_tokens: int = Field(4096, ge=1)
    # Kept clear of the HTTP API's 30 s integration limit so an answer (even a 504) gets out.
    ai_deadline_seconds: float = Field(25.0, gt=0, le=28)
    # Caps the router's containers, so its database connections (one each) and its
    # share of the account's concurrency; stacks/connection_budget.py checks the sum.
    reserved_concurrency: int = Field(20, ge=1)
    upload_url_ttl_seconds: int = Field(900, ge=60, le=3600)
    upload_content_types: tuple[str, ...] = ("video/mp4", "video/quicktime", "video/webm")
    max_idempotency_key_chars: int = Field(128, ge=8, le=512)
    # A caller whose JWT claim `admin_claim` holds `admin_claim_value` (e.g. scope
    # "huntaze/admin") sees every job, including those no caller owns
    # (scheduled, S3-direct). None: nobody does; those jobs are 404 through the API.
    admin_claim: str = Field("scope", min_length=1)
    admin_claim_value: str | None = Field(None, min_length=1)
    # The OAuth scope (JWT `scope` claim) of operators: only they queue the
    # scheduled tasks (trends, data, alerts) through POST /v1/jobs, and a route
    # that is operator-only as a whole requires it at API Gateway too.
    operator_scope: str = Field("huntaze/operator", pattern=r"^[\x21\x23-\x5b\x5d-\x7e]+$")

    @model_validator(mode="after")
    def _burst_covers_rate(self) -> RouterConfig:
        if self.throttle_burst < self.throttle_rate:
            raise ValueError("throttle_burst must be at least throttle_rate")
        return self


JOB_EVENTS = ("job.succeeded", "job.failed")
# Standard Webhooks' schedule after the first attempt: about a day and a half in all.
WEBHOOK_RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)
# SQS's longest visibility timeout: one wait between attempts can be no longer.
MAX_WEBHOOK_DELAY_SECONDS = 43_200
# The notifier's own work around its posts (database, secrets, SQS) within its function timeout.
WEBHOOK_TIME_MARGIN_SECONDS = 10


class WebhookEndpointConfig(_Section):
    """One receiver of completion webhooks; its signing secret is the Secrets Manager secret
    ``<prefix>/webhooks/<name>`` (generated at deploy; the receiver is given its value)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    # https only: a deployed stage never posts in clear text (the local system's receiver is its own setting).
    url: str = Field(pattern=r"^https://[^\s/?#@]+(/\S*)?$", max_length=2000)
    events: tuple[Literal["job.succeeded", "job.failed"], ...] = Field(JOB_EVENTS, min_length=1)


class WebhooksConfig(_Section):
    """Completion webhooks (Standard Webhooks): where job.succeeded / job.failed go, and how they are retried."""

    endpoints: tuple[WebhookEndpointConfig, ...] = ()
    worker: WorkerConfig = WorkerConfig(memory_mb=256, timeout_seconds=60, batch_size=1, max_receive_count=8)
    # Seconds a message waits after each failed delivery (the last one repeats).
    retry_delays_seconds: tuple[int, ...] = Field(WEBHOOK_RETRY_DELAYS, min_length=1)
    timeout_seconds: float = Field(15.0, gt=0, le=30)

    @field_validator("endpoints")
    @classmethod
    def _unique_names(cls, v: tuple[WebhookEndpointConfig, ...]) -> tuple[WebhookEndpointConfig, ...]:
        names = [e.name for e in v]
        if len(names) != len(set(names)):
            raise ValueError("webhook endpoint names must be unique")
        return v

    @field_validator("retry_delays_seconds")
    @classmethod
    def _delays(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        bad = [d for d in v if not 0 <= d <= MAX_WEBHOOK_DELAY_SECONDS]
        if bad:
            raise ValueError(
                f"each delay must be 0 to {MAX_WEBHOOK_DELAY_SECONDS} s (SQS's longest visibility); got {bad}"
            )
        return v

    @model_validator(mode="after")
    def _every_delay_is_used(self) -> WebhooksConfig:
        if self.worker.max_receive_count < len(self.retry_delays_seconds) + 1:
            raise ValueError(
                f"worker.max_receive_count ({self.worker.max_receive_count}) must be at least one more than "
                f"retry_delays_seconds ({len(self.retry_delays_seconds)} delays): the first attempt plus one per delay"
            )
        return self

    @model_validator(mode="after")
    def _posts_fit_the_timeout(self) -> WebhooksConfig:
        # Every message of a batch may wait the full timeout at every endpoint; a function that
        # times out first records none of those attempts and loses the back-off.
        worst = self.worker.batch_size * len(self.endpoints) * self.timeout_seconds + WEBHOOK_TIME_MARGIN_SECONDS
        if worst > self.worker.timeout_seconds:
            raise ValueError(
                f"worker.timeout_seconds ({self.worker.timeout_seconds}) must cover batch_size "
                f"({self.worker.batch_size}) x endpoints ({len(self.endpoints)}) x timeout_seconds "
                f"({self.timeout_seconds:g}) + {WEBHOOK_TIME_MARGIN_SECONDS} s"
            )
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.endpoints)


class MonitoringConfig(_Section):
    alert_email: str
    # The SSM SecureString parameter holding the webhook URL; None means the app's
    # convention, "/<prefix>/slack/webhook" (see slack_parameter_name()).
    slack_webhook_parameter: str | None = Field(None, pattern=r"^/[\w./-]+$")
    # A small forwarder Lambda posts each alert to the Slack webhook.
    slack_forwarder: bool = True
    monthly_budget_usd: float
    # "account": every cost of the account; "stage_tag": only resources tagged
    # stage=<stage> (needs the tag activated as a cost-allocation tag first).
    budget_scope: Literal["account", "stage_tag"] = "account"
    budget_forecast_percent: float = Field(80, gt=0)
    budget_actual_percent: float = Field(100, gt=0)
    # A queue's oldest message may legitimately wait one visibility timeout
    # (a retry); the alarm uses whichever of the two is longer.
    queue_age_alarm_seconds: int = Field(900, ge=60)
    function_duration_alarm_ratio: float = Field(0.8, gt=0, le=1)
    api_5xx_per_5min: int = Field(5, ge=1)
    api_latency_p95_ms: int = Field(10_000, ge=1)
    rds_cpu_percent: float = Field(80, gt=0, le=100)
    rds_free_storage_ratio: float = Field(0.1, gt=0, lt=1)
    rds_connections_ratio: float = Field(0.8, gt=0, le=1)
    # RDS sets max_connections to LEAST(DBInstanceClassMemory/9531392, 5000), and
    # DBInstanceClassMemory is the class's memory minus what the OS and RDS's own
    # processes keep. AWS does not publish that reserve; this is an estimate (it
    # gives db.t4g.micro ~79, in line with the ~80 people report from `SHOW
    # max_connections`). A class measured after deploy goes in rds_max_connections
    # (instance class -> value) and wins over the estimate.
    rds_memory_reserve_mib: int = Field(300, ge=0)
    rds_max_connections: dict[str, int] = {}
    cache_memory_percent: float = Field(80, gt=0, le=100)
    cache_cpu_percent: float = Field(80, gt=0, le=100)
    # The ops Lambda (operator CLI) holds a database connection per container; capped
    # so the connection budget can count it.
    ops_reserved_concurrency: int = Field(2, ge=1)
    # What the stage's fixed monthly cost (after the free-tier credits its
    # workload.free_tiers allows) must stay under, below the budget that also
    # pays for usage; tests/infra/test_cost_budget.py holds the stage to it.
    fixed_cost_target_usd: float | None = Field(None, gt=0)

    @field_validator("alert_email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not _EMAIL.match(v):
            raise ValueError(f"{v!r} is not an email address")
        return v

    @field_validator("monthly_budget_usd")
    @classmethod
    def _positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("must be greater than 0")
        return v

    def slack_parameter_name(self, prefix: str) -> str:
        return self.slack_webhook_parameter or f"/{prefix}/slack/webhook"


class AiCalls(_Section):
    """One kind of model call in the workload: how many a month and the tokens of one (tools/cost prices them)."""

    # None: derived (video: one per video; trends: one per scheduled run).
    per_month: float | None = Field(None, ge=0)
    prompt_tokens: int = Field(ge=0)
    images: int = Field(0, ge=0)
    # Input tokens one image costs (Phi-4-multimodal's dynamic-HD crops of the image's size).
    image_tokens: int = Field(0, ge=0)
    # Output tokens, reasoning included (DeepSeek-R1's chain of thought is billed as output).
    answer_tokens: int = Field(ge=0)


class WorkloadProfile(_Section):
    """What a month of use looks like, for the cost report (tools/cost)."""

    videos_per_month: int = Field(3000, ge=0)
    video_seconds_avg: float = Field(45, ge=0)
    video_mb_avg: float = Field(40, ge=0)
    # Worker time per second of video (download, decode, sample) plus the model call.
    video_work_seconds_per_video_second: float = Field(0.5, ge=0)
    ai_call_seconds_avg: float = Field(8, ge=0)
    api_calls_per_month: int = Field(300_000, ge=0)
    api_duration_ms_avg: float = Field(1500, ge=0)
    # Seconds one scheduled run of each cron task takes (task -> seconds).
    scheduled_run_seconds: dict[str, float] = {"trends": 30, "data": 5, "alerts": 3}
    alert_notifications_per_month: int = Field(30, ge=0)
    # One signed POST of a completion webhook, answered (the notifier waits for it).
    webhook_post_seconds_avg: float = Field(0.3, ge=0)
    deploys_per_month: int = Field(20, ge=0)
    log_gb_per_month: float = Field(1.0, ge=0)
    nat_gb_per_month: float = Field(5.0, ge=0)
    # Lambda's SQS pollers long-poll every queue even when it is idle: a fixed cost.
    sqs_idle_receives_per_queue_month: int = Field(650_000, ge=0)
    # The lasting free tiers (10 alarms, 3 dashboards, SQS 1M requests, Lambda
    # 400k GB-s, ...) are per account, not per stage. "account": this stage is
    # credited with them (it is alone in its account, or the one that takes
    # them); "none": another stage of the same account already takes them.
    free_tiers: Literal["account", "none"] = "account"
    # Azure AI calls a month by kind: "route:<type>" (POST /v1/ai/route, the type's model), "video" (one
    # analysis per video, the vision model), "trends" (one summary per scheduled run, the generation model).
    # Prompt sizes of video and trends are the app's own prompts measured in UTF-8 bytes / 4 (docs/cost.md);
    # a 512 px frame is 2 dynamic-HD crops of 448 px plus the global view, 256 tokens each (~800 with
    # separators). The route mix and its sizes are estimates: no benchmark measures them yet.
    ai_calls: dict[str, AiCalls] = {
        "route:reasoning": AiCalls(per_month=1000, prompt_tokens=300, answer_tokens=1500),
        "route:generation": AiCalls(per_month=3000, prompt_tokens=300, answer_tokens=400),
        "route:vision": AiCalls(per_month=1000, prompt_tokens=100, images=1, image_tokens=800, answer_tokens=200),
        "route:chat": AiCalls(per_month=3000, prompt_tokens=300, answer_tokens=300),
        "video": AiCalls(prompt_tokens=200, images=6, image_tokens=800, answer_tokens=250),
        "trends": AiCalls(prompt_tokens=1050, answer_tokens=200),
    }


class DeployConfig(_Section):
    """Who may deploy this stage from GitHub Actions (the DeployAccess stack)."""

    github_repository: str = "huntaze/huntaze-workers"
    github_branch: str = "main"
    # The GitHub environment whose jobs may deploy; None means the stage name.
    github_environment: str | None = None
    # Also trust jobs on github_branch that run without an environment. Off by
    # default: the environment is where approvals and branch rules live, so a
    # stage like prod must only be reachable through it.
    trust_branch: bool = False
    # A read-only role that same-repository pull requests assume for `cdk diff`
    # (the CDK lookup role only). Off by default: it can read the stage's data.
    pull_request_diff: bool = False
    # The IAM OIDC provider is one per account: exactly one stage of an account
    # creates it, the others reuse it (checked across stages at load).
    create_oidc_provider: bool = True
    # The stage's own CDK bootstrap (`cdk bootstrap --qualifier`): its deploy and
    # diff roles reach only the bootstrap roles of this qualifier, so stages that
    # share an account must not share one (checked across stages at load).
    cdk_bootstrap_qualifier: str = "hnb659fds"

    @field_validator("github_repository")
    @classmethod
    def _repo(cls, v: str) -> str:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", v):
            raise ValueError(f"{v!r} is not owner/name")
        return v

    @field_validator("github_branch", "github_environment")
    @classmethod
    def _no_wildcards(cls, v: str | None) -> str | None:
        # Git refuses these in names; here they could only be a typo or a pattern.
        if v is not None and (not v or any(c in v for c in "*?:")):
            raise ValueError(f"{v!r} must be a plain name (no *, ? or :)")
        return v

    @field_validator("cdk_bootstrap_qualifier")
    @classmethod
    def _qualifier(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9]{1,10}", v):
            raise ValueError(f"{v!r} is not a CDK bootstrap qualifier (lowercase letters and digits, up to 10)")
        return v


class StageConfig(_Section):
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
