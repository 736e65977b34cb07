"""Cron worker settings: validated like common.settings, and no trend parsers for the other workers."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from common.errors import ConfigurationError
from cron import runners
from cron.settings import CronSettings, cron_settings

LAMBDAS = Path(__file__).resolve().parents[3] / "lambdas"


def test_defaults():
    s = CronSettings.from_env({})
    assert (s.stage, s.trends_top_n, s.late_event_lookback, s.ingest_settle, s.rollup_max_catchup) == (
        "dev",
        20,
        timedelta(hours=48),
        timedelta(seconds=60),
        timedelta(hours=24),
    )
    assert s.trend_sources() == () and s.dlq_urls == {}


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"LATE_EVENT_LOOKBACK_HOURS": "-1"}, "LATE_EVENT_LOOKBACK_HOURS"),
        ({"LATE_EVENT_LOOKBACK_HOURS": "two days"}, "LATE_EVENT_LOOKBACK_HOURS"),
        ({"INGEST_SETTLE_SECONDS": "-30"}, "INGEST_SETTLE_SECONDS"),
        ({"ROLLUP_MAX_CATCHUP_HOURS": "0"}, "ROLLUP_MAX_CATCHUP_HOURS"),
        ({"TRENDS_TOP_N": "0"}, "TRENDS_TOP_N"),
        ({"DLQ_URLS": "[1]"}, "DLQ_URLS"),
        ({"DLQ_URLS": "{not json"}, "DLQ_URLS"),
        ({"DLQ_URLS": '{"video": 3}'}, "DLQ_URLS"),
        ({"TREND_SOURCES": '{"name": "x"}'}, "TREND_SOURCES"),
        ({"TREND_SOURCES": "nope"}, "TREND_SOURCES"),
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
        "sources-object",
        "sources-not-json",
    ],
)
def test_bad_values_are_refused_naming_the_variable(env, variable):
    with pytest.raises(ConfigurationError, match=variable):
        CronSettings.from_env(env)


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
    monkeypatch.setenv("TREND_SOURCES", json.dumps([source]))
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
        env={"PYTHONPATH": str(LAMBDAS), "PATH": "/usr/bin:/bin"},
    )
    # Then neither the trend sources nor the XML/HTML parsers were imported
    assert out.stdout.strip() == "[]", out.stderr


def test_reset_forgets_settings_and_container_singletons(monkeypatch):
    # Given settings and singletons built for one environment
    monkeypatch.setenv("STAGE", "one")
    first_fetcher = runners._fetcher("ua", ())
    assert cron_settings().stage == "one"
    # When the environment changes and the runners are reset
    monkeypatch.setenv("STAGE", "two")
    runners.reset()
    # Then the next reads see the new environment and build new singletons
    assert cron_settings().stage == "two"
    assert runners._fetcher("ua", ()) is not first_fetcher
