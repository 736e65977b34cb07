"""Completion webhooks (Standard Webhooks): the endpoints, their events and the notifier's retries."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from stacks.config.base import Section
from stacks.config.functions import WorkerConfig

JOB_EVENTS = ("job.succeeded", "job.failed")
# Standard Webhooks' schedule after the first attempt: about a day and a half in all.
WEBHOOK_RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)
# SQS's longest visibility timeout: one wait between attempts can be no longer.
MAX_WEBHOOK_DELAY_SECONDS = 43_200
# The notifier's own work around its posts (database, secrets, SQS) within its function timeout.
WEBHOOK_TIME_MARGIN_SECONDS = 10


class WebhookEndpointConfig(Section):
    """One receiver of completion webhooks; its signing secret is the Secrets Manager secret
    ``<prefix>/webhooks/<name>`` (generated at deploy; the receiver is given its value)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    # https only: a deployed stage never posts in clear text (the local system's receiver is its own setting).
    url: str = Field(pattern=r"^https://[^\s/?#@]+(/\S*)?$", max_length=2000)
    events: tuple[Literal["job.succeeded", "job.failed"], ...] = Field(JOB_EVENTS, min_length=1)


class WebhooksConfig(Section):
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
