"""One analytics event as a client sends it, and the rules it must meet beyond its shape.

Shared by every way events come in (the API's batches now, bulk files later),
so they accept and refuse the same events for the same reasons. An event that
breaks a rule is refused alone, with every problem named: it never sinks the
events sent with it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from common.schema import Field, Problem, Shape

# An event is accepted only this far inside the look-back, so the next scheduled
# rollup (every 15 minutes; its window starts on an hour) still counts it.
LOOKBACK_MARGIN = timedelta(hours=1)
# Clock skew allowed between the client and us.
FUTURE_SKEW = timedelta(minutes=5)
# RFC 3339 with a zone: what `occurredAt` must be (a naive time would be ambiguous).
RFC3339 = r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[Zz]|[+-]\d{2}:\d{2})"

EVENT = Shape(
    "Event",
    "One analytics event. `eventType` must be one of this stage's event types; `occurredAt` no older than the "
    "data rollups' look-back window (less one hour) and no more than 5 minutes ahead.",
    {
        "eventId": Field(
            "string",
            "The client's id for the event, unique within its account: a resent event with the same id is a duplicate.",
            required=True,
            low=1,
            high=128,
            pattern=r"[!-~]+",
            example="3f1c2a9e-7d41-4c8e-9a55-1b2f0c6d8e70",
        ),
        "accountId": Field(
            "string",
            "The account the event belongs to: one the caller's token lists, or any for an operator.",
            required=True,
            low=1,
            high=128,
            # No spaces, commas or brackets: the characters a JWT claim's list is split on.
            pattern=r"[A-Za-z0-9._:@/-]+",
            example="acct-42",
        ),
        "contentId": Field("string", "The content item.", required=True, low=1, high=256, example="post-9001"),
        "eventType": Field("string", "One of this stage's event types.", required=True, low=1, high=64, example="view"),
        "value": Field("number", "What the event counts (default 1).", low=0, high=1e12, example=1),
        "occurredAt": Field(
            "string",
            "When it happened (RFC 3339, with a zone).",
            required=True,
            pattern=RFC3339,
            example="2026-11-30T08:00:00Z",
        ),
    },
)


@dataclass(frozen=True)
class Event:
    event_id: str
    account_id: str
    content_id: str
    event_type: str
    value: Decimal
    occurred_at: datetime


@dataclass(frozen=True)
class EventRules:
    """What an event must meet besides its shape, at one moment."""

    types: Collection[str]
    lookback: timedelta
    now: datetime
    may_write: Callable[[str], bool]  # whether the sender may write this account's events

    @property
    def oldest(self) -> datetime:
        return self.now - max(self.lookback - LOOKBACK_MARGIN, timedelta(0))

    def check(self, raw: Any, where: str) -> Event | list[Problem]:
        """The event, or every problem with it (paths under `where`, as `events[3].occurredAt`)."""
        problems: list[Problem] = []
        body = EVENT.collect(raw, where, problems)
        if problems:
            return problems
        path = f"{where}.{{}}".format
        if body["eventType"] not in self.types:
            problems.append(Problem(path("eventType"), f"must be one of {', '.join(self.types)}"))
        occurred = _parse_time(body["occurredAt"])
        if occurred is None:
            problems.append(Problem(path("occurredAt"), "is not a real calendar time"))
        elif occurred < self.oldest:
            problems.append(
                Problem(
                    path("occurredAt"),
                    f"is older than the rollups' look-back window ({_hours(self.lookback - LOOKBACK_MARGIN)} hours): "
                    "it would never be counted",
                )
            )
        elif occurred > self.now + FUTURE_SKEW:
            problems.append(Problem(path("occurredAt"), "is in the future"))
        if not self.may_write(body["accountId"]):
            problems.append(Problem(path("accountId"), "is not an account this token may write events for"))
        if problems:
            return problems
        return Event(
            event_id=body["eventId"],
            account_id=body["accountId"],
            content_id=body["contentId"],
            event_type=body["eventType"],
            value=Decimal(str(body.get("value", 1))),
            occurred_at=occurred,
        )


def _parse_time(text: str) -> datetime | None:
    """The time of an RFC 3339 string (its form already checked); None for no such time: month 13, offset +99:00."""
    try:
        return datetime.fromisoformat(text.upper())
    except ValueError:
        return None


def _hours(delta: timedelta) -> int:
    return max(int(delta.total_seconds() // 3600), 0)
