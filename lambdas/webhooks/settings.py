"""The notifier's settings, parsed once from the environment the Webhooks construct sets (stacks/webhooks.py).

Every value lives in the stage config (``webhooks``; stacks/function_settings.py writes the variables);
read through common.settings.Env with no defaults of its own.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass

from common.errors import ConfigurationError
from common.settings import Env

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
    timeout_s: float
    require_https: bool
    allowed_networks: tuple[str, ...]

    def subscribed(self, event: str) -> tuple[Endpoint, ...]:
        return tuple(e for e in self.endpoints if event in e.events)

    def delay_after(self, receive_count: int) -> int:
        """How long the message waits after its `receive_count`-th delivery failed (the last delay repeats)."""
        delays = self.retry_delays_s
        return min(delays[min(max(receive_count, 1), len(delays)) - 1], MAX_DELAY_S)


def from_env(env: Mapping[str, str]) -> WebhookSettings:
    """The notifier's settings; a missing or malformed variable is a ConfigurationError naming it."""
    e = Env(env)
    return WebhookSettings(
        endpoints=_endpoints(e),
        queue_url=e.text("WEBHOOK_QUEUE_URL"),
        retry_delays_s=_delays(e),
        max_receive_count=e.integer("MAX_RECEIVE_COUNT", minimum=1),
        timeout_s=e.number("WEBHOOK_TIMEOUT_S", above=0),
        require_https=e.flag("WEBHOOK_REQUIRE_HTTPS"),
        allowed_networks=tuple(e.json("WEBHOOK_ALLOWED_NETWORKS", list, "a JSON list of IP networks")),
    )


def _endpoints(e: Env) -> tuple[Endpoint, ...]:
    raw = e.json("WEBHOOK_ENDPOINTS", list, "a JSON list of endpoints")
    try:
        return tuple(Endpoint(d["name"], d["url"], tuple(d["events"]), d["secret"]) for d in raw)
    except (KeyError, TypeError) as exc:
        raise ConfigurationError(
            f"WEBHOOK_ENDPOINTS: each endpoint needs name, url, events and secret ({exc})"
        ) from None


def _delays(e: Env) -> tuple[int, ...]:
    words = e.words("WEBHOOK_RETRY_DELAYS")
    try:
        delays = tuple(int(d) for d in words)
    except ValueError:
        raise ConfigurationError(
            f"WEBHOOK_RETRY_DELAYS must be comma-separated seconds, got {','.join(words)!r}"
        ) from None
    if not delays or min(delays) < 0:
        raise ConfigurationError("WEBHOOK_RETRY_DELAYS must list at least one delay, none negative")
    return delays


@functools.cache
def webhook_settings() -> WebhookSettings:
    return from_env(os.environ)


def reset() -> None:
    webhook_settings.cache_clear()
