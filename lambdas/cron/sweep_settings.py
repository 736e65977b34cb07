"""The sweeper's settings, read from the environment the Cron stack sets (a bad value names its variable)."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

from common.errors import ConfigurationError
from common.settings import env_int
from cron.settings import _json
from cron.sweeper import SweepPolicy


def from_env(env: Mapping[str, str]) -> SweepPolicy:
    urls = _json(env, "SWEEP_QUEUE_URLS", dict, "a JSON object of task -> queue URL")
    if not all(isinstance(v, str) and v for v in urls.values()):
        raise ConfigurationError("SWEEP_QUEUE_URLS must map each task to a queue URL")
    attempts = _json(env, "SWEEP_MAX_ATTEMPTS", dict, "a JSON object of task -> maxReceiveCount")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in attempts.values()):
        raise ConfigurationError("SWEEP_MAX_ATTEMPTS must map each task to a positive integer")
    return SweepPolicy(
        queue_urls=urls,
        max_attempts=attempts,
        queued_grace_s=_required_int(env, "SWEEP_QUEUED_GRACE_SECONDS"),
        lease_grace_s=_required_int(env, "SWEEP_LEASE_GRACE_SECONDS"),
        batch=_required_int(env, "SWEEP_BATCH"),
    )


def _required_int(env: Mapping[str, str], name: str) -> int:
    """The Cron stack sets every one from config (stacks/config/ holds the defaults)."""
    if name not in env:
        raise ConfigurationError(f"{name} is not set")
    return env_int(env, name, default=0, minimum=1)


@functools.cache
def sweep_policy() -> SweepPolicy:
    return from_env(os.environ)
