"""POST /v1/events: the caller's rules (its token's accounts) and the batch through `common.event_intake`.

A bad event is reported (every problem, each naming its field) and the rest
are written; an event already stored, or repeated within the batch, is a
duplicate, so a client may resend a whole batch after a lost answer.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from common import event_intake
from common.event_intake import Connect
from common.events import EventRules
from router.access import may_write_account
from router.settings import RouterSettings


def rules_for(claims: Mapping[str, Any], settings: RouterSettings, now: datetime | None = None) -> EventRules:
    return EventRules(
        types=settings.event_types,
        lookback=settings.event_lookback,
        now=now or datetime.now(UTC),
        # Asked once per event: a batch names few accounts, so each is judged once.
        may_write=functools.cache(lambda account: may_write_account(claims, settings, account)),
    )


def ingest_batch(raw_events: list[Any], *, rules: EventRules, connection: Connect) -> dict[str, Any]:
    """Per event: accepted, duplicate or rejected (with its problems), and the totals."""
    results = event_intake.judge_and_write(raw_events, rules=rules, connection=connection)
    return {**event_intake.totals(results), "results": results}
