"""Every cron test starts and ends without cached settings or container singletons."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_cron_singletons() -> Iterator[None]:
    from cron import runners

    runners.reset()
    yield
    runners.reset()
