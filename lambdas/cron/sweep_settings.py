"""The sweeper's settings, read from the environment the Cron stack sets (a bad value names its variable).

The graces and the batch live in the stage config (``cron.sweeper_*``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

from common.errors import ConfigurationError
from common.settings import Env
from cron.sweeper import SweepPolicy


def from_env(env: Mapping[str, str]) -> SweepPolicy:
    e = Env(env)
    urls = e.json("SWEEP_QUEUE_URLS", dict, "a JSON object of task -> queue URL")
    if not all(isinstance(v, str) and v for v in urls.values()):
        raise ConfigurationError("SWEEP_QUEUE_URLS must map each task to a queue URL")
    attempts = e.json("SWEEP_MAX_ATTEMPTS", dict, "a JSON object of task -> maxReceiveCount")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in attempts.values()):
        raise ConfigurationError("SWEEP_MAX_ATTEMPTS must map each task to a positive integer")
    return SweepPolicy(
        queue_urls=urls,
        max_attempts=attempts,
        queued_grace_s=e.integer("SWEEP_QUEUED_GRACE_SECONDS", minimum=1),
        lease_grace_s=e.integer("SWEEP_LEASE_GRACE_SECONDS", minimum=1),
        batch=e.integer("SWEEP_BATCH", minimum=1),
    )


@functools.cache
def sweep_policy() -> SweepPolicy:
    return from_env(os.environ)
