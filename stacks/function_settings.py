"""Each function's settings from the stage config, as the environment variables its reader reads.

The stacks merge these with what only a deployment knows (endpoints, ARNs, queue URLs); the
Lambda side reads them with ``common.settings.Env`` and has no defaults of its own, so a value
is written once, in ``stacks/config``. Tests build the same environments from the same config
(tools/function_env.py), and tests/infra/test_settings_roundtrip.py parses every synthesized
function's real environment with that function's reader.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from stacks.alert_rules import runbook_base_url
from stacks.config import StageConfig, WorkerConfig

# The key prefix of uploads the video worker analyses (the bucket's notification filter).
UPLOADS_PREFIX = "uploads/"
# NDJSON files of events to import (the imports worker, stacks/event_imports.py).
EVENTS_PREFIX = "events/"
# VIDEO_DECODE_THREADS when the config leaves it to the CPU count (lambdas/video/settings.py).
AUTO_THREADS = "auto"


def database(cfg: StageConfig) -> dict[str, str]:
    """Every database client's session limits and dead-peer bound (``DatabaseSettings``)."""
    d = cfg.data
    return {
        "DB_CONNECT_TIMEOUT": str(d.db_connect_timeout_seconds),
        "DB_STATEMENT_TIMEOUT_MS": str(d.db_statement_timeout_ms),
        "DB_LOCK_TIMEOUT_MS": str(d.db_lock_timeout_ms),
        "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS": str(d.db_idle_in_transaction_timeout_ms),
        "DB_DEAD_PEER_TIMEOUT_S": str(d.db_dead_peer_timeout_seconds),
    }


def azure(cfg: StageConfig) -> dict[str, str]:
    """Where Azure AI answers (``AzureAISettings``; the key's secret ARN is the deployment's) and the
    spend budgets every model call is guarded by (``AiBudgetSettings``)."""
    return {
        "AZURE_AI_ENDPOINT": cfg.azure.endpoint,
        "AZURE_AI_API_VERSION": cfg.azure.api_version,
        **ai_budgets(cfg),
    }


def ai_budgets(cfg: StageConfig) -> dict[str, str]:
    """The AI spend budgets in USD (``common.settings.AiBudgetSettings``)."""
    az = cfg.azure
    return {
        "AI_DAILY_BUDGET_USD": str(az.daily_budget_usd),
        "AI_CALLER_DAILY_BUDGET_USD": str(az.caller_daily_budget_usd),
        "AI_MONTHLY_BUDGET_USD": str(az.monthly_budget_usd),
    }


def router(cfg: StageConfig, operator_tasks: Iterable[str]) -> dict[str, str]:
    """``RouterSettings``, less the bucket and the queue URLs."""
    r, az = cfg.router, cfg.azure
    return {
        "AI_MODELS": json.dumps(az.models, sort_keys=True),
        "AI_DEFAULT_TYPES": ",".join(az.default_types),
        "AI_CACHE_TTL_SECONDS": str(r.cache_ttl_seconds),
        "AI_MAX_PROMPT_CHARS": str(r.max_prompt_chars),
        "AI_MAX_IMAGES": str(r.max_images),
        "AI_MAX_OUTPUT_TOKENS": str(r.max_output_tokens),
        "AI_DEADLINE_SECONDS": str(r.ai_deadline_seconds),
        "MAX_BODY_BYTES": str(r.max_body_bytes),
        "MAX_IDEMPOTENCY_KEY_CHARS": str(r.max_idempotency_key_chars),
        "UPLOAD_URL_TTL_SECONDS": str(r.upload_url_ttl_seconds),
        "UPLOAD_MAX_BYTES": str(cfg.video.max_bytes),
        "UPLOAD_CONTENT_TYPES": ",".join(r.upload_content_types),
        "ADMIN_CLAIM": r.admin_claim,
        # Blank: no caller is an admin.
        "ADMIN_CLAIM_VALUE": r.admin_claim_value or "",
        # Scheduled tasks queued by hand and the /v1/ops routes need the operator scope (router/access.py).
        "OPERATOR_SCOPE": r.operator_scope,
        "OPERATOR_TASKS": ",".join(operator_tasks),
        # POST /v1/events: the types it accepts, who may write which account, and how old an event
        # may be (the data rollups' look-back: an older one would never be counted).
        "EVENT_TYPES": ",".join(cfg.events.types),
        "EVENT_ACCOUNTS_CLAIM": cfg.events.accounts_claim,
        "EVENT_LOOKBACK_HOURS": str(cfg.cron.late_event_lookback_hours),
    }


def video(cfg: StageConfig) -> dict[str, str]:
    """``VideoSettings``, less the bucket."""
    v, az = cfg.video, cfg.azure
    return {
        "VIDEO_MODEL": az.models.get("vision", az.models["default"]),
        "VIDEO_MAX_BYTES": str(v.max_bytes),
        "VIDEO_MAX_DURATION_S": str(v.max_duration_seconds),
        "VIDEO_SAMPLE_FPS": str(v.sample_fps),
        "VIDEO_MAX_SAMPLED_FRAMES": str(v.max_sampled_frames),
        "VIDEO_FRAMES_FOR_MODEL": str(v.frames_for_model),
        "VIDEO_MODEL_FRAME_MAX_SIDE": str(v.model_frame_max_side),
        "VIDEO_ANALYSIS_MAX_TOKENS": str(v.analysis_max_tokens),
        "VIDEO_TIME_RESERVE_S": str(v.time_reserve_seconds),
        "VIDEO_WORK_DIR": v.work_dir,
        "VIDEO_DECODE_THREADS": str(v.decode_threads) if v.decode_threads else AUTO_THREADS,
        "UPLOADS_PREFIX": UPLOADS_PREFIX,
    }


def trends(cfg: StageConfig) -> dict[str, str]:
    """``TrendsSettings`` (the trends worker also gets `azure`)."""
    c, az = cfg.cron, cfg.azure
    return {
        "TREND_SOURCES": json.dumps([s.model_dump() for s in c.trend_sources], separators=(",", ":")),
        "TRENDS_USER_AGENT": c.trends_user_agent,
        "TRENDS_TOP_N": str(c.trends_top_n),
        "TRENDS_ALLOWED_NETWORKS": json.dumps([str(n) for n in c.trends_allowed_networks]),
        "GENERATION_MODEL": az.models.get("generation", az.models["default"]),
    }


def data(cfg: StageConfig) -> dict[str, str]:
    """``DataSettings``."""
    c = cfg.cron
    return {
        "LATE_EVENT_LOOKBACK_HOURS": str(c.late_event_lookback_hours),
        "INGEST_SETTLE_SECONDS": str(c.ingest_settle_seconds),
        "ROLLUP_MAX_CATCHUP_HOURS": str(c.rollup_max_catchup_hours),
    }


def alerts(cfg: StageConfig) -> dict[str, str]:
    """``AlertsSettings``, less the topic, the Slack secret and the DLQ URLs."""
    return {
        "ALERT_RULES_FILE": cfg.alerts.rules_file,
        "RUNBOOK_BASE_URL": runbook_base_url(cfg),
        # The ai_spend rule compares the month's spend with the monthly budget.
        **ai_budgets(cfg),
    }


def job_worker(cfg: StageConfig, task: str) -> WorkerConfig:
    """The worker config of a job task's queue."""
    if task == "video":
        return cfg.video.worker
    return cfg.events.imports if task == "imports" else getattr(cfg.cron, task)


def sweeper(cfg: StageConfig, job_tasks: Iterable[str]) -> dict[str, str]:
    """The sweeper's ``SweepPolicy``, less the queue URLs."""
    c = cfg.cron
    return {
        "SWEEP_MAX_ATTEMPTS": json.dumps({t: job_worker(cfg, t).max_receive_count for t in job_tasks}),
        "SWEEP_QUEUED_GRACE_SECONDS": str(c.sweeper_queued_grace_seconds),
        "SWEEP_LEASE_GRACE_SECONDS": str(c.sweeper_lease_grace_seconds),
        "SWEEP_BATCH": str(c.sweeper_batch),
    }


def imports(cfg: StageConfig) -> dict[str, str]:
    """``ImportSettings``, less the bucket: the same types and look-back as POST /v1/events."""
    e = cfg.events
    return {
        "EVENTS_PREFIX": EVENTS_PREFIX,
        "EVENT_TYPES": ",".join(e.types),
        "EVENT_LOOKBACK_HOURS": str(cfg.cron.late_event_lookback_hours),
        "IMPORT_MAX_OBJECT_BYTES": str(e.import_max_object_bytes),
        "IMPORT_MAX_TEXT_BYTES": str(e.import_max_text_bytes),
        "IMPORT_MAX_LINES": str(e.import_max_lines),
        "IMPORT_MAX_LINE_BYTES": str(e.import_max_line_bytes),
        "IMPORT_BATCH": str(e.import_batch),
        "IMPORT_TIME_RESERVE_S": str(e.import_time_reserve_seconds),
    }


def webhook_endpoint_secret(cfg: StageConfig, endpoint: str) -> str:
    """The Secrets Manager name of an endpoint's signing secret."""
    return f"{cfg.prefix}/webhooks/{endpoint}"


def webhooks(cfg: StageConfig) -> dict[str, str]:
    """``WebhookSettings``, less the queue URL and the receive count (the worker's)."""
    w = cfg.webhooks
    endpoints = [
        {"name": e.name, "url": e.url, "events": list(e.events), "secret": webhook_endpoint_secret(cfg, e.name)}
        for e in w.endpoints
    ]
    return {
        "WEBHOOK_ENDPOINTS": json.dumps(endpoints, separators=(",", ":")),
        "WEBHOOK_RETRY_DELAYS": ",".join(str(d) for d in w.retry_delays_seconds),
        "WEBHOOK_TIMEOUT_S": str(w.timeout_seconds),
        # A deployed stage posts over https only, to public addresses only (tools/local widens both).
        "WEBHOOK_REQUIRE_HTTPS": "true",
        "WEBHOOK_ALLOWED_NETWORKS": "[]",
    }
