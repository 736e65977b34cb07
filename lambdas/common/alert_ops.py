"""The operator's view of alerting: every rule's state, and silences / maintenance windows.

Shared by the alerts worker (which rules are muted now), the ops function
(the CLI) and the router's operator route, so the three agree. A silence
names one rule; one without a rule is a maintenance window muting them all.
Both expire on their own (``ends_at``); muted rules keep being evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

MAX_SILENCE = timedelta(days=14)


class SilenceError(ValueError):
    """A silence request that cannot be accepted (the message says why)."""


def rule_states(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every rule with its state (``unknown`` before its first evaluation) and whether it is muted now."""
    with conn.transaction():
        rows = conn.execute(
            "SELECT r.name, r.kind, r.severity, r.enabled, r.channels, r.runbook, "
            "coalesce(s.state, 'unknown') AS state, s.since, s.firing_since, s.value, s.message, s.evaluated_at, "
            "EXISTS (SELECT 1 FROM alert_silences m WHERE (m.rule_name IS NULL OR m.rule_name = r.name) "
            "AND m.starts_at <= now() AND m.ends_at > now()) AS silenced "
            "FROM alert_rules r LEFT JOIN alert_rule_states s ON s.rule_id = r.id ORDER BY r.name"
        ).fetchall()
    return [
        _plain(
            _dict(
                row,
                "name kind severity enabled channels runbook state since firing_since value message evaluated_at silenced",
            )
        )
        for row in rows
    ]


def muted_rules(conn: psycopg.Connection, now: datetime) -> tuple[bool, set[str]]:
    """(a maintenance window is on, the names of the rules silenced one by one) at ``now``."""
    with conn.transaction():
        rows = conn.execute(
            "SELECT rule_name FROM alert_silences WHERE starts_at <= %s AND ends_at > %s", (now, now)
        ).fetchall()
    names = [next(iter(r.values())) if isinstance(r, Mapping) else r[0] for r in rows]
    return any(n is None for n in names), {n for n in names if n is not None}


def add_silence(
    conn: psycopg.Connection,
    *,
    rule: str | None,
    ends_at: datetime,
    reason: str,
    created_by: str,
    starts_at: datetime | None = None,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    starts_at = starts_at or now
    if not reason.strip():
        raise SilenceError("a reason is required")
    if ends_at <= max(starts_at, now):
        raise SilenceError("the silence must end after it starts and in the future")
    if ends_at - starts_at > MAX_SILENCE:
        raise SilenceError(f"a silence lasts at most {MAX_SILENCE.days} days")
    with conn.transaction():
        if rule is not None and conn.execute("SELECT 1 FROM alert_rules WHERE name = %s", (rule,)).fetchone() is None:
            raise SilenceError(f"no alert rule is named {rule!r}")
        row = conn.execute(
            "INSERT INTO alert_silences (rule_name, starts_at, ends_at, reason, created_by) VALUES (%s, %s, %s, %s, %s) "
            "RETURNING id",
            (rule, starts_at, ends_at, reason.strip()[:500], created_by),
        ).fetchone()
    silence_id = next(iter(row.values())) if isinstance(row, Mapping) else row[0]
    return {"id": silence_id, "rule": rule, "startsAt": starts_at, "endsAt": ends_at, "reason": reason.strip()}


def silences(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """The silences not yet ended."""
    with conn.transaction():
        rows = conn.execute(
            "SELECT id, rule_name, starts_at, ends_at, reason, created_by FROM alert_silences "
            "WHERE ends_at > now() ORDER BY starts_at, id"
        ).fetchall()
    return [_plain(_dict(r, "id rule starts_at ends_at reason created_by")) for r in rows]


def expire_silence(conn: psycopg.Connection, silence_id: int) -> bool:
    """End a silence now; False if there is no such silence still on."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE alert_silences SET ends_at = greatest(starts_at + interval '1 microsecond', now()) "
            "WHERE id = %s AND ends_at > now() RETURNING id",
            (silence_id,),
        ).fetchone()
    return row is not None


def _dict(row: Any, names: str) -> dict[str, Any]:
    values = list(row.values()) if isinstance(row, Mapping) else list(row)
    return dict(zip(names.split(), values, strict=True))


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    """camelCase keys and JSON-ready values."""
    out = {}
    for key, value in d.items():
        head, *rest = key.split("_")
        camel = head + "".join(p.capitalize() for p in rest)
        out[camel] = value.isoformat() if isinstance(value, datetime) else str(value) if _is_decimal(value) else value
    return out


def _is_decimal(value: Any) -> bool:
    from decimal import Decimal

    return isinstance(value, Decimal)
