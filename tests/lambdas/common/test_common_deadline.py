"""The one time budget of the workers and the router, on an injected clock."""

from __future__ import annotations

import pytest

from common.deadline import Deadline
from common.errors import TransientError
from tests.fakes import LambdaContext


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_working_time_stops_at_the_reserve_and_the_lease_covers_it():
    # Given 30 s left in the Lambda and a 10 s reserve
    clock = Clock()
    deadline = Deadline.from_context(LambdaContext(remaining_ms=30_000), 10.0, default_s=60.0, clock=clock)
    # When 5 s pass
    clock.now += 5
    # Then 15 s of work are left, 25 s until the function stops
    assert (deadline.left(), deadline.hard_left()) == (15.0, 25.0)
    assert deadline.at == 120.0


def test_a_call_budget_is_capped_and_never_negative():
    clock = Clock()
    deadline = Deadline.after(20.0, 1.5, clock)
    assert deadline.budget(25.0) == 18.5
    assert deadline.budget(5.0) == 5.0
    clock.now += 30
    assert deadline.budget(5.0) == 0.0


def test_without_a_context_the_default_applies():
    clock = Clock()
    assert Deadline.from_context(None, 10.0, default_s=60.0, clock=clock).left() == 50.0


def test_check_is_a_transient_error_when_too_little_is_left():
    clock = Clock()
    deadline = Deadline.after(12.0, 10.0, clock)
    deadline.check(2.0)
    with pytest.raises(TransientError) as info:
        deadline.check(5.0, reason="rollup_out_of_time")
    assert info.value.reason == "rollup_out_of_time" and "2.0s left" in info.value.message
