"""The `webhook_deliveries` / `webhook_attempts` tables: one delivery per event and endpoint, each attempt recorded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

MAX_ERROR_CHARS = 1000
_DELIVERY_COLUMNS = ("message_id", "endpoint", "status", "attempts", "payload")


@dataclass(frozen=True)
class Delivery:
    message_id: str
    endpoint: str
    status: str  # pending | delivered | failed
    attempts: int
    payload: dict[str, Any]


def open_delivery(
    conn: psycopg.Connection,
    *,
    message_id: str,
    endpoint: str,
    job_id: uuid.UUID,
    event_type: str,
    payload: dict[str, Any],
) -> Delivery:
    """The delivery of this event to this endpoint, created with `payload` on first sight (later payloads are ignored)."""
    from psycopg.types.json import Jsonb

    with conn.transaction():
        conn.execute(
            "INSERT INTO webhook_deliveries (message_id, endpoint, job_id, event_type, payload) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (message_id, endpoint) DO NOTHING",
            (message_id, endpoint, job_id, event_type, Jsonb(payload)),
        )
    found = find_delivery(conn, message_id, endpoint)
    assert found is not None  # inserted, or already there, in this transaction
    return found


def find_delivery(conn: psycopg.Connection, message_id: str, endpoint: str) -> Delivery | None:
    with conn.transaction():
        row = conn.execute(
            "SELECT message_id, endpoint, status, attempts, payload FROM webhook_deliveries "
            "WHERE message_id = %s AND endpoint = %s",
            (message_id, endpoint),
        ).fetchone()
    return None if row is None else Delivery(**_as_dict(row, _DELIVERY_COLUMNS))


def record_attempt(
    conn: psycopg.Connection,
    delivery: Delivery,
    *,
    job_id: uuid.UUID,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    last: bool,
) -> str:
    """Append the attempt and move the delivery: delivered on success, failed after the last, else pending."""
    status = "delivered" if error is None else ("failed" if last else "pending")
    with conn.transaction():
        row = conn.execute(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, status = %s, updated_at = now(), "
            "delivered_at = CASE WHEN %s = 'delivered' THEN now() END "
            "WHERE message_id = %s AND endpoint = %s RETURNING attempts",
            (status, status, delivery.message_id, delivery.endpoint),
        ).fetchone()
        attempt = _as_dict(row, ("attempts",))["attempts"]
        conn.execute(
            "INSERT INTO webhook_attempts (message_id, endpoint, job_id, attempt, status_code, error, duration_ms) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                delivery.message_id,
                delivery.endpoint,
                job_id,
                attempt,
                status_code,
                None if error is None else error[:MAX_ERROR_CHARS],
                duration_ms,
            ),
        )
    return status


def _as_dict(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return row if isinstance(row, dict) else dict(zip(names, row, strict=True))
