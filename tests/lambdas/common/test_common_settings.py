"""Settings from environment variables: no runtime defaults, and errors that name the variable."""

from __future__ import annotations

import pytest

from common import settings
from common.errors import ConfigurationError
from common.settings import AzureAISettings, DatabaseSettings, Env, RedisSettings
from tools import function_env

DB = function_env.database("video")  # the stage's session limits and the function's name
REDIS_HOST = {
    "REDIS_HOST": "cache.internal",
    "REDIS_PORT": "6379",
    "REDIS_TLS": "true",
    "REDIS_IAM_USER": "hz-router",
    "REDIS_CACHE_NAME": "rg1",
}
AZURE = function_env.azure("https://ai.example/", "sekret")


def test_database_url_takes_precedence_over_secret():
    s = DatabaseSettings.from_env({**DB, "DATABASE_URL": "postgresql://x/y", "DB_SECRET_ARN": "arn:secret"})
    assert (s.url, s.secret_arn) == ("postgresql://x/y", None)


def test_database_settings_carry_the_stage_config_values():
    # Given the variables the stack derives from the dev stage's config / When read
    s = DatabaseSettings.from_env({**DB, "DB_SECRET_ARN": "arn:secret"})
    # Then they are the config's, and the session is named after the function
    data = function_env.config().data
    assert (s.url, s.secret_arn, s.connect_timeout_s, s.application_name) == (
        None,
        "arn:secret",
        data.db_connect_timeout_seconds,
        "video",
    )
    assert s.server_options() == {
        "statement_timeout": data.db_statement_timeout_ms,
        "lock_timeout": data.db_lock_timeout_ms,
        "idle_in_transaction_session_timeout": data.db_idle_in_transaction_timeout_ms,
    }
    assert s.dead_peer_timeout_s == data.db_dead_peer_timeout_seconds


@pytest.mark.parametrize("variable", sorted(DB))
def test_a_missing_database_variable_is_named_not_defaulted(variable):
    env = {k: v for k, v in DB.items() if k != variable} | {"DATABASE_URL": "postgresql://x"}
    with pytest.raises(ConfigurationError, match=variable):
        DatabaseSettings.from_env(env)


@pytest.mark.parametrize(
    ("cls", "env", "variable"),
    [
        (DatabaseSettings, DB, "DB_HOST and DB_USER"),
        (DatabaseSettings, {**DB, "DB_HOST": "db.internal"}, "DB_USER"),
        (DatabaseSettings, {**DB, "DB_USER": "huntaze_video"}, "DB_HOST"),
        (DatabaseSettings, {**DB, "DB_HOST": "db.internal", "DB_USER": "u", "DB_NAME": "huntaze"}, "DB_PORT"),
        (DatabaseSettings, {**DB, "DB_HOST": "db.internal", "DB_USER": "u", "DB_PORT": "5432"}, "DB_NAME"),
        (
            DatabaseSettings,
            {**DB, "DATABASE_URL": "postgresql://x", "DB_CONNECT_TIMEOUT": "soon"},
            "DB_CONNECT_TIMEOUT",
        ),
        (DatabaseSettings, {**DB, "DATABASE_URL": "postgresql://x", "DB_CONNECT_TIMEOUT": "0"}, "DB_CONNECT_TIMEOUT"),
        (
            DatabaseSettings,
            {**DB, "DATABASE_URL": "postgresql://x", "DB_STATEMENT_TIMEOUT_MS": "-1"},
            "DB_STATEMENT_TIMEOUT_MS",
        ),
        (DatabaseSettings, {**DB, "DATABASE_URL": "postgresql://x", "DB_LOCK_TIMEOUT_MS": "10s"}, "DB_LOCK_TIMEOUT_MS"),
        (
            DatabaseSettings,
            {**DB, "DATABASE_URL": "postgresql://x", "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS": "-5"},
            "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
        ),
        # Below 5 s the keepalive timings do not fit (DatabaseSettings.tcp_parameters).
        (
            DatabaseSettings,
            {**DB, "DATABASE_URL": "postgresql://x", "DB_DEAD_PEER_TIMEOUT_S": "4"},
            "DB_DEAD_PEER_TIMEOUT_S",
        ),
        (RedisSettings, {}, "REDIS_HOST"),
        (RedisSettings, {**REDIS_HOST, "REDIS_PORT": "x"}, "REDIS_PORT"),
        (RedisSettings, {**REDIS_HOST, "REDIS_PORT": ""}, "REDIS_PORT"),
        (RedisSettings, {**REDIS_HOST, "REDIS_TLS": "maybe"}, "REDIS_TLS"),
        (RedisSettings, {k: v for k, v in REDIS_HOST.items() if k != "REDIS_TLS"}, "REDIS_TLS"),
        (RedisSettings, {k: v for k, v in REDIS_HOST.items() if k != "REDIS_CACHE_NAME"}, "REDIS_CACHE_NAME"),
        (AzureAISettings, {**AZURE, "AZURE_AI_ENDPOINT": ""}, "AZURE_AI_ENDPOINT"),
        (AzureAISettings, {**AZURE, "AZURE_AI_ENDPOINT": "example.com"}, "AZURE_AI_ENDPOINT"),
        (AzureAISettings, {**AZURE, "AZURE_AI_KEY": ""}, "AZURE_AI_KEY_PARAMETER"),
        (AzureAISettings, {k: v for k, v in AZURE.items() if k != "AZURE_AI_API_VERSION"}, "AZURE_AI_API_VERSION"),
    ],
)
def test_missing_or_invalid_variables_are_named(cls, env, variable):
    with pytest.raises(ConfigurationError, match=variable):
        cls.from_env(env)


def test_redis_url_from_host_uses_tls_and_iam_user():
    s = RedisSettings.from_env({**REDIS_HOST, "AWS_REGION": "us-east-2"})
    assert (s.tls, s.port, s.iam_user, s.cache_name, s.region) == (True, 6379, "hz-router", "rg1", "us-east-2")
    assert s.build_url() == "rediss://cache.internal:6379/0"  # no password in the URL: IAM tokens instead
    plain = RedisSettings.from_env({"REDIS_HOST": "h", "REDIS_PORT": "6380", "REDIS_TLS": "false"})
    assert (plain.build_url(), plain.iam_user) == ("redis://h:6380/0", None)
    local = RedisSettings.from_env({"REDIS_URL": "redis://x:1/3", **REDIS_HOST})
    assert (local.build_url(), local.iam_user) == ("redis://x:1/3", None)  # a local URL never signs


def test_azure_settings_from_config_and_key_hidden():
    s = AzureAISettings.from_env(AZURE)
    assert (s.endpoint, s.api_version, s.key) == (
        "https://ai.example",
        function_env.config().azure.api_version,
        "sekret",
    )
    assert "sekret" not in repr(s)


@pytest.mark.parametrize(
    ("read", "raw", "message"),
    [
        (lambda e: e.integer("N", minimum=1), "1.5", "N must be an integer"),
        (lambda e: e.integer("N", minimum=1), "0", "N must be >= 1"),
        (lambda e: e.number("N", above=0), "nan", "N must be > 0"),
        (lambda e: e.number("N", above=0), "-2", "N must be > 0"),
        (lambda e: e.number("N", above=0), "fast", "N must be a number"),
        (lambda e: e.flag("N"), "maybe", "N must be true or false"),
        (lambda e: e.json("N", dict, "an object"), "[]", "N must be an object"),
        (lambda e: e.json("N", dict, "an object"), "{", "N is not valid JSON"),
        (lambda e: e.text("N"), "  ", "N is not set"),
    ],
)
def test_the_shared_reader_refuses_bad_values_naming_the_variable(read, raw, message):
    with pytest.raises(ConfigurationError, match=message):
        read(Env({"N": raw}))


def test_the_shared_reader_tells_unset_from_blank():
    # A list may be configured empty (set, blank); an unset one is an error.
    assert Env({"L": ""}).words("L") == ()
    assert Env({"L": " a, b ,"}).words("L") == ("a", "b")
    with pytest.raises(ConfigurationError, match="L is not set"):
        Env({}).words("L")


def test_accessors_read_once_until_reset(monkeypatch):
    for name, value in DB.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", "postgresql://one")
    settings.reset()
    assert settings.database_settings().url == "postgresql://one"
    monkeypatch.setenv("DATABASE_URL", "postgresql://two")
    assert settings.database_settings().url == "postgresql://one"
    settings.reset()
    assert settings.database_settings().url == "postgresql://two"
