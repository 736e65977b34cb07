"""The router's own settings, read once per container from the environment the stack sets."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from common.errors import ConfigurationError
from common.events import DEFAULT_LOOKBACK_HOURS
from common.tasks import TASKS


@dataclass(frozen=True)
class RouterSettings:
    models: dict[str, str]  # type -> model; "default" answers default_types
    default_types: tuple[str, ...]
    cache_ttl_s: int
    max_prompt_chars: int
    max_body_bytes: int
    max_images: int
    max_output_tokens: int
    ai_deadline_s: float
    uploads_bucket: str | None
    upload_url_ttl_s: int
    upload_max_bytes: int
    upload_content_types: tuple[str, ...]
    max_idempotency_key_chars: int
    queue_urls: dict[str, str]  # task -> queue URL, only for the tasks deployed
    # A caller whose JWT claim `admin_claim` holds `admin_claim_value` sees every
    # job, including those with no owner; None: no caller is an admin.
    admin_claim: str = "scope"
    admin_claim_value: str | None = None
    # Tasks only a caller with the operator scope may queue (the scheduled ones);
    # with no scope configured, nobody may.
    operator_scope: str | None = None
    operator_tasks: frozenset[str] = frozenset()
    # POST /v1/events: the event types accepted (none configured: every event is
    # refused), the claim listing a token's writable accounts (none: only operators
    # write events), the rollups' look-back.
    event_types: tuple[str, ...] = ()
    event_accounts_claim: str | None = None
    event_lookback: timedelta = timedelta(hours=DEFAULT_LOOKBACK_HOURS)

    @property
    def accepted_types(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.models) | set(self.default_types)))

    def model_for(self, request_type: str) -> str | None:
        if request_type in self.models:
            return self.models[request_type]
        return self.models["default"] if request_type in self.default_types else None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RouterSettings:
        models = _json_map(env, "AI_MODELS")
        if "default" not in models:
            raise ConfigurationError("AI_MODELS needs a 'default' model")
        return cls(
            models=models,
            default_types=_csv(env.get("AI_DEFAULT_TYPES", "vision,chat")),
            cache_ttl_s=_int(env, "AI_CACHE_TTL_SECONDS", 3600),
            max_prompt_chars=_int(env, "AI_MAX_PROMPT_CHARS", 32_000),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 4_000_000),
            max_images=_int(env, "AI_MAX_IMAGES", 4),
            max_output_tokens=_int(env, "AI_MAX_OUTPUT_TOKENS", 4096),
            ai_deadline_s=float(env.get("AI_DEADLINE_SECONDS", "25")),
            uploads_bucket=env.get("UPLOADS_BUCKET") or None,
            upload_url_ttl_s=_int(env, "UPLOAD_URL_TTL_SECONDS", 900),
            upload_max_bytes=_int(env, "UPLOAD_MAX_BYTES", 500 * 1024 * 1024),
            upload_content_types=_csv(env.get("UPLOAD_CONTENT_TYPES", "video/mp4,video/quicktime,video/webm")),
            max_idempotency_key_chars=_int(env, "MAX_IDEMPOTENCY_KEY_CHARS", 128),
            queue_urls={t: env[f"QUEUE_URL_{t.upper()}"] for t in TASKS if env.get(f"QUEUE_URL_{t.upper()}")},
            admin_claim=env.get("ADMIN_CLAIM") or "scope",
            admin_claim_value=env.get("ADMIN_CLAIM_VALUE") or None,
            operator_scope=env.get("OPERATOR_SCOPE") or None,
            operator_tasks=frozenset(_csv(env.get("OPERATOR_TASKS", ""))),
            event_types=_csv(env.get("EVENT_TYPES", "")),
            event_accounts_claim=env.get("EVENT_ACCOUNTS_CLAIM") or None,
            event_lookback=timedelta(hours=_int(env, "EVENT_LOOKBACK_HOURS", DEFAULT_LOOKBACK_HOURS)),
        )


@functools.cache
def router_settings() -> RouterSettings:
    return RouterSettings.from_env(os.environ)


def reset() -> None:
    router_settings.cache_clear()


def _json_map(env: Mapping[str, str], name: str) -> dict[str, str]:
    raw = env.get(name)
    if not raw:
        raise ConfigurationError(f"{name} is not set")
    try:
        value = json.loads(raw)
    except ValueError:
        raise ConfigurationError(f"{name} is not JSON") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigurationError(f"{name} must be a JSON object of strings")
    return value


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None
