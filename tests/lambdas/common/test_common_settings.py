"""Settings from environment variables, with errors that name the variable."""

from __future__ import annotations

import pytest

from common import settings
from common.errors import ConfigurationError
from common.settings import AzureAISettings, DatabaseSettings, RedisSettings


def test_database_url_takes_precedence_over_secret():
    s = DatabaseSettings.from_env({"DATABASE_URL": "postgresql://x/y", "DB_SECRET_ARN": "arn:secret"})
    assert (s.url, s.secret_arn, s.connect_timeout_s) == ("postgresql://x/y", None, 5)


def test_database_secret_and_timeout():
    s = DatabaseSettings.from_env(
        {"DB_SECRET_ARN": "arn:secret", "DB_CONNECT_TIMEOUT": "9", "POWERTOOLS_SERVICE_NAME": "video"}
    )
    assert (s.url, s.secret_arn, s.connect_timeout_s, s.application_name) == (None, "arn:secret", 9, "video")


@pytest.mark.parametrize(
    ("cls", "env", "variable"),
    [
        (DatabaseSettings, {}, "DB_HOST and DB_USER"),
        (DatabaseSettings, {"DB_HOST": "db.internal"}, "DB_USER"),
        (DatabaseSettings, {"DB_USER": "huntaze_video"}, "DB_HOST"),
        (DatabaseSettings, {"DATABASE_URL": "postgresql://x", "DB_CONNECT_TIMEOUT": "soon"}, "DB_CONNECT_TIMEOUT"),
        (DatabaseSettings, {"DATABASE_URL": "postgresql://x", "DB_CONNECT_TIMEOUT": "0"}, "DB_CONNECT_TIMEOUT"),
        (
            DatabaseSettings,
            {"DATABASE_URL": "postgresql://x", "DB_STATEMENT_TIMEOUT_MS": "-1"},
            "DB_STATEMENT_TIMEOUT_MS",
        ),
        (DatabaseSettings, {"DATABASE_URL": "postgresql://x", "DB_LOCK_TIMEOUT_MS": "10s"}, "DB_LOCK_TIMEOUT_MS"),
        (
            DatabaseSettings,
            {"DATABASE_URL": "postgresql://x", "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS": "-5"},
            "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
        ),
        (RedisSettings, {}, "REDIS_HOST"),
        (RedisSettings, {"REDIS_HOST": "h", "REDIS_PORT": "x"}, "REDIS_PORT"),
        (RedisSettings, {"REDIS_HOST": "h", "REDIS_TLS": "maybe"}, "REDIS_TLS"),
        (AzureAISettings, {"AZURE_AI_KEY": "k"}, "AZURE_AI_ENDPOINT"),
        (AzureAISettings, {"AZURE_AI_ENDPOINT": "example.com", "AZURE_AI_KEY": "k"}, "AZURE_AI_ENDPOINT"),
        (AzureAISettings, {"AZURE_AI_ENDPOINT": "https://x"}, "AZURE_AI_KEY_PARAMETER"),
        (RedisSettings, {"REDIS_HOST": "h", "REDIS_IAM_USER": "u"}, "REDIS_CACHE_NAME"),
    ],
)
def test_missing_or_invalid_variables_are_named(cls, env, variable):
    with pytest.raises(ConfigurationError, match=variable):
        cls.from_env(env)


def test_database_server_limits_have_lambda_defaults_and_can_be_overridden():
    default = DatabaseSettings.from_env({"DATABASE_URL": "postgresql://x"})
    assert default.server_options() == {
        "statement_timeout": 60_000,
        "lock_timeout": 10_000,
        "idle_in_transaction_session_timeout": 60_000,
    }
    tuned = DatabaseSettings.from_env(
        {
            "DATABASE_URL": "postgresql://x",
            "DB_STATEMENT_TIMEOUT_MS": "250000",
            "DB_LOCK_TIMEOUT_MS": "0",
            "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS": "5000",
        }
    )
    assert (tuned.statement_timeout_ms, tuned.lock_timeout_ms, tuned.idle_in_transaction_timeout_ms) == (
        250_000,
        0,
        5000,
    )


def test_redis_url_from_host_uses_tls_and_iam_user():
    env = {"REDIS_HOST": "cache.internal", "REDIS_IAM_USER": "hz-router", "REDIS_CACHE_NAME": "rg1"}
    s = RedisSettings.from_env({**env, "AWS_REGION": "us-east-2"})
    assert (s.tls, s.port, s.iam_user, s.cache_name, s.region) == (True, 6379, "hz-router", "rg1", "us-east-2")
    assert s.build_url() == "rediss://cache.internal:6379/0"  # no password in the URL: IAM tokens instead
    plain = RedisSettings.from_env({"REDIS_HOST": "h", "REDIS_PORT": "6380", "REDIS_TLS": "false"})
    assert (plain.build_url(), plain.iam_user) == ("redis://h:6380/0", None)
    local = RedisSettings.from_env({"REDIS_URL": "redis://x:1/3", **env})
    assert (local.build_url(), local.iam_user) == ("redis://x:1/3", None)  # a local URL never signs


def test_azure_settings_defaults_and_key_hidden():
    s = AzureAISettings.from_env({"AZURE_AI_ENDPOINT": "https://ai.example/", "AZURE_AI_KEY": "sekret"})
    assert (s.endpoint, s.api_version, s.key) == ("https://ai.example", "2024-05-01-preview", "sekret")
    assert "sekret" not in repr(s)


def test_accessors_read_once_until_reset(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://one")
    settings.reset()
    assert settings.database_settings().url == "postgresql://one"
    monkeypatch.setenv("DATABASE_URL", "postgresql://two")
    assert settings.database_settings().url == "postgresql://one"
    settings.reset()
    assert settings.database_settings().url == "postgresql://two"
    settings.reset()
