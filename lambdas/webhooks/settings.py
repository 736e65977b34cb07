"""The notifier's settings, parsed once from the environment the Webhooks construct sets (stacks/webhooks.py)."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from common.errors import ConfigurationError

# SQS's longest visibility timeout: the longest one wait between two attempts can be.
MAX_DELAY_S = 43_200


@dataclass(frozen=True)
class Endpoint:
    name: str
    url: str
    events: tuple[str, ...]
    secret: str  # the Secrets Manager name of its signing secret


@dataclass(frozen=True)
class WebhookSettings:
    endpoints: tuple[Endpoint, ...]
    queue_url: str
    retry_delays_s: tuple[int, ...]
    max_receive_count: int
    timeout_s: float = 15.0
    require_https: bool = True
    allowed_networks: tuple[str, ...] = ()

    def subscribed(self, event: str) -> tuple[Endpoint, ...]:
        return tuple(e for e in self.endpoints if event in e.events)

    def delay_after(self, receive_count: int) -> int:
        """How long the message waits after its `receive_count`-th delivery failed (the last delay repeats)."""
        delays = self.retry_delays_s
        return min(delays[min(max(receive_count, 1), len(delays)) - 1], MAX_DELAY_S)


def from_env(env: Mapping[str, str]) -> WebhookSettings:
    try:
        endpoints = tuple(
            Endpoint(e["name"], e["url"], tuple(e["events"]), e["secret"])
            for e in json.loads(env.get("WEBHOOK_ENDPOINTS") or "[]")
        )
        return WebhookSettings(
            endpoints=endpoints,
            queue_url=env["WEBHOOK_QUEUE_URL"],
            retry_delays_s=tuple(int(d) for d in env["WEBHOOK_RETRY_DELAYS"].split(",")),
            max_receive_count=int(env["MAX_RECEIVE_COUNT"]),
            timeout_s=float(env.get("WEBHOOK_TIMEOUT_S", "15")),
            require_https=env.get("WEBHOOK_REQUIRE_HTTPS", "true") != "false",
            allowed_networks=tuple(json.loads(env.get("WEBHOOK_ALLOWED_NETWORKS") or "[]")),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"webhook notifier settings: {type(exc).__name__}: {exc}") from None


@functools.cache
def webhook_settings() -> WebhookSettings:
    return from_env(os.environ)


def reset() -> None:
    webhook_settings.cache_clear()
