"""The router's own settings, read once per container from the environment the Router stack sets.

Every value and its default live in the stage config; a missing or bad variable is a
``ConfigurationError`` naming it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from common.errors import ConfigurationError
from common.settings import Env
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
    uploads_bucket: str
    upload_url_ttl_s: int
    upload_max_bytes: int
    upload_content_types: tuple[str, ...]
    max_idempotency_key_chars: int
    queue_urls: dict[str, str]  # task -> queue URL, only for the tasks deployed
    # A caller whose JWT claim `admin_claim` holds `admin_claim_value` sees every
    # job, including those with no owner; None: no caller is an admin.
    admin_claim: str
    admin_claim_value: str | None
    # Tasks only a caller with the operator scope may queue (the scheduled ones).
    operator_scope: str
    operator_tasks: frozenset[str]
    # POST /v1/events: the event types accepted, the claim listing a token's
    # writable accounts (operators write any), the rollups' look-back.
    event_types: tuple[str, ...]
    event_accounts_claim: str
    event_lookback: timedelta

    @property
    def accepted_types(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.models) | set(self.default_types)))

    def model_for(self, request_type: str) -> str | None:
        if request_type in self.models:
            return self.models[request_type]
        return self.models["default"] if request_type in self.default_types else None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RouterSettings:
        e = Env(env)
        models = e.json("AI_MODELS", dict, "a JSON object of request type -> model")
        if not all(isinstance(v, str) for v in models.values()):
            raise ConfigurationError("AI_MODELS must be a JSON object of strings")
        if "default" not in models:
            raise ConfigurationError("AI_MODELS needs a 'default' model")
        return cls(
            models=models,
            default_types=e.words("AI_DEFAULT_TYPES"),
            cache_ttl_s=e.integer("AI_CACHE_TTL_SECONDS", minimum=1),
            max_prompt_chars=e.integer("AI_MAX_PROMPT_CHARS", minimum=1),
            max_body_bytes=e.integer("MAX_BODY_BYTES", minimum=1),
            max_images=e.integer("AI_MAX_IMAGES", minimum=0),
            max_output_tokens=e.integer("AI_MAX_OUTPUT_TOKENS", minimum=1),
            ai_deadline_s=e.number("AI_DEADLINE_SECONDS", above=0),
            uploads_bucket=e.text("UPLOADS_BUCKET"),
            upload_url_ttl_s=e.integer("UPLOAD_URL_TTL_SECONDS", minimum=1),
            upload_max_bytes=e.integer("UPLOAD_MAX_BYTES", minimum=1),
            upload_content_types=e.words("UPLOAD_CONTENT_TYPES"),
            max_idempotency_key_chars=e.integer("MAX_IDEMPOTENCY_KEY_CHARS", minimum=1),
            # Only the tasks deployed have a queue (and a variable).
            queue_urls={t: url for t in TASKS if (url := e.optional(f"QUEUE_URL_{t.upper()}"))},
            admin_claim=e.text("ADMIN_CLAIM"),
            admin_claim_value=e.raw("ADMIN_CLAIM_VALUE") or None,
            operator_scope=e.text("OPERATOR_SCOPE"),
            operator_tasks=frozenset(e.words("OPERATOR_TASKS")),
            event_types=e.words("EVENT_TYPES"),
            event_accounts_claim=e.text("EVENT_ACCOUNTS_CLAIM"),
            event_lookback=timedelta(hours=e.integer("EVENT_LOOKBACK_HOURS", minimum=1)),
        )


@functools.cache
def router_settings() -> RouterSettings:
    return RouterSettings.from_env(os.environ)


def reset() -> None:
    router_settings.cache_clear()
