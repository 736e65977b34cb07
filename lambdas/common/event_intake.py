"""Judge each event of a batch on its own, write the good ones in one statement, report each.

Every way events come in (POST /v1/events, the NDJSON files of the imports
worker) goes through here, so they accept, refuse and deduplicate the same
events for the same reasons. A bad event is reported (every problem, each
naming its field) and the rest are written; an event already stored, or
repeated within the batch, is a duplicate, so a client may resend a whole
batch, and a file may be imported again, without counting anything twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from common import event_store
from common.events import Event, EventRules
from common.schema import storable

Connect = Callable[[], AbstractContextManager[Any]]
STATUSES = ("accepted", "duplicate", "rejected")


def events_path(index: int) -> str:
    return f"events[{index}]"


def judge_and_write(
    raw_events: Sequence[Any],
    *,
    rules: EventRules,
    connection: Connect,
    where: Callable[[int], str] = events_path,
) -> list[dict[str, Any]]:
    """One result per event, in order: its status (accepted, duplicate, rejected) and, if rejected, its problems."""
    results: list[dict[str, Any]] = [_result(i, raw) for i, raw in enumerate(raw_events)]
    first: dict[tuple[str, str], int] = {}
    fresh: list[Event] = []
    for i, raw in enumerate(raw_events):
        checked = rules.check(raw, where(i))
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
    return results


def totals(results: Sequence[dict[str, Any]]) -> dict[str, int]:
    """accepted / duplicates / rejected counts of `judge_and_write`'s results."""
    counts = {status: 0 for status in STATUSES}
    for r in results:
        counts[r["status"]] += 1
    return {"accepted": counts["accepted"], "duplicates": counts["duplicate"], "rejected": counts["rejected"]}


def _result(index: int, raw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"index": index}
    event_id = raw.get("eventId") if isinstance(raw, dict) else None
    if isinstance(event_id, str):
        out["eventId"] = storable(event_id, 128)
    return out
