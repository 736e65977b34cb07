"""POST /v1/events: judge each event of a batch on its own, write the good ones in one statement, report each.

A bad event is reported (every problem, each naming its field) and the rest
are written; an event already stored, or repeated within the batch, is a
duplicate, so a client may resend a whole batch after a lost answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from common import event_store
from common.events import Event, EventRules
from common.schema import storable
from router.access import may_write_account
from router.settings import RouterSettings

Connect = Callable[[], AbstractContextManager[Any]]


def rules_for(claims: Mapping[str, Any], settings: RouterSettings, now: datetime | None = None) -> EventRules:
    return EventRules(
        types=settings.event_types,
        lookback=settings.event_lookback,
        now=now or datetime.now(UTC),
        may_write=lambda account: may_write_account(claims, settings, account),
    )


def ingest_batch(raw_events: list[Any], *, rules: EventRules, connection: Connect) -> dict[str, Any]:
    """Per event: accepted, duplicate or rejected (with its problems), and the totals."""
    results: list[dict[str, Any]] = [_result(i, raw) for i, raw in enumerate(raw_events)]
    first: dict[tuple[str, str], int] = {}
    fresh: list[Event] = []
    for i, raw in enumerate(raw_events):
        checked = rules.check(raw, f"events[{i}]")
        if isinstance(checked, list):
            results[i]["status"] = "rejected"
            results[i]["errors"] = [{"field": p.field, "problem": p.problem} for p in checked]
            continue
        key = (checked.account_id, checked.event_id)
        if key in first:
            results[i]["status"] = "duplicate"
            continue
        first[key] = i
        fresh.append(checked)
    written: set[tuple[str, str]] = set()
    if fresh:
        with connection() as conn:
            written = event_store.insert_events(conn, fresh)
    for key, i in first.items():
        results[i]["status"] = "accepted" if key in written else "duplicate"
    totals = {status: sum(r["status"] == status for r in results) for status in ("accepted", "duplicate", "rejected")}
    return {
        "accepted": totals["accepted"],
        "duplicates": totals["duplicate"],
        "rejected": totals["rejected"],
        "results": results,
    }


def _result(index: int, raw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"index": index}
    event_id = raw.get("eventId") if isinstance(raw, dict) else None
    if isinstance(event_id, str):
        out["eventId"] = storable(event_id, 128)
    return out
