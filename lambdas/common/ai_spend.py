"""The AI spend ledger's data access: reserve a call's worst case, settle its real cost, record the call.

A reservation holds its amount against several budgets at once (the stage's
daily budget and the caller's), all or none, in one transaction. Scopes are
taken in a fixed order, so two reservations never deadlock. Amounts are
micro-dollars (`common.ai_prices`). Settling moves the held amount to spent,
on the reservation's day, and writes the call's row (`ai_calls`) in the same
transaction, so a retried settle is applied once. Rows are read as dicts (the
connections of `common.db` and the tests use `dict_row`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

GLOBAL_SCOPE = "global"
CALLER_PREFIX = "caller:"


def caller_scope(caller: str) -> str:
    return f"{CALLER_PREFIX}{caller}"


@dataclass(frozen=True)
class Budget:
    scope: str
    limit: int  # micro-USD a UTC day


@dataclass(frozen=True)
class Reservation:
    id: uuid.UUID
    day: date
    amount: int


@dataclass(frozen=True)
class Call:
    """One answered model call, as recorded."""

    caller: str
    task: str  # ai_route | video | trends
    model: str
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    images: int
    cost: int  # micro-USD
    job_id: uuid.UUID | None = None


class BudgetExceeded(Exception):
    def __init__(self, budget: Budget, committed: int) -> None:
        super().__init__(f"{budget.scope}: {committed} of {budget.limit} committed")
        self.budget = budget
        self.committed = committed  # spent plus held by calls in flight


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


def settle(conn: psycopg.Connection, reservation: Reservation, call: Call | None) -> bool:
    """Replace the held amount by the call's real cost, on the reservation's day; False if settled already.

    `call=None` releases a reservation whose call used nothing (it failed).
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
            (reservation.amount, 0 if call is None else call.cost, reservation.day, _first(row)),
        )
        if call is not None:
            _record(conn, reservation.day, call)
    return True


def _record(conn: psycopg.Connection, day: date, call: Call) -> None:
    conn.execute(
        "INSERT INTO ai_calls (day, caller, task, model, prompt_tokens, completion_tokens, reasoning_tokens, "
        "images, cost_micro_usd, job_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            day,
            call.caller,
            call.task,
            call.model,
            call.prompt_tokens,
            call.completion_tokens,
            call.reasoning_tokens,
            call.images,
            call.cost,
            call.job_id,
        ),
    )
    conn.execute(
        "INSERT INTO ai_usage_daily (day, model, requests, prompt_tokens, completion_tokens) "
        "VALUES (%s, %s, 1, %s, %s) "
        "ON CONFLICT (day, model) DO UPDATE SET requests = ai_usage_daily.requests + 1, "
        "prompt_tokens = ai_usage_daily.prompt_tokens + EXCLUDED.prompt_tokens, "
        "completion_tokens = ai_usage_daily.completion_tokens + EXCLUDED.completion_tokens, updated_at = now()",
        (day, call.model, call.prompt_tokens, call.completion_tokens),
    )


def committed_today(conn: psycopg.Connection, scopes: Sequence[str]) -> dict[str, int]:
    """Spent plus held today (UTC) in each scope (0 for a scope with nothing yet)."""
    with conn.transaction():
        rows = conn.execute(
            "SELECT scope, reserved + spent AS committed FROM ai_spend "
            "WHERE day = (now() AT TIME ZONE 'UTC')::date AND scope = ANY(%s)",
            (list(scopes),),
        ).fetchall()
    found = {r["scope"]: int(r["committed"]) for r in rows}
    return {scope: found.get(scope, 0) for scope in scopes}


def spend_by_caller(conn: psycopg.Connection, caller: str | None) -> list[dict[str, Any]]:
    """Each caller's settled spend (micro-USD) today and this month (UTC), by caller; one caller's if named."""
    with conn.transaction():
        rows = conn.execute(
            "SELECT caller, "
            "COALESCE(sum(cost_micro_usd) FILTER (WHERE day = (now() AT TIME ZONE 'UTC')::date), 0) AS today, "
            "sum(cost_micro_usd) AS month FROM ai_calls "
            "WHERE day >= date_trunc('month', now() AT TIME ZONE 'UTC')::date "
            "AND (%(caller)s::text IS NULL OR caller = %(caller)s) GROUP BY caller ORDER BY caller",
            {"caller": caller},
        ).fetchall()
    return [{"caller": r["caller"], "today": int(r["today"]), "month": int(r["month"])} for r in rows]


def job_owner(conn: psycopg.Connection, job_id: uuid.UUID) -> str | None:
    """Who created the job (the caller its AI spend is charged to); None for a scheduled or S3-direct job."""
    with conn.transaction():
        row = conn.execute("SELECT owner FROM jobs WHERE id = %s", (job_id,)).fetchone()
    return None if row is None else row["owner"]


def _committed(conn: psycopg.Connection, day: date, scope: str) -> int:
    row = conn.execute(
        "SELECT COALESCE(sum(reserved + spent), 0) FROM ai_spend WHERE day = %s AND scope = %s", (day, scope)
    ).fetchone()
    return int(_first(row))


def _first(row: dict[str, Any]) -> Any:
    return next(iter(row.values()))
