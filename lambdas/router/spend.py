"""The spend guard's data access: reserve a request's maximum cost, settle its real cost (`ai_spend`).

A reservation holds its amount against several budgets at once (the global
daily budget and the caller's daily quota), all or none, in one transaction.
Scopes are taken in a fixed order, so two reservations never deadlock. The
amount is in the unit the budgets are in (tokens today); the caller's price
function turns usage into it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

GLOBAL_SCOPE = "global"


def caller_scope(caller: str) -> str:
    return f"caller:{caller}"


@dataclass(frozen=True)
class Budget:
    scope: str
    limit: int


@dataclass(frozen=True)
class Reservation:
    id: uuid.UUID
    day: date
    amount: int


class BudgetExceeded(Exception):
    def __init__(self, budget: Budget, committed: int) -> None:
        super().__init__(f"{budget.scope}: {committed} of {budget.limit} committed")
        self.budget = budget
        self.committed = committed  # spent plus held by requests in flight


def reserve(conn: psycopg.Connection, budgets: Sequence[Budget], amount: int) -> Reservation:
    """Hold `amount` against every budget for today (UTC); `BudgetExceeded` (nothing held) if one has no room."""
    with conn.transaction():
        day = _first(conn.execute("SELECT (now() AT TIME ZONE 'UTC')::date").fetchone())
        for budget in sorted(budgets, key=lambda b: b.scope):
            held = (
                amount <= budget.limit
                and conn.execute(
                    "INSERT INTO ai_spend (day, scope, reserved) VALUES (%(day)s, %(scope)s, %(amount)s) "
                    "ON CONFLICT (day, scope) DO UPDATE SET reserved = ai_spend.reserved + EXCLUDED.reserved, "
                    "updated_at = now() WHERE ai_spend.reserved + ai_spend.spent + EXCLUDED.reserved <= %(limit)s "
                    "RETURNING reserved",
                    {"day": day, "scope": budget.scope, "amount": amount, "limit": budget.limit},
                ).fetchone()
            )
            if not held:
                raise BudgetExceeded(budget, _committed(conn, day, budget.scope))
        reservation_id = _first(
            conn.execute(
                "INSERT INTO ai_spend_reservations (day, scopes, amount) VALUES (%s, %s, %s) RETURNING id",
                (day, [b.scope for b in budgets], amount),
            ).fetchone()
        )
    return Reservation(reservation_id, day, amount)


def settle(
    conn: psycopg.Connection, reservation: Reservation, *, cost: int, model: str | None, usage: tuple[int, int]
) -> bool:
    """Replace the held amount by the real `cost`, on the reservation's day; False if it was settled already.

    `usage` (prompt, completion tokens) goes to the per-model daily report;
    `model=None` releases a reservation whose call used nothing.
    """
    with conn.transaction():
        row = conn.execute(
            "DELETE FROM ai_spend_reservations WHERE id = %s RETURNING scopes", (reservation.id,)
        ).fetchone()
        if row is None:
            return False
        conn.execute(
            "UPDATE ai_spend SET reserved = reserved - %s, spent = spent + %s, updated_at = now() "
            "WHERE day = %s AND scope = ANY(%s)",
            (reservation.amount, max(0, cost), reservation.day, _first(row)),
        )
        if model is not None:
            _record_usage(conn, reservation.day, model, *usage)
    return True


def _record_usage(conn: psycopg.Connection, day: date, model: str, prompt_tokens: int, completion_tokens: int) -> None:
    conn.execute(
        "INSERT INTO ai_usage_daily (day, model, requests, prompt_tokens, completion_tokens) "
        "VALUES (%s, %s, 1, %s, %s) "
        "ON CONFLICT (day, model) DO UPDATE SET requests = ai_usage_daily.requests + 1, "
        "prompt_tokens = ai_usage_daily.prompt_tokens + EXCLUDED.prompt_tokens, "
        "completion_tokens = ai_usage_daily.completion_tokens + EXCLUDED.completion_tokens, updated_at = now()",
        (day, model, max(0, prompt_tokens), max(0, completion_tokens)),
    )


def _committed(conn: psycopg.Connection, day: date, scope: str) -> int:
    row = conn.execute(
        "SELECT COALESCE(sum(reserved + spent), 0) FROM ai_spend WHERE day = %s AND scope = %s", (day, scope)
    ).fetchone()
    return int(_first(row))


def _first(row: object) -> object:
    return next(iter(row.values())) if isinstance(row, dict) else row[0]  # type: ignore[index,union-attr]
