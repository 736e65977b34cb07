"""Monthly invocations and durations of each function, from the workload profile and the schedules."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stacks.config import StageConfig

DAYS_PER_MONTH = 730 / 24
_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 1440}
MIGRATION_SECONDS = 10


@dataclass(frozen=True)
class Use:
    invocations: float
    seconds: float
    why: str


def runs_per_month(expression: str) -> float:
    """How often a Scheduler expression fires in a month (rate(), cron() or at())."""
    expression = expression.strip()
    if expression.startswith("at("):
        return 1
    rate = _RATE.match(expression)
    if rate:
        minutes = int(rate.group(1)) * _UNIT_MINUTES[rate.group(2).rstrip("s")]
        return DAYS_PER_MONTH * 1440 / minutes
    if expression.startswith("cron(") and expression.endswith(")"):
        fields = expression[5:-1].split()
        if len(fields) != 6:
            raise ValueError(f"cron expression needs 6 fields: {expression!r}")
        minute, hour, day_of_month, _month, day_of_week, _year = fields
        days = DAYS_PER_MONTH
        if day_of_month not in {"*", "?"}:
            days = _field_count(day_of_month, 31)
        elif day_of_week not in {"*", "?"}:
            days = _field_count(day_of_week, 7) * DAYS_PER_MONTH / 7
        return _field_count(minute, 60) * _field_count(hour, 24) * days
    raise ValueError(f"not a schedule expression: {expression!r}")


_DAY_NAMES = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}


def _value(token: str) -> int:
    return _DAY_NAMES[token.upper()] if token.upper() in _DAY_NAMES else int(token)


def _field_count(spec: str, size: int) -> int:
    """How many values a cron field matches (e.g. '0/15' -> 4 of 60, 'MON-FRI' -> 5)."""
    count = 0
    for part in spec.split(","):
        base, _, step = part.partition("/")
        if base in {"*", "?"}:
            start, end = 0, size - 1
        elif "-" in base:
            lo, hi = base.split("-", 1)
            start, end = _value(lo), _value(hi)
        elif step:
            start, end = _value(base), size - 1
        else:
            count += 1
            continue
        count += (end - start) // int(step or 1) + 1
    return max(count, 1)


def function_use(cfg: StageConfig, environment: dict[str, str]) -> Use:
    """What a month asks of one function, recognised by the env the app's constructs set."""
    w = cfg.workload
    task = environment.get("TASK")
    service = environment.get("POWERTOOLS_SERVICE_NAME")
    if task == "video":
        seconds = w.video_seconds_avg * w.video_work_seconds_per_video_second + w.ai_call_seconds_avg
        return Use(w.videos_per_month, seconds, f"{w.videos_per_month} videos of {w.video_seconds_avg:g} s")
    if task == "webhooks":
        # One message per finished job (every upload, every scheduled run), one POST per subscribed endpoint.
        jobs = w.videos_per_month + sum(
            runs_per_month(getattr(cfg.cron, f"{t}_schedule").expression) for t in ("trends", "data", "alerts")
        )
        endpoints = max(len(cfg.webhooks.endpoints), 1)
        return Use(
            jobs, w.webhook_post_seconds_avg * endpoints, f"{jobs:,.0f} job completions to {endpoints} endpoint(s)"
        )
    schedule = getattr(cfg.cron, f"{task}_schedule", None) if task else None
    if schedule is not None:
        runs = runs_per_month(schedule.expression)
        return Use(runs, w.scheduled_run_seconds.get(task, 5), f"{schedule.expression}")
    if service == "router":
        return Use(w.api_calls_per_month, w.api_duration_ms_avg / 1000, f"{w.api_calls_per_month} API calls")
    if service == "notify":
        return Use(w.alert_notifications_per_month, 1, f"{w.alert_notifications_per_month} alerts")
    if service == "migrate":
        return Use(w.deploys_per_month, MIGRATION_SECONDS, f"{w.deploys_per_month} deploys")
    return Use(0, 0, "no workload in the profile")
