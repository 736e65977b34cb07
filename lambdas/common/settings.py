"""Typed runtime settings, read once per container from environment variables.

Each concern has its own accessor so a function only reads (and only needs) the
variables it uses: the video worker never fails for a missing REDIS_HOST.
Accessors are cached; `reset()` clears them (tests change the environment).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from common.errors import ConfigurationError

DEFAULT_AZURE_AI_API_VERSION = "2024-05-01-preview"
DEFAULT_SERVICE_NAME = "huntaze"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


# The Amazon RDS certificate authorities, shipped in the asset beside this module.
RDS_CA_BUNDLE = str(Path(__file__).with_name("rds-ca-bundle.pem"))


@dataclass(frozen=True)
class RdsEndpoint:
    """Where a function logs in to RDS as its own role, with an IAM auth token."""

    host: str
    port: int
    dbname: str
    user: str
    region: str | None


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
    iam: RdsEndpoint | None = None
    ssl_root_cert: str = RDS_CA_BUNDLE
    # Server-side limits sent as connection options: a runaway statement, a
    # lock wait or a session left idle inside a transaction (a crashed or
    # frozen invocation) ends on the server instead of hanging a Lambda or
    # holding locks until the function times out. Defaults fit the longest
    # worker timeout (300 s) with room for the retry; 0 disables a limit.
    statement_timeout_ms: int = 60_000
    lock_timeout_ms: int = 10_000
    idle_in_transaction_timeout_ms: int = 60_000

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DatabaseSettings:
        url = _optional(env, "DATABASE_URL")
        secret_arn = _optional(env, "DB_SECRET_ARN")
        iam = None if url else _rds_endpoint(env)
        if url is None and secret_arn is None and iam is None:
            raise ConfigurationError(
                "DB_HOST and DB_USER are not set (nor DB_SECRET_ARN, nor DATABASE_URL for local runs)"
            )
        return cls(
            url=url,
            # DATABASE_URL wins so a test never reaches for AWS; a role wins over the master secret.
            secret_arn=None if url or iam else secret_arn,
            iam=iam,
            ssl_root_cert=_optional(env, "DB_SSL_ROOT_CERT") or RDS_CA_BUNDLE,
            connect_timeout_s=_int(env, "DB_CONNECT_TIMEOUT", default=5, minimum=1),
            application_name=_service_name(env),
            statement_timeout_ms=_int(env, "DB_STATEMENT_TIMEOUT_MS", default=60_000, minimum=0),
            lock_timeout_ms=_int(env, "DB_LOCK_TIMEOUT_MS", default=10_000, minimum=0),
            idle_in_transaction_timeout_ms=_int(env, "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", default=60_000, minimum=0),
        )

    def server_options(self) -> dict[str, int]:
        """The session settings the server enforces (libpq ``options``)."""
        return {
            "statement_timeout": self.statement_timeout_ms,
            "lock_timeout": self.lock_timeout_ms,
            "idle_in_transaction_session_timeout": self.idle_in_transaction_timeout_ms,
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
        url = _optional(env, "REDIS_URL")
        host = _optional(env, "REDIS_HOST")
        if url is None and host is None:
            raise ConfigurationError("REDIS_HOST is not set (nor REDIS_URL for local runs)")
        iam_user = None if url else _optional(env, "REDIS_IAM_USER")
        cache_name = _optional(env, "REDIS_CACHE_NAME")
        if iam_user and not cache_name:
            raise ConfigurationError("REDIS_CACHE_NAME is not set (IAM auth signs for the replication group)")
        return cls(
            url=url,
            host=host,
            port=_int(env, "REDIS_PORT", default=6379, minimum=1),
            # ElastiCache in this design always has in-transit encryption on (IAM auth requires it).
            tls=_bool(env, "REDIS_TLS", default=True),
            iam_user=iam_user,
            cache_name=cache_name if iam_user else None,
            region=_optional(env, "AWS_REGION"),
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
        endpoint = _required(env, "AZURE_AI_ENDPOINT")
        if not endpoint.startswith(("https://", "http://")):
            raise ConfigurationError(f"AZURE_AI_ENDPOINT must be an http(s) URL, got {endpoint!r}")
        key = _optional(env, "AZURE_AI_KEY")
        key_parameter = _optional(env, "AZURE_AI_KEY_PARAMETER")
        if key is None and key_parameter is None:
            raise ConfigurationError("AZURE_AI_KEY_PARAMETER is not set (nor AZURE_AI_KEY for local runs)")
        return cls(
            endpoint=endpoint.rstrip("/"),
            api_version=_optional(env, "AZURE_AI_API_VERSION") or DEFAULT_AZURE_AI_API_VERSION,
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
        return cls(
            daily=_usd(env, "AI_DAILY_BUDGET_USD"),
            caller_daily=_usd(env, "AI_CALLER_DAILY_BUDGET_USD"),
            monthly=_usd(env, "AI_MONTHLY_BUDGET_USD"),
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
    return _service_name(os.environ)


def reset() -> None:
    """Forget cached settings (tests that change the environment)."""
    for accessor in (database_settings, redis_settings, azure_ai_settings, ai_budget_settings):
        accessor.cache_clear()


def _rds_endpoint(env: Mapping[str, str]) -> RdsEndpoint | None:
    host, user = _optional(env, "DB_HOST"), _optional(env, "DB_USER")
    if host is None and user is None:
        return None
    if host is None or user is None:
        raise ConfigurationError(f"{'DB_USER' if host else 'DB_HOST'} is not set (DB_HOST and DB_USER go together)")
    return RdsEndpoint(
        host=host,
        port=_int(env, "DB_PORT", default=5432, minimum=1),
        dbname=_optional(env, "DB_NAME") or "postgres",
        user=user,
        region=_optional(env, "AWS_REGION"),
    )


def _service_name(env: Mapping[str, str]) -> str:
    return _optional(env, "POWERTOOLS_SERVICE_NAME") or DEFAULT_SERVICE_NAME


def env_int(env: Mapping[str, str], name: str, *, default: int, minimum: int) -> int:
    """An integer variable; ConfigurationError naming it when invalid (for function-specific settings)."""
    return _int(env, name, default=default, minimum=minimum)


def env_optional(env: Mapping[str, str], name: str) -> str | None:
    """A variable's stripped value, None when unset or blank."""
    return _optional(env, name)


def _optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _required(env: Mapping[str, str], name: str) -> str:
    value = _optional(env, name)
    if value is None:
        raise ConfigurationError(f"{name} is not set")
    return value


def _int(env: Mapping[str, str], name: str, *, default: int, minimum: int) -> int:
    raw = _optional(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be >= {minimum}, got {value}")
    return value


def _usd(env: Mapping[str, str], name: str) -> int:
    """A required dollar amount (e.g. "2.50") as whole micro-dollars."""
    from decimal import Decimal, InvalidOperation

    raw = _required(env, name)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ConfigurationError(f"{name} must be an amount in USD, got {raw!r}") from None
    if not value.is_finite() or value <= 0:
        raise ConfigurationError(f"{name} must be a positive amount in USD, got {raw!r}")
    return int(value * 1_000_000)


def _bool(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = _optional(env, name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")
