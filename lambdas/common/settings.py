"""Typed runtime settings, read once per container from environment variables.

Every setting and its default live once, in the stage config (``stacks/config``);
the stack puts each function's settings in its environment, and the function reads
them here with `Env`: a variable that is missing or malformed is a
``ConfigurationError`` naming it, at start, never a silent fallback. The only
variables that may be absent are the local/test stand-ins (``DATABASE_URL``,
``REDIS_URL``, ``AZURE_AI_KEY``, ``DB_SSL_ROOT_CERT``) and the one of a pair of
alternatives a deployment does not use (a role or the master secret).

Each concern has its own accessor so a function only reads (and only needs) the
variables it uses: the video worker never fails for a missing REDIS_HOST.
Accessors are cached; `reset()` clears them (tests change the environment).
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from common.errors import ConfigurationError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


# The Amazon RDS certificate authorities, shipped in the asset beside this module.
RDS_CA_BUNDLE = str(Path(__file__).with_name("rds-ca-bundle.pem"))


class Env:
    """One environment, read variable by variable; each reader raises ConfigurationError naming the variable."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def optional(self, name: str) -> str | None:
        """The stripped value, None when unset or blank (only for variables a deployment may leave out)."""
        value = self._env.get(name, "").strip()
        return value or None

    def raw(self, name: str) -> str:
        """The value as set, possibly blank (a list or text that may be empty); unset is an error."""
        if name not in self._env:
            raise ConfigurationError(f"{name} is not set")
        return self._env[name].strip()

    def text(self, name: str) -> str:
        """A value that must be set and not blank."""
        value = self.optional(name)
        if value is None:
            raise ConfigurationError(f"{name} is not set")
        return value

    def integer(self, name: str, *, minimum: int) -> int:
        raw = self.text(name)
        try:
            value = int(raw)
        except ValueError:
            raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None
        if value < minimum:
            raise ConfigurationError(f"{name} must be >= {minimum}, got {value}")
        return value

    def number(self, name: str, *, above: float) -> float:
        raw = self.text(name)
        try:
            value = float(raw)
        except ValueError:
            raise ConfigurationError(f"{name} must be a number, got {raw!r}") from None
        if not value > above:  # also refuses nan
            raise ConfigurationError(f"{name} must be > {above:g}, got {raw}")
        return value

    def flag(self, name: str) -> bool:
        raw = self.text(name).lower()
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise ConfigurationError(f"{name} must be true or false, got {raw!r}")

    def words(self, name: str) -> tuple[str, ...]:
        """A comma-separated list (set, possibly empty)."""
        return tuple(part.strip() for part in self.raw(name).split(",") if part.strip())

    def usd(self, name: str) -> int:
        """A positive dollar amount (e.g. "2.50") as whole micro-dollars."""
        raw = self.text(name)
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise ConfigurationError(f"{name} must be an amount in USD, got {raw!r}") from None
        if not value.is_finite() or value <= 0:
            raise ConfigurationError(f"{name} must be a positive amount in USD, got {raw!r}")
        return int(value * 1_000_000)

    def json(self, name: str, kind: type, what: str) -> Any:
        """A JSON value of ``kind`` (set, never blank); ``what`` says what it must be."""
        raw = self.text(name)
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise ConfigurationError(f"{name} is not valid JSON ({exc})") from None
        if not isinstance(value, kind):
            raise ConfigurationError(f"{name} must be {what}")
        return value


@dataclass(frozen=True)
class RdsEndpoint:
    """Where a function logs in to RDS as its own role, with an IAM auth token."""

    host: str
    port: int
    dbname: str
    user: str
    region: str | None


# Keepalive probes sent to a silent server before it is dead: one or two lost on a
# live path do not end the connection.
_KEEPALIVE_PROBES = 3
# The shortest dead-peer bound the timings of `DatabaseSettings.tcp_parameters` fit.
MIN_DEAD_PEER_TIMEOUT_S = 5


@dataclass(frozen=True)
class DatabaseSettings:
    """PostgreSQL location: a plain URL (tests/local), the function's own role with
    IAM auth (DB_HOST/DB_USER...), or the master secret (the migrate function only).

    Against RDS the server's certificate is verified (``verify-full``) with the
    CA bundle at ``ssl_root_cert``.
    """

    url: str | None
    secret_arn: str | None
    connect_timeout_s: int
    application_name: str
    # Server-side limits sent as connection options: a runaway statement, a
    # lock wait or a session left idle inside a transaction (a crashed or
    # frozen invocation) ends on the server instead of hanging a Lambda or
    # holding locks until the function times out; 0 disables a limit. Their
    # values are the stage config's (data.db_*_timeout_ms).
    statement_timeout_ms: int
    lock_timeout_ms: int
    idle_in_transaction_timeout_ms: int
    # How long a connection may hear nothing from the server before it is declared
    # dead (data.db_dead_peer_timeout_seconds): see `tcp_parameters`.
    dead_peer_timeout_s: int
    iam: RdsEndpoint | None = None
    ssl_root_cert: str = RDS_CA_BUNDLE

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DatabaseSettings:
        e = Env(env)
        url = e.optional("DATABASE_URL")
        secret_arn = e.optional("DB_SECRET_ARN")
        iam = None if url else _rds_endpoint(e)
        if url is None and secret_arn is None and iam is None:
            raise ConfigurationError(
                "DB_HOST and DB_USER are not set (nor DB_SECRET_ARN, nor DATABASE_URL for local runs)"
            )
        return cls(
            url=url,
            # DATABASE_URL wins so a test never reaches for AWS; a role wins over the master secret.
            secret_arn=None if url or iam else secret_arn,
            iam=iam,
            ssl_root_cert=e.optional("DB_SSL_ROOT_CERT") or RDS_CA_BUNDLE,
            connect_timeout_s=e.integer("DB_CONNECT_TIMEOUT", minimum=1),
            application_name=e.text("POWERTOOLS_SERVICE_NAME"),
            statement_timeout_ms=e.integer("DB_STATEMENT_TIMEOUT_MS", minimum=0),
            lock_timeout_ms=e.integer("DB_LOCK_TIMEOUT_MS", minimum=0),
            idle_in_transaction_timeout_ms=e.integer("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", minimum=0),
            dead_peer_timeout_s=e.integer("DB_DEAD_PEER_TIMEOUT_S", minimum=MIN_DEAD_PEER_TIMEOUT_S),
        )

    def server_options(self) -> dict[str, int]:
        """The session settings the server enforces (libpq ``options``)."""
        return {
            "statement_timeout": self.statement_timeout_ms,
            "lock_timeout": self.lock_timeout_ms,
            "idle_in_transaction_session_timeout": self.idle_in_transaction_timeout_ms,
        }

    def tcp_parameters(self) -> dict[str, int]:
        """libpq's TCP parameters that declare a silent server dead within ``dead_peer_timeout_s``.

        A server that stops answering without a reset (packets dropped on the way)
        would otherwise keep a waiting client until the Lambda is killed: nothing
        arrives, not even the statement timeout's error. Two kernel mechanisms end
        the wait, both timed to an eighth short of the bound: the kernel's TCP
        timers fire late by up to an eighth of their delay (timer-wheel
        granularity), and their delays add up to that time.

        - keepalive probes, when the client waits for an answer: after
          ``keepalives_idle`` seconds without a packet, a probe every
          ``keepalives_interval``; the server's kernel answers them however long
          its statement runs, so only a silent peer is dropped;
        - ``tcp_user_timeout``, when sent data stays unacknowledged (a query sent
          into the silence, where keepalives do not run; without it the kernel
          retransmits for about 15 minutes). On Linux it also ends the probing.
        """
        detect_s = self.dead_peer_timeout_s - math.ceil(self.dead_peer_timeout_s / 8)
        interval = max(1, detect_s // (_KEEPALIVE_PROBES + 1))
        return {
            "keepalives": 1,
            "keepalives_idle": detect_s - _KEEPALIVE_PROBES * interval,
            "keepalives_interval": interval,
            "keepalives_count": _KEEPALIVE_PROBES,
            "tcp_user_timeout": detect_s * 1000,
        }


@dataclass(frozen=True)
class RedisSettings:
    """Redis/Valkey location: a URL (tests/local), or host/port with ElastiCache IAM
    authentication as ``iam_user`` on the replication group ``cache_name``."""

    url: str | None
    host: str | None
    port: int
    tls: bool
    iam_user: str | None = None
    cache_name: str | None = None
    region: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RedisSettings:
        e = Env(env)
        url = e.optional("REDIS_URL")
        if url is not None:  # local runs and tests: the URL says it all
            return cls(url=url, host=None, port=0, tls=False)
        if e.optional("REDIS_HOST") is None:
            raise ConfigurationError("REDIS_HOST is not set (nor REDIS_URL for local runs)")
        # ElastiCache IAM auth (the deployed cache); without it, a cache that needs no login.
        iam_user = e.optional("REDIS_IAM_USER")
        cache_name = e.optional("REDIS_CACHE_NAME")
        if iam_user and not cache_name:
            raise ConfigurationError("REDIS_CACHE_NAME is not set (IAM auth signs for the replication group)")
        return cls(
            url=None,
            host=e.text("REDIS_HOST"),
            port=e.integer("REDIS_PORT", minimum=1),
            tls=e.flag("REDIS_TLS"),
            iam_user=iam_user,
            cache_name=cache_name if iam_user else None,
            region=e.optional("AWS_REGION"),
        )

    def build_url(self) -> str:
        """The URL for `redis.Redis.from_url` (credentials come from a provider, not the URL)."""
        if self.url:
            return self.url
        scheme = "rediss" if self.tls else "redis"
        return f"{scheme}://{self.host}:{self.port}/0"


@dataclass(frozen=True)
class AzureAISettings:
    """Azure AI Foundry (model inference API) endpoint and key."""

    endpoint: str
    api_version: str
    key_parameter: str | None
    key: str | None = None

    def __repr__(self) -> str:  # never print the key in logs
        return (
            f"AzureAISettings(endpoint={self.endpoint!r}, api_version={self.api_version!r}, "
            f"key_parameter={self.key_parameter!r}, key={'***' if self.key else None})"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AzureAISettings:
        e = Env(env)
        endpoint = e.text("AZURE_AI_ENDPOINT")
        if not endpoint.startswith(("https://", "http://")):
            raise ConfigurationError(f"AZURE_AI_ENDPOINT must be an http(s) URL, got {endpoint!r}")
        key = e.optional("AZURE_AI_KEY")
        key_parameter = e.optional("AZURE_AI_KEY_PARAMETER")
        if key is None and key_parameter is None:
            raise ConfigurationError("AZURE_AI_KEY_PARAMETER is not set (nor AZURE_AI_KEY for local runs)")
        return cls(
            endpoint=endpoint.rstrip("/"),
            api_version=e.text("AZURE_AI_API_VERSION"),
            key_parameter=None if key else key_parameter,
            key=key,
        )


@dataclass(frozen=True)
class AiBudgetSettings:
    """The AI spend budgets in micro-dollars: the stage's day, each caller's day, the stage's month (the alert's)."""

    daily: int
    caller_daily: int
    monthly: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AiBudgetSettings:
        e = Env(env)
        return cls(
            daily=e.usd("AI_DAILY_BUDGET_USD"),
            caller_daily=e.usd("AI_CALLER_DAILY_BUDGET_USD"),
            monthly=e.usd("AI_MONTHLY_BUDGET_USD"),
        )


@functools.cache
def database_settings() -> DatabaseSettings:
    return DatabaseSettings.from_env(os.environ)


@functools.cache
def redis_settings() -> RedisSettings:
    return RedisSettings.from_env(os.environ)


@functools.cache
def azure_ai_settings() -> AzureAISettings:
    return AzureAISettings.from_env(os.environ)


@functools.cache
def ai_budget_settings() -> AiBudgetSettings:
    return AiBudgetSettings.from_env(os.environ)


def service_name() -> str:
    return Env(os.environ).text("POWERTOOLS_SERVICE_NAME")


def reset() -> None:
    """Forget cached settings (tests that change the environment)."""
    for accessor in (database_settings, redis_settings, azure_ai_settings, ai_budget_settings):
        accessor.cache_clear()


def _rds_endpoint(e: Env) -> RdsEndpoint | None:
    host, user = e.optional("DB_HOST"), e.optional("DB_USER")
    if host is None and user is None:
        return None
    if host is None or user is None:
        raise ConfigurationError(f"{'DB_USER' if host else 'DB_HOST'} is not set (DB_HOST and DB_USER go together)")
    return RdsEndpoint(
        host=host,
        port=e.integer("DB_PORT", minimum=1),
        dbname=e.text("DB_NAME"),
        user=user,
        region=e.optional("AWS_REGION"),
    )
