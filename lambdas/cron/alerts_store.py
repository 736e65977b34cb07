"""SQL of the alert checker: rules, the metrics they read, and `alert_events`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cron.alert_rules import Rule

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class AlertEvent:
    id: int
    rule_id: int
    job_id: uuid.UUID | None
    state: str
    value: Decimal | None
    message: str
    notified: bool
    notified_channels: list[str]
    channel_errors: dict[str, Any]
    created_at: datetime


_EVENT_COLUMNS = "id, rule_id, job_id, state, value, message, notified, notified_channels, channel_errors, created_at"
_METRIC_COLUMNS = {"event_count": "event_count", "value_sum": "value_sum"}


def enabled_rules(conn: psycopg.Connection, names: Sequence[str] | None = None) -> list[Rule]:
    """Every enabled rule, or only the enabled ones among ``names``."""
    from psycopg.rows import class_row

    with conn.transaction(), conn.cursor(row_factory=class_row(Rule)) as cur:
        cur.execute(
            "SELECT id, name, kind, definition, cooldown_seconds, channels FROM alert_rules "
            "WHERE enabled AND (%(names)s::text[] IS NULL OR name = ANY (%(names)s::text[])) ORDER BY id",
            {"names": list(names) if names is not None else None},
        )
        return cur.fetchall()


def existing_rule_names(conn: psycopg.Connection, names: Sequence[str]) -> set[str]:
    """Those of ``names`` that name a rule, enabled or not."""
    with conn.transaction():
        rows = conn.execute("SELECT name FROM alert_rules WHERE name = ANY (%s::text[])", (list(names),)).fetchall()
    return {_only(row) for row in rows}


class SqlMetrics:
    """The rollup and job-history parts of `alert_rules.Metrics`."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def rollup_sum(
        self,
        *,
        metric: str,
        event_type: str,
        account_id: str | None,
        content_id: str | None,
        start: datetime,
        end: datetime,
    ) -> Decimal:
        column = _METRIC_COLUMNS[metric]
        with self.conn.transaction():
            row = self.conn.execute(
                f"SELECT coalesce(sum({column}), 0) AS total FROM content_rollups_hourly "
                "WHERE event_type = %(event_type)s AND bucket_start >= %(start)s AND bucket_start < %(end)s "
                "AND (%(account_id)s::text IS NULL OR account_id = %(account_id)s) "
                "AND (%(content_id)s::text IS NULL OR content_id = %(content_id)s)",
                {
                    "event_type": event_type,
                    "start": start,
                    "end": end,
                    "account_id": account_id,
                    "content_id": content_id,
                },
            ).fetchone()
        return Decimal(_only(row))

    def failed_jobs(self, *, task: str | None, start: datetime, end: datetime) -> int:
        # updated_at is finished_at for a failed job, and it is indexed with status.
        with self.conn.transaction():
            row = self.conn.execute(
                "SELECT count(*) FROM jobs WHERE status = 'failed' AND updated_at >= %(start)s AND updated_at < %(end)s "
                "AND (%(task)s::text IS NULL OR task = %(task)s)",
                {"task": task, "start": start, "end": end},
            ).fetchone()
        return int(_only(row))


@contextmanager
def rule_lock(conn: psycopg.Connection, rule_id: int) -> Iterator[bool]:
    """A transaction holding the rule's row lock; yields False if the rule was deleted meanwhile.

    FOR NO KEY UPDATE conflicts with itself (so evaluation runs of one rule
    queue up) but not with the key-share lock that inserting an alert_event
    takes through its foreign key, nor with readers.
    """
    with conn.transaction():
        row = conn.execute("SELECT id FROM alert_rules WHERE id = %s FOR NO KEY UPDATE", (rule_id,)).fetchone()
        yield row is not None


def event_of_run(conn: psycopg.Connection, rule_id: int, job_id: uuid.UUID) -> AlertEvent | None:
    """The event this evaluation run already recorded (a retried run finds it)."""
    return _one(
        conn, f"SELECT {_EVENT_COLUMNS} FROM alert_events WHERE rule_id = %s AND job_id = %s", (rule_id, job_id)
    )


def last_event(conn: psycopg.Connection, rule_id: int) -> AlertEvent | None:
    return _one(
        conn,
        f"SELECT {_EVENT_COLUMNS} FROM alert_events WHERE rule_id = %s ORDER BY created_at DESC, id DESC LIMIT 1",
        (rule_id,),
    )


def last_notified_at(conn: psycopg.Connection, rule_id: int, *, other_than_job: uuid.UUID) -> datetime | None:
    with conn.transaction():
        row = conn.execute(
            "SELECT max(created_at) FROM alert_events WHERE rule_id = %s AND notified AND job_id IS DISTINCT FROM %s",
            (rule_id, other_than_job),
        ).fetchone()
    return _only(row)


def record_event(
    conn: psycopg.Connection,
    *,
    rule_id: int,
    job_id: uuid.UUID,
    state: str,
    value: Decimal | None,
    message: str,
    at: datetime,
    notify: bool,
) -> AlertEvent:
    """Insert the run's event (timed at the evaluation time); one per rule and run.

    ``notify`` claims the notification: ``notified`` is set before anything
    is sent, so a concurrent run sees the cooldown start at once.
    """
    with conn.transaction():
        conn.execute(
            "INSERT INTO alert_events (rule_id, job_id, state, value, message, created_at, notified) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (rule_id, job_id) DO NOTHING",
            (rule_id, job_id, state, value, message, at, notify),
        )
    event = event_of_run(conn, rule_id, job_id)
    assert event is not None
    return event


def mark_delivered(conn: psycopg.Connection, event_id: int, channel: str) -> None:
    with conn.transaction():
        conn.execute(
            "UPDATE alert_events SET notified = true, channel_errors = channel_errors - %(channel)s, "
            "notified_channels = array_append(array_remove(notified_channels, %(channel)s), %(channel)s) "
            "WHERE id = %(id)s",
            {"channel": channel, "id": event_id},
        )


def mark_failed(conn: psycopg.Connection, event_id: int, channel: str, error: str) -> None:
    with conn.transaction():
        conn.execute(
            "UPDATE alert_events SET channel_errors = channel_errors || jsonb_build_object(%s::text, %s::text) WHERE id = %s",
            (channel, error[:500], event_id),
        )


def _one(conn: psycopg.Connection, query: str, params: tuple[Any, ...]) -> AlertEvent | None:
    from psycopg.rows import class_row

    with conn.transaction(), conn.cursor(row_factory=class_row(AlertEvent)) as cur:
        cur.execute(query, params)
        return cur.fetchone()


def _only(row: Any) -> Any:
    # Tuple or dict rows, depending on the connection's row factory.
    return next(iter(row.values())) if isinstance(row, dict) else row[0]
