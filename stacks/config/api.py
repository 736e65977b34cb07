"""The AI router (HTTP API) and the Azure AI models it and the workers call."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from stacks.config.base import Section


class AzureConfig(Section):
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


class RouterConfig(Section):
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
