"""The daily AI spend guard: reserve a request's maximum cost before the model call, settle its real cost after.

Reserving is atomic over every budget the request counts against (the global
daily budget, the caller's daily quota), so N concurrent requests can commit
no more than the budgets hold: the overshoot is bounded by what was
reserved, not by N. A reservation is charged to the UTC day it was taken in,
even if the call ends after midnight.

A settle that fails (the database briefly away) is retried a few times, then
kept by the container and retried before its next request: never dropped.
Until then its reservation keeps holding the maximum cost, so the budget errs
on the safe side.

Costs are in the budgets' unit through one price function (`token_cost`:
tokens today; a price per model can replace it without touching the rest).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from common.errors import WorkerError
from router import spend
from router.errors import ApiError

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)

Connection = Callable[[], AbstractContextManager["psycopg.Connection"]]
# (model, prompt tokens, completion tokens) -> cost in the budgets' unit
Price = Callable[[str, int, int], int]

SETTLE_TRIES = 3
SETTLE_PAUSE_S = 0.05


def token_cost(_model: str, prompt_tokens: int, completion_tokens: int) -> int:
    return max(0, prompt_tokens) + max(0, completion_tokens)


# Settles this container could not write yet: (reservation, model, prompt tokens, completion tokens).
_unsettled: list[tuple[spend.Reservation, str | None, int, int]] = []


class SpendGuard:
    def __init__(
        self,
        connection: Connection,
        budgets: Sequence[spend.Budget],
        *,
        price: Price = token_cost,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._connection = connection
        self._budgets = tuple(budgets)
        self._price = price
        self._sleep = sleep
        self._now = now

    def reserve(self, model: str, max_prompt_tokens: int, max_completion_tokens: int) -> spend.Reservation:
        """Hold the request's maximum cost; a 429 naming the budget that has no room for it."""
        self.settle_pending()
        amount = self._price(model, max_prompt_tokens, max_completion_tokens)
        try:
            with self._connection() as conn:
                return spend.reserve(conn, self._budgets, amount)
        except spend.BudgetExceeded as exc:
            raise self._exceeded(exc, amount) from None

    def settle(self, reservation: spend.Reservation, model: str, prompt_tokens: int, completion_tokens: int) -> None:
        """Charge the real usage in place of the reservation (retried; kept for later if the database is away)."""
        self._settle(reservation, model, prompt_tokens, completion_tokens)

    def release(self, reservation: spend.Reservation) -> None:
        """The call used nothing (it failed): give the reservation back."""
        self._settle(reservation, None, 0, 0)

    def settle_pending(self) -> None:
        while _unsettled:
            pending = _unsettled.pop(0)
            if not self._write(*pending):
                _unsettled.insert(0, pending)
                return

    def _settle(self, reservation: spend.Reservation, model: str | None, prompt: int, completion: int) -> None:
        for attempt in range(SETTLE_TRIES):
            if attempt:
                self._sleep(SETTLE_PAUSE_S * attempt)
            if self._write(reservation, model, prompt, completion):
                return
        # The answer is paid for already: losing it over bookkeeping would be worse than settling later.
        logger.error("AI usage not settled yet; kept for the next request", extra={"reservation": str(reservation.id)})
        _unsettled.append((reservation, model, prompt, completion))

    def _write(self, reservation: spend.Reservation, model: str | None, prompt: int, completion: int) -> bool:
        cost = self._price(model, prompt, completion) if model is not None else 0
        try:
            with self._connection() as conn:
                spend.settle(conn, reservation, cost=cost, model=model, usage=(prompt, completion))
        except WorkerError as exc:
            logger.warning("settling AI usage failed: %s", exc)
            return False
        return True

    def _exceeded(self, exc: spend.BudgetExceeded, amount: int) -> ApiError:
        budget, committed = exc.budget, exc.committed
        headers = {"Retry-After": str(seconds_to_midnight(self._now()))}
        if budget.scope == spend.GLOBAL_SCOPE:
            return ApiError(
                429,
                "daily_budget_exceeded",
                f"today's Azure AI budget of {budget.limit} tokens has no room for this request "
                f"(up to {amount}; {committed} committed); it resets at 00:00 UTC",
                headers,
            )
        return ApiError(
            429,
            "caller_quota_exceeded",
            f"your daily AI quota of {budget.limit} tokens has no room for this request "
            f"(up to {amount}; {committed} committed); it resets at 00:00 UTC",
            headers,
        )


def seconds_to_midnight(now: datetime) -> int:
    """Whole seconds until the next 00:00 UTC (at least 1)."""
    now = now.astimezone(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, math.ceil((midnight - now).total_seconds()))


def reset() -> None:
    _unsettled.clear()
