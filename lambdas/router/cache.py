"""Response cache in Valkey/Redis that never fails a request.

Any cache error is logged and treated as a miss; after one, the cache is left
alone for a cool-down so a dead cache costs at most one short timeout per
cool-down instead of one per request.

Identical requests share one computation (`single_flight`): one caller takes
a short lock in the cache and computes, the others poll the cache for its
answer for a while before computing themselves. A caller is told "hit"
(`seen_before`) only for what it asked itself: the cache is shared, so a hit
on another caller's answer would tell it what someone else asked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import redis

logger = logging.getLogger(__name__)

SOCKET_TIMEOUT_S = 0.25
COOLDOWN_S = 30.0
# How often a caller waiting for another's computation looks at the cache.
POLL_S = 0.05
_DOWN = object()  # a cache call that failed


class ResponseCache:
    def __init__(
        self,
        connect: Callable[[], redis.Redis],
        *,
        ttl_s: int,
        cooldown_s: float = COOLDOWN_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._connect = connect
        self._sleep = sleep
        self._client: redis.Redis | None = None
        self.ttl_s = ttl_s
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._skip_until = 0.0

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self._call("get", key)
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: dict[str, Any]) -> None:
        self._call("set", key, json.dumps(value, separators=(",", ":")), ex=self.ttl_s)

    def single_flight(
        self,
        key: str,
        compute: Callable[[], dict[str, Any]],
        *,
        wait_s: float,
        lock_s: float,
    ) -> tuple[dict[str, Any], bool]:
        """(value, whether it came from the cache). One caller computes a missing value; the others wait.

        The computing caller holds `lock:<key>` for at most `lock_s` (its own
        deadline). A waiter computes itself after `wait_s`, or at once if the
        lock holder gave up without an answer or the cache is down.
        """
        give_up_at = self._clock() + wait_s
        token = uuid.uuid4().hex
        lock = f"lock:{key}"
        while True:
            hit = self.get(key)
            if hit is not None:
                return hit, True
            taken = self._try("set", lock, token, nx=True, px=max(1, int(lock_s * 1000)))
            if taken is _DOWN or taken or self._clock() >= give_up_at:
                try:
                    value = compute()
                    self.set(key, value)
                    return value, False
                finally:
                    if taken is True and self._call("get", lock) == token:
                        self._call("delete", lock)
            self._sleep(POLL_S)

    def seen_before(self, caller: str, key: str) -> bool:
        """Whether `caller` asked for `key` within the TTL; marks it asked."""
        seen = "seen:" + hashlib.sha256(f"{caller}\0{key}".encode()).hexdigest()
        return self._call("set", seen, "1", ex=self.ttl_s, get=True) is not None

    def _call(self, op: str, *args: Any, **kwargs: Any) -> Any:
        result = self._try(op, *args, **kwargs)
        return None if result is _DOWN else result

    def _try(self, op: str, *args: Any, **kwargs: Any) -> Any:
        if self._clock() < self._skip_until:
            return _DOWN
        try:
            if self._client is None:
                self._client = self._connect()
            return getattr(self._client, op)(*args, **kwargs)
        except Exception as exc:  # the cache is an optimisation: nothing it does may fail a request
            logger.warning("response cache unavailable (%s: %s); answering without it", type(exc).__name__, exc)
            self._client = None
            self._skip_until = self._clock() + self._cooldown_s
            return _DOWN


def connect_from_settings() -> redis.Redis:
    """A client for the configured cache: TLS and ElastiCache IAM auth tokens in AWS."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from common.settings import redis_settings

    settings = redis_settings()
    credentials = None
    if settings.iam_user:
        from common.elasticache_auth import IamCredentialProvider

        assert settings.cache_name and settings.region
        credentials = IamCredentialProvider(settings.iam_user, settings.cache_name, settings.region)
    return redis.Redis.from_url(
        settings.build_url(),
        credential_provider=credentials,
        socket_connect_timeout=SOCKET_TIMEOUT_S,
        socket_timeout=SOCKET_TIMEOUT_S,
        retry_on_timeout=False,
        retry=Retry(NoBackoff(), 0),  # one try: a slow cache must not slow the answer
        decode_responses=True,
    )


_cache: ResponseCache | None = None


def get_cache(ttl_s: int) -> ResponseCache:
    global _cache
    if _cache is None or _cache.ttl_s != ttl_s:
        _cache = ResponseCache(connect_from_settings, ttl_s=ttl_s)
    return _cache


def reset() -> None:
    global _cache
    _cache = None
