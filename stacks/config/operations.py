"""Monitoring and alerting, the cost workload profile, and who may deploy."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from stacks.config.base import EMAIL, Section


class MonitoringConfig(Section):
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
        if not EMAIL.match(v):
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


class AiCalls(Section):
    """One kind of model call in the workload: how many a month and the tokens of one (tools/cost prices them)."""

    # None: derived (video: one per video; trends: one per scheduled run).
    per_month: float | None = Field(None, ge=0)
    prompt_tokens: int = Field(ge=0)
    images: int = Field(0, ge=0)
    # Input tokens one image costs (Phi-4-multimodal's dynamic-HD crops of the image's size).
    image_tokens: int = Field(0, ge=0)
    # Output tokens, reasoning included (DeepSeek-R1's chain of thought is billed as output).
    answer_tokens: int = Field(ge=0)


class WorkloadProfile(Section):
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


class DeployConfig(Section):
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
