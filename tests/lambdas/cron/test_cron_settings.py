"""Cron worker settings: one reader per task, validated like common.settings, and no trend parsers for the other workers."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from common.errors import ConfigurationError
from common.settings import AiBudgetSettings
from cron import runners
from cron.settings import AlertsSettings, DataSettings, TrendsSettings, alerts_settings
from tools import function_env

LAMBDAS = Path(__file__).resolve().parents[3] / "lambdas"
# What only a deployment knows (the Cron stack adds it to the config's values).
DEPLOYED = {
    "STAGE": "test",
    "ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-2:123456789012:huntaze-test-alerts",
    "SLACK_WEBHOOK_PARAMETER": "/huntaze-test/slack/webhook",
    "DLQ_URLS": json.dumps({"video": "https://sqs.example/huntaze-test-video-dlq"}),
}
READERS = {
    TrendsSettings: function_env.trends,
    DataSettings: function_env.data,
    # The alerts worker's AI budgets are common.settings.AiBudgetSettings's (the ai_spend rule's month).
    AlertsSettings: lambda: {
        k: v for k, v in {**function_env.alerts(), **DEPLOYED}.items() if k not in function_env.ai_budgets()
    },
    AiBudgetSettings: function_env.ai_budgets,
}


def _env(**override: str) -> dict[str, str]:
    return {**function_env.trends(), **function_env.data(), **function_env.alerts(), **DEPLOYED, **override}


def test_each_task_reads_the_stage_config_values_the_stack_sets():
    # Given the dev stage's config / When each task's reader reads the variables the stack derives from it
    cfg = function_env.config().cron
    data, trends = DataSettings.from_env(_env()), TrendsSettings.from_env(_env())
    # Then the values are the config's
    assert (data.late_event_lookback, data.ingest_settle, data.rollup_max_catchup) == (
        timedelta(hours=cfg.late_event_lookback_hours),
        timedelta(seconds=cfg.ingest_settle_seconds),
        timedelta(hours=cfg.rollup_max_catchup_hours),
    )
    assert (trends.trends_top_n, trends.trends_user_agent) == (cfg.trends_top_n, cfg.trends_user_agent)
    assert len(trends.trend_sources()) == len(cfg.trend_sources)
    assert AlertsSettings.from_env(_env()).dlq_urls == json.loads(DEPLOYED["DLQ_URLS"])


@pytest.mark.parametrize(
    ("reader", "variable"),
    [(reader, name) for reader, env in READERS.items() for name in env()],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_a_missing_variable_is_refused_naming_it(reader, variable):
    # Given the task's environment without one of its variables (no reader has a default to fall back to)
    env = {k: v for k, v in READERS[reader]().items() if k != variable}
    # When it is read / Then the error names the variable
    with pytest.raises(ConfigurationError, match=variable):
        reader.from_env(env)


@pytest.mark.parametrize(
    ("reader", "env", "variable"),
    [
        (DataSettings, {"LATE_EVENT_LOOKBACK_HOURS": "-1"}, "LATE_EVENT_LOOKBACK_HOURS"),
        (DataSettings, {"LATE_EVENT_LOOKBACK_HOURS": "two days"}, "LATE_EVENT_LOOKBACK_HOURS"),
        (DataSettings, {"INGEST_SETTLE_SECONDS": "-30"}, "INGEST_SETTLE_SECONDS"),
        (DataSettings, {"ROLLUP_MAX_CATCHUP_HOURS": "0"}, "ROLLUP_MAX_CATCHUP_HOURS"),
        (TrendsSettings, {"TRENDS_TOP_N": "0"}, "TRENDS_TOP_N"),
        (AlertsSettings, {"DLQ_URLS": "[1]"}, "DLQ_URLS"),
        (AlertsSettings, {"DLQ_URLS": "{not json"}, "DLQ_URLS"),
        (AlertsSettings, {"DLQ_URLS": '{"video": 3}'}, "DLQ_URLS"),
        (AiBudgetSettings, {"AI_MONTHLY_BUDGET_USD": "-1"}, "AI_MONTHLY_BUDGET_USD"),
        (AiBudgetSettings, {"AI_DAILY_BUDGET_USD": "two dollars"}, "AI_DAILY_BUDGET_USD"),
        (TrendsSettings, {"TREND_SOURCES": '{"name": "x"}'}, "TREND_SOURCES"),
        (TrendsSettings, {"TREND_SOURCES": "nope"}, "TREND_SOURCES"),
        (TrendsSettings, {"TREND_SOURCES": " "}, "TREND_SOURCES"),
    ],
    ids=[
        "negative-lookback",
        "text-lookback",
        "negative-settle",
        "zero-catchup",
        "zero-top-n",
        "dlq-list",
        "dlq-not-json",
        "dlq-not-url",
        "negative-budget",
        "text-budget",
        "sources-object",
        "sources-not-json",
        "sources-blank",
    ],
)
def test_bad_values_are_refused_naming_the_variable(reader, env, variable):
    with pytest.raises(ConfigurationError, match=variable):
        reader.from_env(_env(**env))


@pytest.mark.parametrize(
    "source",
    [
        {"name": "x", "url": "https://x", "kind": "pdf"},
        {"name": "x", "url": "https://x", "kind": "json", "colour": 1},
        "x",
    ],
    ids=["unknown-kind", "unknown-key", "not-an-object"],
)
def test_bad_trend_source_is_refused_when_the_trends_worker_starts(monkeypatch, source):
    for name, value in _env(TREND_SOURCES=json.dumps([source])).items():
        monkeypatch.setenv(name, value)
    runners.reset()
    with pytest.raises(ConfigurationError, match="TREND_SOURCES"):
        runners.for_task("trends", lambda: 60.0)


def test_data_and_alerts_workers_do_not_load_the_page_parsers():
    # Given a fresh interpreter that builds the data and alerts runners and imports their modules
    code = (
        "import sys\n"
        "from cron import runners, rollups, alerts, alerts_store, health, notify\n"
        "runners.for_task('data', lambda: 60.0); runners.for_task('alerts', lambda: 60.0)\n"
        "print(sorted(m for m in ('cron.sources', 'cron.trends', 'feedparser', 'selectolax', 'charset_normalizer', 'xml.etree.ElementTree') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(LAMBDAS), "PATH": "/usr/bin:/bin", **_env()},
    )
    # Then neither the trend sources nor the XML/HTML parsers were imported
    assert out.stdout.strip() == "[]", out.stderr


def test_reset_forgets_settings_and_container_singletons(monkeypatch):
    # Given settings and singletons built for one environment
    for name, value in _env(STAGE="one").items():
        monkeypatch.setenv(name, value)
    first_fetcher = runners._fetcher("ua", ())
    assert alerts_settings().stage == "one"
    # When the environment changes and the runners are reset
    monkeypatch.setenv("STAGE", "two")
    runners.reset()
    # Then the next reads see the new environment and build new singletons
    assert alerts_settings().stage == "two"
    assert runners._fetcher("ua", ()) is not first_fetcher
