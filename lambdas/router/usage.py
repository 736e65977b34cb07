"""GET /v1/usage: a caller's AI spend today and this month (UTC), and what its budgets have left today.

Spend is what settled calls cost (`ai_calls`); what is left also counts the
calls in flight (their reservations), so it is what the next call may use.
An operator sees every caller too.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from common import ai_spend
from common.ai_prices import usd

if TYPE_CHECKING:
    import psycopg

    from common.settings import AiBudgetSettings

Connection = Callable[[], AbstractContextManager["psycopg.Connection"]]


def usage_view(caller: str, *, operator: bool, budgets: AiBudgetSettings, connection: Connection) -> dict[str, Any]:
    mine = ai_spend.caller_scope(caller)
    with connection() as conn:
        rows = ai_spend.spend_by_caller(conn, None if operator else caller)
        committed = ai_spend.committed_today(conn, [ai_spend.GLOBAL_SCOPE, mine])
    spend = {r["caller"]: r for r in rows}
    own = spend.get(caller, {"today": 0, "month": 0})
    stage_left = max(0, budgets.daily - committed[ai_spend.GLOBAL_SCOPE])
    view: dict[str, Any] = {
        "caller": caller,
        "todayUsd": usd(own["today"]),
        "monthUsd": usd(own["month"]),
        "remainingTodayUsd": usd(min(max(0, budgets.caller_daily - committed[mine]), stage_left)),
        "budgets": {
            "callerDailyUsd": usd(budgets.caller_daily),
            "stageDailyUsd": usd(budgets.daily),
            "stageRemainingTodayUsd": usd(stage_left),
        },
    }
    if operator:
        view["callers"] = [
            {"caller": r["caller"], "todayUsd": usd(r["today"]), "monthUsd": usd(r["month"])} for r in rows
        ]
        view["stageTodayUsd"] = usd(sum(r["today"] for r in rows))
        view["stageMonthUsd"] = usd(sum(r["month"] for r in rows))
        view["budgets"]["stageMonthlyUsd"] = usd(budgets.monthly)
    return view
