"""The AI spend guard on real PostgreSQL: a call reserves its worst case, settles its real cost, or is refused."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime

import pytest

from common import spend_guard
from common.azure_responses import ChatResult, Usage
from common.errors import OverBudget, TransientError
from common.settings import AiBudgetSettings

V3 = "DeepSeek-V3"
BUDGETS = AiBudgetSettings(daily=100_000, caller_daily=10_000, monthly=3_000_000)
NOW = datetime(2026, 11, 30, 23, 59, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _forget_unsettled():
    spend_guard.reset()
    yield
    spend_guard.reset()


def _guard(db_conn, *, metric=None, connection=None, job_id=None, sleep=None, budgets=BUDGETS):
    emitted: list = []
    guard = spend_guard.SpendGuard(
        connection or (lambda: contextlib.nullcontext(db_conn)),
        spend_guard.Spender("alice", "video", job_id),
        budgets,
        metric=metric or (lambda model, usd: emitted.append((model, usd))),
        sleep=sleep or (lambda _s: None),
        now=lambda: NOW,
    )
    return guard, emitted


def _result(prompt=10, completion=990, reasoning=0, total=None) -> ChatResult:
    total = prompt + completion if total is None else total
    return ChatResult(V3, "ok", None, Usage(prompt, completion, total, reasoning), "stop")


def _ledger(db_conn) -> dict:
    rows = db_conn.execute("SELECT scope, reserved, spent FROM ai_spend ORDER BY scope").fetchall()
    return {r["scope"]: (r["reserved"], r["spent"]) for r in rows}


def test_a_call_holds_its_worst_case_while_asked_then_is_charged_its_real_cost(db_conn):
    job = uuid.uuid4()
    db_conn.execute("INSERT INTO jobs (id, task) VALUES (%s, 'video')", (job,))
    guard, emitted = _guard(db_conn, job_id=job)
    seen: dict = {}

    def ask() -> ChatResult:
        seen.update(_ledger(db_conn))
        return _result()

    # When a call of at most 100 input tokens, 1 image and 1000 output tokens is made on DeepSeek-V3
    result = guard.call(V3, input_tokens=100, images=1, max_tokens=1000, ask=ask)
    # Then while it was asked, 100 x 1.14 + 1000 x 4.56 was held on the stage's and the caller's day
    assert seen == {"caller:alice": (4674, 0), "global": (4674, 0)}
    # And after it, its real cost (10 x 1.14 + 990 x 4.56 = 4525.8 -> 4526) is spent and nothing is held
    assert result.content == "ok"
    assert _ledger(db_conn) == {"caller:alice": (0, 4526), "global": (0, 4526)}
    row = db_conn.execute("SELECT * FROM ai_calls").fetchone()
    assert {k: row[k] for k in ("caller", "task", "model", "prompt_tokens", "completion_tokens")} == {
        "caller": "alice",
        "task": "video",
        "model": V3,
        "prompt_tokens": 10,
        "completion_tokens": 990,
    }
    assert (row["reasoning_tokens"], row["images"], row["cost_micro_usd"], row["job_id"]) == (0, 1, 4526, job)
    # And the cost went out as the dashboard's metric, in dollars
    assert emitted == [(V3, 0.004526)]


def test_reasoning_reported_apart_is_charged_as_output(db_conn):
    guard, _ = _guard(db_conn)
    # 100 prompt, 50 answer and 200 reasoning tokens, the total saying they are apart: 100 x 1.14 + 250 x 4.56
    guard.call(V3, input_tokens=100, images=0, max_tokens=1000, ask=lambda: _result(100, 50, 200, 350))
    row = db_conn.execute("SELECT completion_tokens, reasoning_tokens, cost_micro_usd FROM ai_calls").fetchone()
    assert row == {"completion_tokens": 50, "reasoning_tokens": 200, "cost_micro_usd": 1254}


def test_negative_usage_is_recorded_as_none(db_conn):
    guard, _ = _guard(db_conn)
    guard.call(V3, input_tokens=10, images=0, max_tokens=10, ask=lambda: _result(-3, -4, -5, -12))
    row = db_conn.execute("SELECT prompt_tokens, completion_tokens, reasoning_tokens, cost_micro_usd FROM ai_calls")
    assert row.fetchone() == {"prompt_tokens": 0, "completion_tokens": 0, "reasoning_tokens": 0, "cost_micro_usd": 0}


def test_a_failed_call_gives_its_reservation_back_and_records_nothing(db_conn):
    guard, emitted = _guard(db_conn)

    def ask() -> ChatResult:
        raise TransientError("azure_timeout", "slow")

    with pytest.raises(TransientError, match="slow"):
        guard.call(V3, input_tokens=100, images=0, max_tokens=1000, ask=ask)
    assert _ledger(db_conn) == {"caller:alice": (0, 0), "global": (0, 0)}
    assert db_conn.execute("SELECT count(*) AS n FROM ai_calls").fetchone()["n"] == 0 and emitted == []


def test_over_the_callers_day_is_refused_until_midnight_with_nothing_held(db_conn):
    # Given the caller's 10000 micro-dollar day has 5500 committed
    db_conn.execute(
        "INSERT INTO ai_spend (day, scope, spent) VALUES ((now() AT TIME ZONE 'UTC')::date, 'caller:alice', 5500)"
    )
    guard, _ = _guard(db_conn)
    # When a call whose worst case is 4674 + 456 asks
    with pytest.raises(OverBudget) as over:
        guard.call(V3, input_tokens=100, images=0, max_tokens=1100, ask=lambda: pytest.fail("asked"))
    # Then it is refused on the caller's budget, in dollars, until the next 00:00 UTC
    err = over.value
    assert (err.reason, err.scope) == ("caller_budget_exceeded", "caller:alice")
    assert err.message == (
        "your daily AI budget of $0.01 has no room for this call (up to $0.00513; $0.0055 committed); "
        "it resets at 00:00 UTC"
    )
    assert err.retry_at == datetime(2026, 12, 1, tzinfo=UTC) and err.retry_after_s == 30
    # And nothing is held on either budget
    assert _ledger(db_conn) == {"caller:alice": (0, 5500)}


def test_over_the_stages_day_names_the_stages_budget(db_conn):
    db_conn.execute(
        "INSERT INTO ai_spend (day, scope, spent) VALUES ((now() AT TIME ZONE 'UTC')::date, 'global', 99000)"
    )
    guard, _ = _guard(db_conn)
    with pytest.raises(OverBudget) as over:
        guard.reserve(V3, 100, 0, 1000)
    assert (over.value.reason, over.value.scope) == ("daily_budget_exceeded", "global")
    assert over.value.message.startswith("today's Azure AI budget of $0.1 has no room for this call (up to $0.004674")
    assert "$0.099 committed" in over.value.message


def test_a_call_exactly_filling_the_day_is_taken_and_the_next_micro_dollar_is_not(db_conn):
    db_conn.execute(
        "INSERT INTO ai_spend (day, scope, spent) VALUES ((now() AT TIME ZONE 'UTC')::date, 'global', 95326)"
    )
    guard, _ = _guard(db_conn, budgets=AiBudgetSettings(daily=100_000, caller_daily=100_000, monthly=1))
    guard.reserve(V3, 100, 0, 1000)  # 95326 + 4674 = 100000
    with pytest.raises(OverBudget):
        guard.reserve(V3, 0, 0, 1)  # 1 x 4.56 -> 5 more


def test_a_call_bigger_than_a_whole_budget_is_refused_even_on_a_fresh_day(db_conn):
    guard, _ = _guard(db_conn, budgets=AiBudgetSettings(daily=4673, caller_daily=100_000, monthly=1))
    with pytest.raises(OverBudget) as over:
        guard.reserve(V3, 100, 0, 1000)
    assert over.value.scope == "global" and _ledger(db_conn) == {}


def test_a_metric_that_fails_loses_neither_the_answer_nor_the_charge(db_conn):
    def broken(_model: str, _usd: float) -> None:
        raise RuntimeError("no stdout")

    guard, _ = _guard(db_conn, metric=broken)
    assert guard.call(V3, input_tokens=1, images=0, max_tokens=10, ask=_result).content == "ok"
    assert _ledger(db_conn)["global"] == (0, 4526)


def test_a_settle_is_retried_with_growing_pauses_before_it_is_kept(db_conn):
    fails = {"left": 0}
    pauses: list[float] = []

    def connection():
        if fails["left"]:
            fails["left"] -= 1
            raise TransientError("db_connection_lost", "away")
        return contextlib.nullcontext(db_conn)

    guard, _ = _guard(db_conn, sleep=pauses.append, connection=connection)
    reservation = guard.reserve(V3, 100, 0, 1000)
    fails["left"] = 2
    guard.settle(reservation, V3, Usage(10, 990, 1000), 0)
    assert pauses == [0.05, 0.1]
    assert _ledger(db_conn)["global"] == (0, 4526)


def test_kept_settles_are_written_in_order_and_stay_kept_while_the_database_is_away(db_conn):
    down = {"on": False}

    def connection():
        if down["on"]:
            raise TransientError("db_connection_lost", "away")
        return contextlib.nullcontext(db_conn)

    guard, _ = _guard(db_conn, connection=connection)
    first, second = guard.reserve(V3, 100, 0, 1000), guard.reserve(V3, 100, 0, 1000)
    down["on"] = True
    guard.settle(first, V3, Usage(10, 990, 1000), 0)
    guard.release(second)
    guard.settle_pending()  # still away: both stay kept
    down["on"] = False
    assert _ledger(db_conn)["global"] == (9348, 0)
    guard.settle_pending()
    assert _ledger(db_conn)["global"] == (0, 4526)
    assert db_conn.execute("SELECT count(*) AS n FROM ai_calls").fetchone()["n"] == 1


def test_time_and_bounds_helpers():
    assert spend_guard.next_midnight(datetime(2026, 12, 31, 0, 0, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)
    assert spend_guard.seconds_until(datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)) == 1
    assert spend_guard.seconds_until(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)) == 1
    half = datetime(2026, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC)
    assert spend_guard.seconds_until(datetime(2026, 1, 1, 0, 0, 2, tzinfo=UTC), half) == 2
    assert spend_guard.text_token_bound("hé", "") == 16 + 3 + 16
    budgets = spend_guard.budgets_for("bob", BUDGETS)
    assert [(b.scope, b.limit) for b in budgets] == [("global", 100_000), ("caller:bob", 10_000)]


def test_the_cost_metric_is_emf_by_model_and_stage(monkeypatch, capsys):
    import json

    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "HuntazeTest")
    monkeypatch.setenv("STAGE", "dev")
    spend_guard.emit_cost(V3, 0.004526)
    doc = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (doc["AiCostUsd"], doc["Model"], doc["Stage"]) == ([0.004526], V3, "dev")
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "HuntazeTest"


def test_a_settle_is_tried_three_times_then_kept(db_conn):
    tries = {"n": 0, "down": False}
    pauses: list[float] = []

    def connection():
        if tries["down"]:
            tries["n"] += 1
            raise TransientError("db_connection_lost", "away")
        return contextlib.nullcontext(db_conn)

    guard, _ = _guard(db_conn, sleep=pauses.append, connection=connection)
    reservation = guard.reserve(V3, 100, 0, 1000)
    tries["down"] = True
    guard.settle(reservation, V3, Usage(10, 990, 1000), 0)
    assert (tries["n"], pauses) == (3, [0.05, 0.1])
    assert _ledger(db_conn)["global"] == (4674, 0)  # still held at its worst case


def test_kept_settles_stay_in_the_order_they_were_made(db_conn):
    down = {"on": False}

    def connection():
        if down["on"]:
            raise TransientError("db_connection_lost", "away")
        return contextlib.nullcontext(db_conn)

    guard, _ = _guard(
        db_conn, connection=connection, budgets=AiBudgetSettings(daily=10**6, caller_daily=10**6, monthly=1)
    )
    held = [guard.reserve(V3, 100, 0, 1000) for _ in range(3)]
    down["on"] = True
    for reservation, prompt in zip(held, (1, 2, 3), strict=True):
        guard.settle(reservation, V3, Usage(prompt, 10, prompt + 10), 0)
    guard.settle_pending()  # the first fails again and goes back to the front
    down["on"] = False
    guard.settle_pending()
    rows = db_conn.execute("SELECT prompt_tokens FROM ai_calls ORDER BY id").fetchall()
    assert [r["prompt_tokens"] for r in rows] == [1, 2, 3]


def test_who_is_charged_cannot_be_changed_once_set():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        spend_guard.Spender("a", "video").caller = "b"  # type: ignore[misc]
