"""The AI spend guard, in dollars: reserve a call's worst case before the model is asked, settle its real cost after.

Every model call (the router's AI route, the video analysis, the trends
summary) goes through `SpendGuard.call`. Reserving is atomic over the budgets
the call counts against (the stage's day, the caller's day), so N concurrent
calls can commit no more than the budgets hold: the overshoot is bounded by
what one reservation holds, not by N. The worst case is the call's input bound
(each image at the model's image tokens) plus its `max_tokens` at the output
price. A reservation is charged to the UTC day it was taken in, even if the
call ends after midnight. Over budget is `OverBudget` with the next UTC
midnight: the router answers 429, a worker defers its job to then.

A settle that fails (the database briefly away) is retried a few times, then
kept by the container and retried before its next call: never dropped. Until
then its reservation keeps holding the worst case, so the budget errs on the
safe side. Each answered call's cost is also emitted as the `AiCostUsd` metric
(EMF, by model) for the dashboard.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from common import ai_prices, ai_spend
from common.errors import OverBudget, WorkerError

if TYPE_CHECKING:
    import psycopg

    from common.azure_responses import ChatResult, Usage
    from common.settings import AiBudgetSettings

logger = logging.getLogger(__name__)

Connection = Callable[[], AbstractContextManager["psycopg.Connection"]]
# (model, cost in USD) -> None
CostMetric = Callable[[str, float], None]

COST_METRIC = "AiCostUsd"
# The chat format's own tokens around one message (role markers, separators).
MESSAGE_OVERHEAD_TOKENS = 16
SETTLE_TRIES = 3
SETTLE_PAUSE_S = 0.05
# Who a call is charged to when no caller asked for it (a scheduled run, an upload that reached S3 directly).
SYSTEM_CALLER = "system"


@dataclass(frozen=True)
class Spender:
    """Who a call is charged to and what it was for."""

    caller: str
    task: str  # ai_route | video | trends
    job_id: uuid.UUID | None = None


def budgets_for(caller: str, settings: AiBudgetSettings) -> tuple[ai_spend.Budget, ai_spend.Budget]:
    """The stage's daily budget and the caller's."""
    return (
        ai_spend.Budget(ai_spend.GLOBAL_SCOPE, settings.daily),
        ai_spend.Budget(ai_spend.caller_scope(caller), settings.caller_daily),
    )


def emit_cost(model: str, usd: float) -> None:
    """One call's cost as an EMF metric, by model and stage (the dashboard sums it per day)."""
    import os

    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    # The namespace comes from POWERTOOLS_METRICS_NAMESPACE (set on every function), shared by the stages.
    with single_metric(name=COST_METRIC, unit=MetricUnit.NoUnit, value=usd) as metric:
        metric.add_dimension(name="Model", value=model)
        metric.add_dimension(name="Stage", value=os.environ.get("STAGE") or "local")


# Settles this container could not write yet: (reservation, call or None to release).
_unsettled: list[tuple[ai_spend.Reservation, ai_spend.Call | None]] = []


class SpendGuard:
    def __init__(
        self,
        connection: Connection,
        spender: Spender,
        settings: AiBudgetSettings,
        *,
        prices: ai_prices.PriceTable | None = None,
        metric: CostMetric = emit_cost,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._connection = connection
        self.spender = spender
        self._budgets = budgets_for(spender.caller, settings)
        self._prices = prices or ai_prices.prices()
        self._metric = metric
        self._sleep = sleep
        self._now = now

    def call(
        self, model: str, *, input_tokens: int, images: int, max_tokens: int, ask: Callable[[], ChatResult]
    ) -> ChatResult:
        """`ask()` inside the guard: reserve its worst case, ask, settle what it used (release if it failed)."""
        reservation = self.reserve(model, input_tokens, images, max_tokens)
        try:
            result = ask()
        except BaseException:
            self.release(reservation)
            raise
        self.settle(reservation, model, result.usage, images)
        return result

    def reserve(self, model: str, input_tokens: int, images: int, max_tokens: int) -> ai_spend.Reservation:
        """Hold the call's worst case; `OverBudget` naming the budget that has no room for it."""
        self.settle_pending()
        amount = self._prices.price(model).worst_case(input_tokens, images, max_tokens)
        try:
            with self._connection() as conn:
                return ai_spend.reserve(conn, self._budgets, amount)
        except ai_spend.BudgetExceeded as exc:
            raise self._over(exc, amount) from None

    def settle(self, reservation: ai_spend.Reservation, model: str, usage: Usage, images: int) -> None:
        """Charge the call's real cost in place of the reservation (retried; kept for later if the database is away)."""
        output = ai_prices.billed_output_tokens(
            usage.prompt_tokens, usage.completion_tokens, usage.reasoning_tokens, usage.total_tokens
        )
        cost = self._prices.price(model).cost(usage.prompt_tokens, output)
        call = ai_spend.Call(
            caller=self.spender.caller,
            task=self.spender.task,
            model=model,
            prompt_tokens=max(0, usage.prompt_tokens),
            completion_tokens=max(0, usage.completion_tokens),
            reasoning_tokens=max(0, usage.reasoning_tokens),
            images=images,
            cost=cost,
            job_id=self.spender.job_id,
        )
        try:
            self._metric(model, ai_prices.usd(cost))
        except Exception:
            logger.exception("the AI cost metric was not emitted")
        self._settle(reservation, call)

    def release(self, reservation: ai_spend.Reservation) -> None:
        """The call used nothing (it failed): give the reservation back."""
        self._settle(reservation, None)

    def settle_pending(self) -> None:
        while _unsettled:
            pending = _unsettled.pop(0)
            if not self._write(*pending):
                _unsettled.insert(0, pending)
                return

    def _settle(self, reservation: ai_spend.Reservation, call: ai_spend.Call | None) -> None:
        for attempt in range(SETTLE_TRIES):
            if attempt:
                self._sleep(SETTLE_PAUSE_S * attempt)
            if self._write(reservation, call):
                return
        # The answer is paid for already: losing it over bookkeeping would be worse than settling later.
        logger.error("AI usage not settled yet; kept for the next call", extra={"reservation": str(reservation.id)})
        _unsettled.append((reservation, call))

    def _write(self, reservation: ai_spend.Reservation, call: ai_spend.Call | None) -> bool:
        try:
            with self._connection() as conn:
                ai_spend.settle(conn, reservation, call)
        except WorkerError as exc:
            logger.warning("settling AI usage failed: %s", exc)
            return False
        return True

    def _over(self, exc: ai_spend.BudgetExceeded, amount: int) -> OverBudget:
        budget, committed = exc.budget, exc.committed
        now = self._now()
        midnight = next_midnight(now)
        whose = "today's Azure AI budget" if budget.scope == ai_spend.GLOBAL_SCOPE else "your daily AI budget"
        return OverBudget(
            "daily_budget_exceeded" if budget.scope == ai_spend.GLOBAL_SCOPE else "caller_budget_exceeded",
            f"{whose} of ${_dollars(budget.limit)} has no room for this call (up to ${_dollars(amount)}; "
            f"${_dollars(committed)} committed); it resets at 00:00 UTC",
            scope=budget.scope,
            retry_at=midnight,
            retry_after_s=seconds_until(midnight, now),
        )


def text_token_bound(*texts: str) -> int:
    """At least the input tokens these messages' text can cost.

    A byte-level BPE token covers at least one byte, so the UTF-8 size bounds
    the text; each message adds the chat format's own tokens around it.
    """
    return sum(MESSAGE_OVERHEAD_TOKENS + len(text.encode("utf-8")) for text in texts)


def next_midnight(now: datetime) -> datetime:
    """The next 00:00 UTC after `now`."""
    return (now.astimezone(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def seconds_until(when: datetime, now: datetime) -> int:
    """Whole seconds from `now` until `when` (at least 1): a Retry-After."""
    return max(1, math.ceil((when - now).total_seconds()))


def _dollars(micro: int) -> str:
    """Micro-dollars as a plain dollar figure, no trailing zeros ("2", "0.000014")."""
    return format((Decimal(micro) / ai_prices.MICRO_USD).normalize(), "f")


def reset() -> None:
    _unsettled.clear()
