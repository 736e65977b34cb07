"""Alert rule definitions (validated) and what each kind measures.

=============  ===========================================================  ====================
kind           definition                                                   fires when
=============  ===========================================================  ====================
threshold      event_type, value, [op ">"|">="|"<"|"<=" (">"),              sum <op> value
               metric "event_count"|"value_sum", window_hours (1),
               account_id, content_id]
change         event_type, percent, [direction "up"|"down"|"any" ("any"),   |change| >= percent
               metric, window_hours (1), account_id, content_id]            in that direction
no_data        event_type, [window_hours (1), account_id, content_id]       no events at all
dlq_depth      queue (a task: video|trends|data|alerts), [max (0)]          depth > max
failed_jobs    [task, window_minutes (60), max (0)]                         failed jobs > max
=============  ===========================================================  ====================

Rollup windows are whole UTC hours ending at the hour the evaluation runs
in: a partly filled current hour would make every rate look like a drop.
A ``change`` window is compared with the window just before it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

TASKS = ("video", "trends", "data", "alerts")
_OPS: dict[str, Callable[[Any, Any], bool]] = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_METRICS = ("event_count", "value_sum")


class RuleError(ValueError):
    """A rule whose definition cannot be evaluated; it is reported and skipped."""


class Metrics(Protocol):
    def rollup_sum(
        self,
        *,
        metric: str,
        event_type: str,
        account_id: str | None,
        content_id: str | None,
        start: datetime,
        end: datetime,
    ) -> Decimal: ...

    def failed_jobs(self, *, task: str | None, start: datetime, end: datetime) -> int: ...

    def dlq_depth(self, task: str) -> int: ...


@dataclass(frozen=True)
class Reading:
    firing: bool
    value: Decimal | None
    message: str


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    kind: str
    definition: dict[str, Any]
    cooldown_seconds: int
    channels: list[str]


def evaluate(rule: Rule, metrics: Metrics, at: datetime) -> Reading:
    """Measure ``rule`` at ``at``; `RuleError` if its definition is unusable."""
    check = _CHECKS.get(rule.kind)
    if check is None:
        raise RuleError(f"unknown kind {rule.kind!r}")
    if not isinstance(rule.definition, Mapping):
        raise RuleError("definition must be an object")
    return check(_Definition(rule.definition), metrics, at.astimezone(UTC))


class _Definition:
    """Typed access to a definition; every bad field becomes one clear RuleError."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw

    def text(
        self, key: str, *, required: bool = False, choices: tuple[str, ...] | None = None, default: str | None = None
    ) -> str | None:
        value = self.raw.get(key, default)
        if value is None:
            if required:
                raise RuleError(f"'{key}' is required")
            return None
        if not isinstance(value, str) or not value:
            raise RuleError(f"'{key}' must be a non-empty string")
        if choices and value not in choices:
            raise RuleError(f"'{key}' must be one of {', '.join(choices)}; got {value!r}")
        return value

    def number(
        self, key: str, *, required: bool = False, default: float | None = None, minimum: float | None = None
    ) -> Decimal:
        value = self.raw.get(key, default)
        if value is None:
            raise RuleError(f"'{key}' is required")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RuleError(f"'{key}' must be a number; got {value!r}")
        if minimum is not None and value < minimum:
            raise RuleError(f"'{key}' must be >= {minimum}; got {value}")
        return Decimal(str(value))

    def whole(self, key: str, *, default: int, minimum: int, maximum: int) -> int:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise RuleError(f"'{key}' must be a whole number from {minimum} to {maximum}; got {value!r}")
        return value


def _scope(d: _Definition) -> dict[str, Any]:
    return {
        "metric": d.text("metric", choices=_METRICS, default="event_count"),
        "event_type": d.text("event_type", required=True),
        "account_id": d.text("account_id"),
        "content_id": d.text("content_id"),
    }


def _hours(d: _Definition, at: datetime) -> tuple[datetime, timedelta]:
    end = at.replace(minute=0, second=0, microsecond=0)
    return end, timedelta(hours=d.whole("window_hours", default=1, minimum=1, maximum=24 * 31))


def _label(scope: dict[str, Any]) -> str:
    parts = [f"{scope['metric']} of {scope['event_type']}"]
    parts += [f"{k}={scope[k]}" for k in ("account_id", "content_id") if scope[k]]
    return " ".join(parts)


def _threshold(d: _Definition, metrics: Metrics, at: datetime) -> Reading:
    scope = _scope(d)
    op = d.text("op", choices=tuple(_OPS), default=">")
    limit = d.number("value", required=True)
    end, window = _hours(d, at)
    value = metrics.rollup_sum(**scope, start=end - window, end=end)
    firing = _OPS[op](value, limit)  # type: ignore[index]
    return Reading(
        firing, value, f"{_label(scope)} over {window} to {end:%Y-%m-%d %H:%M}Z is {value} ({op} {limit}: {firing})"
    )


def _change(d: _Definition, metrics: Metrics, at: datetime) -> Reading:
    scope = _scope(d)
    percent = d.number("percent", required=True, minimum=0)
    direction = d.text("direction", choices=("up", "down", "any"), default="any")
    end, window = _hours(d, at)
    current = metrics.rollup_sum(**scope, start=end - window, end=end)
    previous = metrics.rollup_sum(**scope, start=end - 2 * window, end=end - window)
    if previous == 0:
        firing = current > 0 and direction != "down"
        return Reading(firing, None, f"{_label(scope)} went from 0 to {current} over {window}")
    change = (current - previous) / previous * 100
    firing = {"up": change >= percent, "down": -change >= percent, "any": abs(change) >= percent}[direction]  # type: ignore[index]
    change = change.quantize(Decimal("0.01"))
    return Reading(firing, change, f"{_label(scope)} changed {change}% ({previous} -> {current}) over {window}")


def _no_data(d: _Definition, metrics: Metrics, at: datetime) -> Reading:
    scope = {**_scope(d), "metric": "event_count"}
    end, window = _hours(d, at)
    count = metrics.rollup_sum(**scope, start=end - window, end=end)
    return Reading(count == 0, count, f"{count} {scope['event_type']} events in the {window} to {end:%Y-%m-%d %H:%M}Z")


def _dlq_depth(d: _Definition, metrics: Metrics, at: datetime) -> Reading:
    task = d.text("queue", required=True, choices=TASKS)
    limit = d.whole("max", default=0, minimum=0, maximum=10**9)
    depth = metrics.dlq_depth(task)  # type: ignore[arg-type]
    return Reading(depth > limit, Decimal(depth), f"{depth} messages in the {task} dead-letter queue (max {limit})")


def _failed_jobs(d: _Definition, metrics: Metrics, at: datetime) -> Reading:
    task = d.text("task", choices=TASKS)
    minutes = d.whole("window_minutes", default=60, minimum=1, maximum=24 * 60 * 7)
    limit = d.whole("max", default=0, minimum=0, maximum=10**9)
    count = metrics.failed_jobs(task=task, start=at - timedelta(minutes=minutes), end=at)
    what = f"{task} jobs" if task else "jobs"
    return Reading(count > limit, Decimal(count), f"{count} failed {what} in the last {minutes} minutes (max {limit})")


_CHECKS: dict[str, Callable[[_Definition, Metrics, datetime], Reading]] = {
    "threshold": _threshold,
    "change": _change,
    "no_data": _no_data,
    "dlq_depth": _dlq_depth,
    "failed_jobs": _failed_jobs,
}
