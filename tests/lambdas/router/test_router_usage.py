"""GET /v1/usage: the caller's AI spend today and this month, and its budget left; operators see every caller."""

from __future__ import annotations

import pytest
from router_events import CLAIMS, completion

PATH = "/models/chat/completions"
OPERATOR = {"sub": "ops-1", "scope": "openid huntaze/operator"}


@pytest.fixture
def usage_env(router_env, monkeypatch):
    from common import settings

    # A $1 stage day, $0.10 per caller a day, a $30 month; the operator scope configured
    monkeypatch.setenv("AI_DAILY_BUDGET_USD", "1")
    monkeypatch.setenv("AI_CALLER_DAILY_BUDGET_USD", "0.1")
    monkeypatch.setenv("AI_MONTHLY_BUDGET_USD", "30")
    monkeypatch.setenv("OPERATOR_SCOPE", "huntaze/operator")
    settings.reset()
    return router_env


def _call_row(db_conn, caller: str, cost: int, days_ago: int = 0) -> None:
    db_conn.execute(
        "INSERT INTO ai_calls (day, caller, task, model, prompt_tokens, completion_tokens, cost_micro_usd) "
        "VALUES ((now() AT TIME ZONE 'UTC')::date - %s, %s, 'ai_route', 'DeepSeek-V3', 1, 1, %s)",
        (days_ago, caller, cost),
    )


def test_a_caller_sees_its_spend_today_and_this_month_and_what_is_left(usage_env, call, httpserver, db_conn):
    # Given the caller asked once today through the API (10 x 1.14 + 990 x 4.56 = 4526 micro-dollars)
    httpserver.expect_request(PATH, method="POST").respond_with_json(
        completion("DeepSeek-V3", "ok", prompt_tokens=10, completion_tokens=990)
    )
    assert call("POST", "/v1/ai/route", {"prompt": "hi", "type": "generation", "max_tokens": 1000}).status == 200
    # And another caller spent today, and this caller spent earlier this month (if today is not the 1st)
    first_of_month = db_conn.execute("SELECT extract(day FROM now() AT TIME ZONE 'UTC') = 1 AS first").fetchone()
    earlier = 0 if first_of_month["first"] else 20_000
    if earlier:
        _call_row(db_conn, CLAIMS["sub"], earlier, days_ago=1)
    _call_row(db_conn, "someone-else", 7_000)
    db_conn.commit()
    # When it asks for its usage
    answer = call("GET", "/v1/usage")
    # Then it sees its own figures only, in dollars
    assert answer.status == 200, answer.body
    assert answer.body == {
        "caller": CLAIMS["sub"],
        "todayUsd": 0.004526,
        "monthUsd": (4526 + earlier) / 1e6,
        # its $0.10 day less what it committed today
        "remainingTodayUsd": 0.095474,
        "budgets": {"callerDailyUsd": 0.1, "stageDailyUsd": 1.0, "stageRemainingTodayUsd": 0.995474},
    }


def test_an_operator_sees_every_caller_and_the_stage(usage_env, call, db_conn):
    # Given two callers' spend today and one's yesterday, and the stage's ledger for today
    _call_row(db_conn, "alice", 30_000)
    _call_row(db_conn, "bob", 5_000)
    db_conn.execute(
        "INSERT INTO ai_spend (day, scope, spent, reserved) VALUES ((now() AT TIME ZONE 'UTC')::date, 'global', "
        "35000, 1000)"
    )
    db_conn.commit()
    # When an operator asks
    answer = call("GET", "/v1/usage", claims=OPERATOR)
    # Then it sees each caller, the stage's totals and the monthly budget; its own spend is nothing
    assert answer.status == 200, answer.body
    assert answer.body["callers"] == [
        {"caller": "alice", "todayUsd": 0.03, "monthUsd": 0.03},
        {"caller": "bob", "todayUsd": 0.005, "monthUsd": 0.005},
    ]
    assert (answer.body["stageTodayUsd"], answer.body["stageMonthUsd"]) == (0.035, 0.035)
    assert answer.body["budgets"] == {
        "callerDailyUsd": 0.1,
        "stageDailyUsd": 1.0,
        "stageRemainingTodayUsd": 0.964,  # held amounts count as committed
        "stageMonthlyUsd": 30.0,
    }
    assert (answer.body["todayUsd"], answer.body["monthUsd"], answer.body["remainingTodayUsd"]) == (0, 0, 0.1)


def test_a_caller_without_the_operator_scope_sees_no_one_else(usage_env, call, db_conn):
    _call_row(db_conn, "alice", 30_000)
    db_conn.commit()
    answer = call("GET", "/v1/usage", claims={"sub": "bob", "scope": "openid"})
    assert answer.status == 200
    assert "callers" not in answer.body and "stageMonthlyUsd" not in answer.body["budgets"]
    assert (answer.body["caller"], answer.body["todayUsd"], answer.body["monthUsd"]) == ("bob", 0, 0)


def test_the_remaining_budget_is_the_stages_when_that_is_smaller_and_never_negative(usage_env, call, db_conn):
    # Given the stage's day is spent beyond its budget (a settle larger than its reservation)
    db_conn.execute(
        "INSERT INTO ai_spend (day, scope, spent) VALUES ((now() AT TIME ZONE 'UTC')::date, 'global', 1200000)"
    )
    db_conn.commit()
    answer = call("GET", "/v1/usage")
    assert answer.body["remainingTodayUsd"] == 0 and answer.body["budgets"]["stageRemainingTodayUsd"] == 0


def test_last_months_spend_is_not_this_months(usage_env, call, db_conn):
    db_conn.execute(
        "INSERT INTO ai_calls (day, caller, task, model, prompt_tokens, completion_tokens, cost_micro_usd) "
        "VALUES (date_trunc('month', now() AT TIME ZONE 'UTC')::date - 1, %s, 'video', 'm', 1, 1, 9000)",
        (CLAIMS["sub"],),
    )
    db_conn.commit()
    answer = call("GET", "/v1/usage")
    assert (answer.body["todayUsd"], answer.body["monthUsd"]) == (0, 0)


def test_without_a_verified_caller_it_is_401(usage_env, call):
    assert call("GET", "/v1/usage", claims=None).status == 401
