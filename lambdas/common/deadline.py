"""How long a function may keep working: the one time budget of the workers and the router.

A Lambda stops hard at its timeout. Each function keeps a reserve back from
that (to record the outcome, or to answer even a 504), and works until the
reserve starts: `left()` is the working time, `hard_left()` the time until
the function stops (what a job lease must cover). Instants are on the
monotonic clock, the clock the Azure client's deadlines use.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from common.errors import TransientError


class _Context(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


class Deadline:
    def __init__(self, end: float, reserve_s: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.end = end
        self.reserve_s = reserve_s
        self._clock = clock

    @classmethod
    def after(cls, seconds: float, reserve_s: float = 0.0, clock: Callable[[], float] = time.monotonic) -> Deadline:
        """The function stops `seconds` from now."""
        return cls(clock() + seconds, reserve_s, clock)

    @classmethod
    def from_context(
        cls,
        context: _Context | None,
        reserve_s: float,
        *,
        default_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> Deadline:
        """From the Lambda context's remaining time; `default_s` without one (a local call)."""
        seconds = context.get_remaining_time_in_millis() / 1000 if context is not None else default_s
        return cls.after(seconds, reserve_s, clock)

    @property
    def at(self) -> float:
        """The instant work must stop (on the clock), for clients that take an absolute deadline."""
        return self.end - self.reserve_s

    def left(self) -> float:
        """Working time left before the reserve."""
        return self.at - self._clock()

    def hard_left(self) -> float:
        """Time left before the function stops."""
        return self.end - self._clock()

    def budget(self, cap: float) -> float:
        """Working time left, at most `cap` and never negative: one call's time budget."""
        return max(0.0, min(cap, self.left()))

    def check(self, needed: float = 0.0, reason: str = "out_of_time") -> None:
        """`TransientError` unless at least `needed` seconds of working time are left."""
        left = self.left()
        if left < needed:
            raise TransientError(
                reason, f"{max(left, 0.0):.1f}s left, {needed:g}s needed; stopped before the Lambda timeout"
            )
