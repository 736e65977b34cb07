"""What each alert rule kind measures, and the strict reading of its definition.

=============  ===========================================================  ====================
kind           definition                                                   breaches when
=============  ===========================================================  ====================
threshold      event_type, value, [op ">"|">="|"<"|"<=" (">"),              sum <op> value
               metric "event_count"|"value_sum", window_hours (1),
               account_id, content_id]
change         event_type, percent, [direction "up"|"down"|"any" ("any"),   |change| >= percent
               metric, window_hours (1), account_id, content_id]            in that direction
no_data        event_type, [window_hours (1), account_id, content_id]       no events at all
dlq_depth      [queue (a task; every watched DLQ if absent), max (0)]       depth > max
failed_jobs    [task, window_minutes (60), max (0)]                         failed jobs > max
analyses       [window_hours (24), min (1)]                                 fewer uploads analysed
ai_spend       percent                                                      AI dollars spent this
                                                                            UTC month >= percent
                                                                            of the monthly budget
=============  ===========================================================  ====================

Rollup windows end at the data job's watermark, floored to the hour: only
complete buckets are read, never the hour the data job is still counting
(which made every rate look like a drop). With no watermark yet the reading
is "no data". A ``change`` window is compared with the window just before it.

AI spend is every model call's cost (``ai_calls``, priced from the usage
Azure reported): ``ai_spend`` compares the month so far with the stage's
monthly AI budget (config ``azure.monthly_budget_usd``).

Every key of a definition must be known to its kind: a typo (``operator``
for ``op``, ``window_hour``) is a `RuleError` naming the key, not a default.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from common.tasks import TASKS

_OPS: dict[str, Callable[[Any, Any], bool]] = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_METRICS = ("event_count", "value_sum")


class RuleError(ValueError):
    """A rule whose definition cannot be evaluated."""


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

    def rollup_watermark(self) -> datetime | None: ...

    def failed_jobs(self, *, task: str | None, start: datetime, end: datetime) -> int: ...

    def analyses_succeeded(self, *, start: datetime, end: datetime) -> int: ...

    def ai_spend_month(self, at: datetime) -> tuple[int, int]:
        """(micro-dollars spent in that UTC month up to `at`, the monthly AI budget in micro-dollars)."""
        ...

    def dlq_depth(self, task: str | None) -> dict[str, int]:
        """Depth of each watched DLQ (only ``task``'s if given)."""
        ...


@dataclass(frozen=True)
class Reading:
    """One evaluation: ``breach`` is None when there is no data to judge."""

    breach: bool | None
    value: Decimal | None
    message: str
    # The end of the complete rollup window read (None for kinds that read live values).
    window_end: datetime | None = None


@dataclass(frozen=True)
class Vocabulary:
    """What a definition may name; None accepts anything (the worker re-reads a file synth checked)."""

    event_types: Collection[str] | None = None


ANY = Vocabulary()


class _Probe(NamedTuple):
    """What an evaluation reads, and when; a definition check has none."""

    metrics: Metrics
    at: datetime


def check(kind: str, definition: Any, vocabulary: Vocabulary = ANY) -> None:
    """Raise `RuleError` (naming the key) if ``definition`` is not a valid ``kind`` definition."""
    _kind(kind)(_Definition(definition, vocabulary), None)


def evaluate(kind: str, definition: Any, metrics: Metrics, at: datetime) -> Reading:
    """Measure a rule at ``at``; `RuleError` if its definition is unusable."""
    reading = _kind(kind)(_Definition(definition, ANY), _Probe(metrics, at.astimezone(UTC)))
    assert reading is not None
    return reading


def _kind(kind: str) -> Callable[[_Definition, _Probe | None], Reading | None]:
    found = _CHECKS.get(kind)
    if found is None:
        raise RuleError(f"unknown kind {kind!r} (known: {', '.join(_CHECKS)})")
    return found


class _Definition:
    """Typed access to a definition; every bad field becomes one RuleError naming it."""

    def __init__(self, raw: Any, vocabulary: Vocabulary) -> None:
        if not isinstance(raw, Mapping):
            raise RuleError("'definition' must be an object")
        self.raw = raw
        self.vocabulary = vocabulary
        self.read: set[str] = set()

    def _get(self, key: str, default: Any) -> Any:
        self.read.add(key)
        return self.raw.get(key, default)

    def done(self) -> None:
        unknown = sorted(set(self.raw) - self.read)
        if unknown:
            raise RuleError(f"unknown key {unknown[0]!r} in 'definition' (known: {', '.join(sorted(self.read))})")

    def text(
        self, key: str, *, required: bool = False, choices: Collection[str] | None = None, default: str | None = None
    ) -> str | None:
        value = self._get(key, default)
        if value is None:
            if required:
                raise RuleError(f"'{key}' is required")
            return None
        if not isinstance(value, str) or not value:
            raise RuleError(f"'{key}' must be a non-empty string")
        if choices is not None and value not in choices:
            raise RuleError(f"'{key}' must be one of {', '.join(sorted(choices))}; got {value!r}")
        return value

    def number(self, key: str, *, minimum: float | None = None) -> Decimal:
        value = self._get(key, None)
        if value is None:
            raise RuleError(f"'{key}' is required")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RuleError(f"'{key}' must be a number; got {value!r}")
        if minimum is not None and value < minimum:
            raise RuleError(f"'{key}' must be >= {minimum}; got {value}")
        return Decimal(str(value))

    def whole(self, key: str, *, default: int, minimum: int, maximum: int) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise RuleError(f"'{key}' must be a whole number from {minimum} to {maximum}; got {value!r}")
        return value


def _scope(d: _Definition, *, metric: bool = True) -> dict[str, Any]:
    return {
        "metric": d.text("metric", choices=_METRICS, default="event_count") if metric else "event_count",
        "event_type": d.text("event_type", required=True, choices=d.vocabulary.event_types),
        "account_id": d.text("account_id"),
        "content_id": d.text("content_id"),
    }


def _window(d: _Definition) -> timedelta:
    return timedelta(hours=d.whole("window_hours", default=1, minimum=1, maximum=24 * 31))


def _complete_end(metrics: Metrics, at: datetime) -> datetime | None:
    """The end of the last complete hour: the data job's watermark (never past ``at``), floored."""
    watermark = metrics.rollup_watermark()
    if watermark is None:
        return None
    return min(at, watermark.astimezone(UTC)).replace(minute=0, second=0, microsecond=0)


def _label(scope: dict[str, Any]) -> str:
    parts = [f"{scope['metric']} of {scope['event_type']}"]
    parts += [f"{k}={scope[k]}" for k in ("account_id", "content_id") if scope[k]]
    return " ".join(parts)


def _no_rollups(scope: dict[str, Any]) -> Reading:
    return Reading(None, None, f"no rollups yet for {_label(scope)} (the data job has not run)")


def _threshold(d: _Definition, probe: _Probe | None) -> Reading | None:
    scope, window = _scope(d), _window(d)
    op = d.text("op", choices=tuple(_OPS), default=">")
    limit = d.number("value")
    d.done()
    if probe is None:
        return None
    metrics, at = probe.metrics, probe.at
    end = _complete_end(metrics, at)
    if end is None:
        return _no_rollups(scope)
    value = metrics.rollup_sum(**scope, start=end - window, end=end)
    breach = _OPS[op](value, limit)  # type: ignore[index]
    return Reading(breach, value, f"{_label(scope)} in the {window} to {end:%H:%MZ} is {value} ({op} {limit})", end)


def _change(d: _Definition, probe: _Probe | None) -> Reading | None:
    scope, window = _scope(d), _window(d)
    percent = d.number("percent", minimum=0)
    direction = d.text("direction", choices=("up", "down", "any"), default="any")
    d.done()
    if probe is None:
        return None
    metrics, at = probe.metrics, probe.at
    end = _complete_end(metrics, at)
    if end is None:
        return _no_rollups(scope)
    current = metrics.rollup_sum(**scope, start=end - window, end=end)
    previous = metrics.rollup_sum(**scope, start=end - 2 * window, end=end - window)
    if previous == 0:
        if current == 0:
            return Reading(None, None, f"no {_label(scope)} in the two windows to {end:%H:%MZ}", end)
        return Reading(direction != "down", None, f"{_label(scope)} went from 0 to {current} over {window}", end)
    change = (current - previous) / previous * 100
    breach = {"up": change >= percent, "down": -change >= percent, "any": abs(change) >= percent}[direction]  # type: ignore[index]
    change = change.quantize(Decimal("0.01"))
    return Reading(breach, change, f"{_label(scope)} changed {change}% ({previous} -> {current}) over {window}", end)


def _no_data(d: _Definition, probe: _Probe | None) -> Reading | None:
    scope, window = _scope(d, metric=False), _window(d)
    d.done()
    if probe is None:
        return None
    metrics, at = probe.metrics, probe.at
    end = _complete_end(metrics, at)
    if end is None:
        return _no_rollups(scope)
    count = metrics.rollup_sum(**scope, start=end - window, end=end)
    return Reading(count == 0, count, f"{count} {scope['event_type']} events in the {window} to {end:%H:%MZ}", end)


def _dlq_depth(d: _Definition, probe: _Probe | None) -> Reading | None:
    task = d.text("queue", choices=TASKS)
    limit = d.whole("max", default=0, minimum=0, maximum=10**9)
    d.done()
    if probe is None:
        return None
    depths = probe.metrics.dlq_depth(task)
    total = sum(depths.values())
    detail = ", ".join(f"{t} {n}" for t, n in sorted(depths.items()) if n) or "all empty"
    return Reading(total > limit, Decimal(total), f"{total} messages in the dead-letter queues ({detail}; max {limit})")


def _failed_jobs(d: _Definition, probe: _Probe | None) -> Reading | None:
    task = d.text("task", choices=TASKS)
    minutes = d.whole("window_minutes", default=60, minimum=1, maximum=24 * 60 * 7)
    limit = d.whole("max", default=0, minimum=0, maximum=10**9)
    d.done()
    if probe is None:
        return None
    metrics, at = probe.metrics, probe.at
    count = metrics.failed_jobs(task=task, start=at - timedelta(minutes=minutes), end=at)
    what = f"{task} jobs" if task else "jobs"
    return Reading(count > limit, Decimal(count), f"{count} failed {what} in the last {minutes} minutes (max {limit})")


def _analyses(d: _Definition, probe: _Probe | None) -> Reading | None:
    hours = d.whole("window_hours", default=24, minimum=1, maximum=24 * 31)
    least = d.whole("min", default=1, minimum=1, maximum=10**9)
    d.done()
    if probe is None:
        return None
    metrics, at = probe.metrics, probe.at
    count = metrics.analyses_succeeded(start=at - timedelta(hours=hours), end=at)
    return Reading(count < least, Decimal(count), f"{count} uploads analysed in the last {hours} hours (min {least})")


def _ai_spend(d: _Definition, probe: _Probe | None) -> Reading | None:
    percent = d.number("percent", minimum=0)
    d.done()
    if probe is None:
        return None
    metrics, at = probe.metrics, probe.at
    used, budget = metrics.ai_spend_month(at)
    share = (Decimal(used) / budget * 100).quantize(Decimal("0.1")) if budget else Decimal(0)
    spent, limit = (Decimal(used) / 1_000_000).quantize(Decimal("0.01")), Decimal(budget) / 1_000_000
    return Reading(
        share >= percent,
        share,
        f"AI spend this month: ${spent} of the ${limit:.2f} monthly budget ({share}%, alert at {percent}%)",
    )


_CHECKS: dict[str, Callable[[_Definition, _Probe | None], Reading | None]] = {
    "threshold": _threshold,
    "change": _change,
    "no_data": _no_data,
    "dlq_depth": _dlq_depth,
    "failed_jobs": _failed_jobs,
    "analyses": _analyses,
    "ai_spend": _ai_spend,
}
KINDS = tuple(_CHECKS)
