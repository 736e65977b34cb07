"""Every cron test starts and ends without cached settings or container singletons; the data worker's handler."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_cron_singletons() -> Iterator[None]:
    from cron import runners

    runners.reset()
    yield
    runners.reset()


@pytest.fixture
def data_worker(database_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The cron function deployed as the data worker (its stage environment, the test database), as its handler."""
    from tools import function_env

    for name, value in function_env.data().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TASK", "data")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("LATE_EVENT_LOOKBACK_HOURS", "48")
    monkeypatch.setenv("INGEST_SETTLE_SECONDS", "60")
    monkeypatch.setenv("MAX_RECEIVE_COUNT", "3")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "HuntazeTest")
    from cron import handler, settings

    settings.reset()
    yield handler.lambda_handler
    settings.reset()
