"""SQL of the alert checker: rules (applied from the rules file), their states, and `alert_events`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cron.alert_state import State
from cron.rule_file import RuleSpec

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    kind: str
    definition: dict[str, Any]
    severity: str
    channels: list[str]
    runbook: str | None
    breaches: int
    evaluations: int
    repeat_interval_seconds: int
    keep_firing_seconds: int


@dataclass(frozen=True)
class PendingEvent:
    """An event still owed to a channel, with what its message needs."""

    id: int
    rule: str
    severity: str
    runbook: str | None
    state: str
    message: str
    firing_since: datetime | None
    created_at: datetime


_RULE_COLUMNS = (
    "id, name, kind, definition, severity, channels, runbook, breaches, evaluations, "
    "repeat_interval_seconds, keep_firing_seconds"
)
_STATE_COLUMNS = "state, since, recent, window_end, firing_since, clear_since, notified_at, value, message"


def apply_rules(conn: psycopg.Connection, specs: Sequence[RuleSpec]) -> None:
    """Make ``alert_rules`` what the rules file says: upsert by name, delete the rest.

    A changed rule keeps its state; a rule disabled (or removed) loses it, so
    re-enabling it starts from ``ok`` and never sends a stale RESOLVED. A
    disabled rule whose firing was told gets its RESOLVED now ("disabled"),
    delivered by this run: the channel's last word is not FIRING.
    """
    from psycopg.types.json import Jsonb

    rows = [
        (
            s.name,
            s.kind,
            Jsonb(s.definition),
            s.severity,
            list(s.channels),
            s.runbook,
            s.breaches,
            s.evaluations,
            s.repeat_interval_seconds,
            s.keep_firing_seconds,
            s.enabled,
        )
        for s in specs
    ]
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO alert_rules (name, kind, definition, severity, channels, runbook, breaches, evaluations, "
            "repeat_interval_seconds, keep_firing_seconds, enabled) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, definition = EXCLUDED.definition, "
            "severity = EXCLUDED.severity, channels = EXCLUDED.channels, runbook = EXCLUDED.runbook, "
            "breaches = EXCLUDED.breaches, evaluations = EXCLUDED.evaluations, "
            "repeat_interval_seconds = EXCLUDED.repeat_interval_seconds, "
            "keep_firing_seconds = EXCLUDED.keep_firing_seconds, enabled = EXCLUDED.enabled, updated_at = now() "
            "WHERE (alert_rules.kind, alert_rules.definition, alert_rules.severity, alert_rules.channels, "
            "alert_rules.runbook, alert_rules.breaches, alert_rules.evaluations, alert_rules.repeat_interval_seconds, "
            "alert_rules.keep_firing_seconds, alert_rules.enabled) IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.definition, "
            "EXCLUDED.severity, EXCLUDED.channels, EXCLUDED.runbook, EXCLUDED.breaches, EXCLUDED.evaluations, "
            "EXCLUDED.repeat_interval_seconds, EXCLUDED.keep_firing_seconds, EXCLUDED.enabled)",
            rows,
        )
        cur.execute("DELETE FROM alert_rules WHERE NOT (name = ANY (%s::text[]))", ([s.name for s in specs],))
        cur.execute(
            "INSERT INTO alert_events (rule_id, state, value, message, channels, firing_since) "
            "SELECT r.id, 'resolved', s.value, 'the rule was disabled while firing', r.channels, s.firing_since "
            "FROM alert_rule_states s JOIN alert_rules r ON r.id = s.rule_id "
            "WHERE NOT r.enabled AND s.firing_since IS NOT NULL AND s.notified_at IS NOT NULL"
        )
        cur.execute("DELETE FROM alert_rule_states s USING alert_rules r WHERE r.id = s.rule_id AND NOT r.enabled")


def enabled_rules(conn: psycopg.Connection, names: Sequence[str] | None = None) -> list[Rule]:
    """Every enabled rule, or only the enabled ones among ``names``."""
    from psycopg.rows import class_row

    with conn.transaction(), conn.cursor(row_factory=class_row(Rule)) as cur:
        cur.execute(
            f"SELECT {_RULE_COLUMNS} FROM alert_rules "
            "WHERE enabled AND (%(names)s::text[] IS NULL OR name = ANY (%(names)s::text[])) ORDER BY id",
            {"names": list(names) if names is not None else None},
        )
        return cur.fetchall()


def existing_rule_names(conn: psycopg.Connection, names: Sequence[str]) -> set[str]:
    """Those of ``names`` that name a rule, enabled or not."""
    with conn.transaction():
        rows = conn.execute("SELECT name FROM alert_rules WHERE name = ANY (%s::text[])", (list(names),)).fetchall()
    return {_only(row) for row in rows}


@contextmanager
def locked_state(conn: psycopg.Connection, rule_id: int) -> Iterator[tuple[State | None, uuid.UUID | None] | None]:
    """A transaction holding the rule's row lock, with its stored state and the run that set it.

    Yields None if the rule was deleted meanwhile. FOR NO KEY UPDATE queues
    evaluation runs of one rule (a scheduled and an on-demand run) without
    blocking readers or the key-share lock of inserting its events.
    """
    from psycopg.rows import dict_row

    with conn.transaction():
        if conn.execute("SELECT id FROM alert_rules WHERE id = %s FOR NO KEY UPDATE", (rule_id,)).fetchone() is None:
            yield None
            return
        with conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                f"SELECT {_STATE_COLUMNS}, last_job_id FROM alert_rule_states WHERE rule_id = %s", (rule_id,)
            ).fetchone()
        if row is None:
            yield None, None
            return
        job = row.pop("last_job_id")
        yield State(**{**row, "recent": tuple(row["recent"])}), job


def save_state(conn: psycopg.Connection, rule_id: int, state: State, *, job_id: uuid.UUID, now: datetime) -> None:
    conn.execute(
        "INSERT INTO alert_rule_states (rule_id, state, since, recent, window_end, firing_since, clear_since, "
        "notified_at, value, message, evaluated_at, last_job_id) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (rule_id) DO UPDATE SET "
        "state = EXCLUDED.state, since = EXCLUDED.since, recent = EXCLUDED.recent, window_end = EXCLUDED.window_end, "
        "firing_since = EXCLUDED.firing_since, clear_since = EXCLUDED.clear_since, notified_at = EXCLUDED.notified_at, "
        "value = EXCLUDED.value, message = EXCLUDED.message, evaluated_at = EXCLUDED.evaluated_at, "
        "last_job_id = EXCLUDED.last_job_id",
        (
            rule_id,
            state.state,
            state.since,
            list(state.recent),
            state.window_end,
            state.firing_since,
            state.clear_since,
            state.notified_at,
            state.value,
            state.message[:2000],
            now,
            job_id,
        ),
    )


def record_event(
    conn: psycopg.Connection,
    *,
    rule_id: int,
    job_id: uuid.UUID,
    kind: str,
    state: State,
    channels: Sequence[str],
    firing_since: datetime | None,
    now: datetime,
) -> None:
    """The run's event for a rule (at most one per rule and run), stamped with the wall clock."""
    conn.execute(
        "INSERT INTO alert_events (rule_id, job_id, state, value, message, created_at, channels, firing_since, notified) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, false) ON CONFLICT (rule_id, job_id) DO NOTHING",
        (rule_id, job_id, kind, state.value, state.message[:2000], now, list(channels), firing_since),
    )


@contextmanager
def undelivered(conn: psycopg.Connection, channel: str) -> Iterator[list[PendingEvent]]:
    """A transaction holding every event still owed to ``channel`` (this run's and earlier runs').

    The rows stay locked while the message is sent; an overlapping run skips
    them instead of sending them twice.
    """
    from psycopg.rows import class_row

    with conn.transaction(), conn.cursor(row_factory=class_row(PendingEvent)) as cur:
        cur.execute(
            "SELECT e.id, r.name AS rule, r.severity, r.runbook, e.state, e.message, e.firing_since, e.created_at "
            "FROM alert_events e JOIN alert_rules r ON r.id = e.rule_id "
            "WHERE NOT (e.channels <@ e.notified_channels) AND %(c)s = ANY (e.channels) "
            "AND NOT (%(c)s = ANY (e.notified_channels)) ORDER BY e.id FOR UPDATE OF e SKIP LOCKED",
            {"c": channel},
        )
        yield cur.fetchall()


def mark_delivered(conn: psycopg.Connection, event_ids: Sequence[int], channel: str) -> None:
    conn.execute(
        "UPDATE alert_events SET notified = true, channel_errors = channel_errors - %(c)s, "
        "notified_channels = array_append(array_remove(notified_channels, %(c)s), %(c)s) WHERE id = ANY (%(ids)s)",
        {"c": channel, "ids": list(event_ids)},
    )


def mark_failed(conn: psycopg.Connection, event_ids: Sequence[int], channel: str, error: str) -> None:
    conn.execute(
        "UPDATE alert_events SET channel_errors = channel_errors || jsonb_build_object(%s::text, %s::text) "
        "WHERE id = ANY (%s)",
        (channel, error[:500], list(event_ids)),
    )


def _only(row: Any) -> Any:
    # Tuple or dict rows, depending on the connection's row factory.
    return next(iter(row.values())) if isinstance(row, dict) else row[0]
