"""The AI spend ledger on real PostgreSQL: all-or-none reservations, settles applied once, the usage read back."""

from __future__ import annotations

import uuid

import pytest

from common import ai_spend

TODAY = "(now() AT TIME ZONE 'UTC')::date"


def _ledger(db_conn) -> dict:
    rows = db_conn.execute("SELECT scope, reserved, spent FROM ai_spend ORDER BY scope").fetchall()
    return {r["scope"]: (r["reserved"], r["spent"]) for r in rows}


def _call(cost: int, caller: str = "alice", job_id=None) -> ai_spend.Call:
    return ai_spend.Call(caller, "ai_route", "DeepSeek-V3", 10, 20, 5, 1, cost, job_id)


def test_a_reservation_is_held_on_every_budget_or_on_none(db_conn):
    budgets = [ai_spend.Budget("global", 1000), ai_spend.Budget(ai_spend.caller_scope("alice"), 100)]
    held = ai_spend.reserve(db_conn, budgets, 60)
    assert held.amount == 60 and _ledger(db_conn) == {"caller:alice": (60, 0), "global": (60, 0)}
    # When the caller's budget has no room for a second one
    with pytest.raises(ai_spend.BudgetExceeded) as over:
        ai_spend.reserve(db_conn, budgets, 41)
    # Then it names that budget and what was committed, and the global budget holds nothing more
    assert (over.value.budget.scope, over.value.committed) == ("caller:alice", 60)
    assert str(over.value) == "caller:alice: 60 of 100 committed"
    assert _ledger(db_conn) == {"caller:alice": (60, 0), "global": (60, 0)}
    # And exactly the room left is taken
    ai_spend.reserve(db_conn, budgets, 40)
    assert _ledger(db_conn) == {"caller:alice": (100, 0), "global": (100, 0)}


def test_a_reservation_larger_than_a_budget_is_refused_on_a_fresh_day(db_conn):
    with pytest.raises(ai_spend.BudgetExceeded) as over:
        ai_spend.reserve(db_conn, [ai_spend.Budget("global", 100)], 101)
    assert over.value.committed == 0 and _ledger(db_conn) == {}
    ai_spend.reserve(db_conn, [ai_spend.Budget("global", 100)], 100)
    assert _ledger(db_conn) == {"global": (100, 0)}


def test_settling_moves_the_held_amount_to_spent_records_the_call_and_applies_once(db_conn):
    job = uuid.uuid4()
    db_conn.execute("INSERT INTO jobs (id, task, owner) VALUES (%s, 'video', 'alice')", (job,))
    budgets = [ai_spend.Budget("global", 1000), ai_spend.Budget("caller:alice", 1000)]
    held = ai_spend.reserve(db_conn, budgets, 300)
    assert ai_spend.settle(db_conn, held, _call(120, job_id=job)) is True
    assert _ledger(db_conn) == {"caller:alice": (0, 120), "global": (0, 120)}
    row = db_conn.execute("SELECT * FROM ai_calls").fetchone()
    assert (row["caller"], row["task"], row["model"], row["prompt_tokens"], row["completion_tokens"]) == (
        "alice",
        "ai_route",
        "DeepSeek-V3",
        10,
        20,
    )
    assert (row["reasoning_tokens"], row["images"], row["cost_micro_usd"], row["job_id"]) == (5, 1, 120, job)
    usage = db_conn.execute("SELECT model, requests, prompt_tokens, completion_tokens FROM ai_usage_daily").fetchall()
    assert usage == [{"model": "DeepSeek-V3", "requests": 1, "prompt_tokens": 10, "completion_tokens": 20}]
    # A second settle of the same reservation changes nothing
    assert ai_spend.settle(db_conn, held, _call(120)) is False
    assert _ledger(db_conn)["global"] == (0, 120)
    # A second call adds to the day's usage
    ai_spend.settle(db_conn, ai_spend.reserve(db_conn, budgets, 300), _call(80))
    usage = db_conn.execute("SELECT requests, prompt_tokens, completion_tokens FROM ai_usage_daily").fetchone()
    assert usage == {"requests": 2, "prompt_tokens": 20, "completion_tokens": 40}


def test_releasing_gives_the_hold_back_and_records_no_call(db_conn):
    held = ai_spend.reserve(db_conn, [ai_spend.Budget("global", 1000)], 300)
    assert ai_spend.settle(db_conn, held, None) is True
    assert _ledger(db_conn) == {"global": (0, 0)}
    assert db_conn.execute("SELECT count(*) AS n FROM ai_calls").fetchone()["n"] == 0


def test_committed_today_counts_spent_and_held_and_zero_for_untouched_scopes(db_conn):
    db_conn.execute(f"INSERT INTO ai_spend (day, scope, spent, reserved) VALUES ({TODAY}, 'global', 70, 30)")
    db_conn.execute(f"INSERT INTO ai_spend (day, scope, spent) VALUES ({TODAY} - 1, 'caller:bob', 999)")
    assert ai_spend.committed_today(db_conn, ["global", "caller:bob"]) == {"global": 100, "caller:bob": 0}


def test_spend_by_caller_is_this_months_split_into_today(db_conn):
    rows = [
        ("alice", f"{TODAY}", 100),
        ("alice", f"{TODAY}", 50),
        ("bob", f"{TODAY}", 7),
        ("alice", f"date_trunc('month', {TODAY})::date", 1000),
        ("alice", f"date_trunc('month', {TODAY})::date - 1", 5000),
    ]
    for caller, day, cost in rows:
        db_conn.execute(
            f"INSERT INTO ai_calls (day, caller, task, model, prompt_tokens, completion_tokens, cost_micro_usd) "
            f"VALUES ({day}, %s, 'video', 'm', 1, 1, %s)",
            (caller, cost),
        )
    first_of_month = db_conn.execute(f"SELECT {TODAY} = date_trunc('month', {TODAY})::date AS f").fetchone()["f"]
    alice_today = 1150 if first_of_month else 150
    assert ai_spend.spend_by_caller(db_conn, "alice") == [{"caller": "alice", "today": alice_today, "month": 1150}]
    assert ai_spend.spend_by_caller(db_conn, None) == [
        {"caller": "alice", "today": alice_today, "month": 1150},
        {"caller": "bob", "today": 7, "month": 7},
    ]
    assert ai_spend.spend_by_caller(db_conn, "carol") == []


def test_a_jobs_owner_is_who_its_spend_is_charged_to(db_conn):
    owned, unowned = uuid.uuid4(), uuid.uuid4()
    db_conn.execute(
        "INSERT INTO jobs (id, task, owner) VALUES (%s, 'video', 'alice'), (%s, 'trends', NULL)", (owned, unowned)
    )
    assert ai_spend.job_owner(db_conn, owned) == "alice"
    assert ai_spend.job_owner(db_conn, unowned) is None
    assert ai_spend.job_owner(db_conn, uuid.uuid4()) is None


def test_ledger_values_cannot_be_changed_once_made():
    import dataclasses
    from datetime import date

    values = [
        ai_spend.Budget("global", 1),
        ai_spend.Reservation(uuid.uuid4(), date(2026, 1, 1), 1),
        _call(1),
    ]
    for value in values:
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.caller = "x"  # type: ignore[misc]
