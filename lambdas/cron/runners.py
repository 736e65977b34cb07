"""What each cron task runs, wired to its real dependencies (built once per container).

The container-level singletons (fetcher, DLQ reader, notifier) are cached by
their settings; `reset()` forgets them and the settings.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from common import jobs, payloads, tasks
from common.errors import ConfigurationError, PermanentError
from cron.settings import AlertsSettings, DataSettings, TrendsSettings, alerts_settings, data_settings, trends_settings
from cron.settings import reset as reset_settings

if TYPE_CHECKING:
    import psycopg

    from common.deadline import Deadline
    from cron.notify import WebhookUrl
    from cron.worker import Runner

# The attribute naming a runner's settings reader (each task reads only its own variables).
SETTINGS_READER = "settings_reader"

_F = TypeVar("_F", bound=Callable[..., Any])


def reads(reader: Callable[[], Any]) -> Callable[[_F], _F]:
    """Declare the settings reader of a runner: `for_task` binds what it returns as ``settings=``."""

    def mark(run: _F) -> _F:
        setattr(run, SETTINGS_READER, reader)
        return run

    return mark


# Time kept back from the Lambda timeout to record the outcome (the handler's `Deadline` reserve).
RESERVE_S = 10.0


def window_time(job: jobs.Job, msg: jobs.JobMessage) -> datetime:
    """The scheduled time, or when an on-demand job was created."""
    return (msg.scheduled_time or job.created_at).astimezone(UTC)


def payload_of(job: jobs.Job, msg: jobs.JobMessage) -> dict[str, Any]:
    """The message's payload checked against its task's contract (the one the API checked).

    A bad one is a `SchemaError` (`bad_payload`): recorded on the job, never retried.
    """
    return payloads.validate(msg.task, msg.payload, now=window_time(job, msg), from_job=True)


@reads(data_settings)
def data(
    conn: psycopg.Connection,
    job: jobs.Job,
    msg: jobs.JobMessage,
    *,
    settings: DataSettings,
    deadline: Deadline,
) -> dict[str, Any]:
    from cron import rollups

    # since (and until, default the window time): recompute exactly that range; neither: the incremental run.
    span = payloads.data_range(payload_of(job, msg), default_until=window_time(job, msg))
    if span is not None:
        start, end = span
        try:
            return rollups.recompute_range(conn, start=start, end=end, remaining_s=deadline.left).to_dict()
        except ValueError as exc:
            raise PermanentError("bad_payload", str(exc)) from None
    return rollups.run_incremental(
        conn,
        window_end=window_time(job, msg),
        lookback=settings.late_event_lookback,
        settle=settings.ingest_settle,
        max_catchup=settings.rollup_max_catchup,
        remaining_s=deadline.left,
    ).to_dict()


@reads(trends_settings)
def trends(
    conn: psycopg.Connection,
    job: jobs.Job,
    msg: jobs.JobMessage,
    *,
    settings: TrendsSettings,
    deadline: Deadline,
) -> dict[str, Any]:
    import contextlib

    from common import ai_spend, azure_ai
    from common.settings import ai_budget_settings
    from common.spend_guard import SYSTEM_CALLER, Spender, SpendGuard
    from cron import summary, trends

    sources = trends.select(settings.trend_sources(), payload_of(job, msg).get("sources"))

    def summarize(rising: Any, falling: Any) -> summary.Summary:
        budget = max(1.0, deadline.left())
        caller = ai_spend.job_owner(conn, job.id) or SYSTEM_CALLER
        guard = SpendGuard(
            lambda: contextlib.nullcontext(conn), Spender(caller, "trends", job.id), ai_budget_settings()
        )
        return summary.summarize(
            azure_ai.get_client(), settings.generation_model, rising, falling, budget_s=budget, guard=guard
        )

    return trends.run(
        conn,
        job_id=job.id,
        window_start=window_time(job, msg),
        sources=sources,
        fetcher=_fetcher(settings.trends_user_agent, settings.trends_allowed_networks),
        summarize=summarize,
        top_n=settings.trends_top_n,
        now=datetime.now(UTC),
        remaining_s=deadline.left,
    )


@reads(alerts_settings)
def alerts(
    conn: psycopg.Connection,
    job: jobs.Job,
    msg: jobs.JobMessage,
    *,
    settings: AlertsSettings,
    deadline: Deadline,
) -> dict[str, Any]:
    import time

    from common.settings import ai_budget_settings
    from cron import alerts, alerts_store
    from cron.alert_metrics import SqlMetrics

    names = payload_of(job, msg).get("rules")
    # Rules as code: the file this deploy shipped is what alert_rules holds (synth checked it).
    alerts_store.apply_rules(conn, _rules(settings.alert_rules_file).rules)
    return alerts.run(
        conn,
        job_id=job.id,
        at=window_time(job, msg),
        metrics=SqlMetrics(
            conn,
            ai_monthly_budget=ai_budget_settings().monthly,
            dlqs=_dlq_depths(tuple(sorted(settings.dlq_urls.items()))),
        ),
        send=alerts.Delivery(
            notifier=_notifier(settings),
            stage=settings.stage,
            runbook_base=settings.runbook_base_url,
            sleep=time.sleep,
            remaining_s=deadline.left,
        ),
        clock=lambda: datetime.now(UTC),
        names=names,
    )


@functools.cache
def _rules(name: str) -> Any:
    from cron import rule_file

    try:
        return rule_file.load(rule_file.RULES_DIR / name)
    except rule_file.RuleFileError as exc:
        raise ConfigurationError(f"ALERT_RULES_FILE: {exc}") from None


def for_task(task: str, deadline: Deadline) -> Runner:
    """The runner the task registry names for ``task`` ("module:function"), bound to its own task's
    settings (the reader it declares with `reads`) and the deadline."""
    spec = tasks.SPECS.get(task)
    if spec is None or spec.runner is None:
        raise ValueError(f"no cron runner for task {task!r}")
    module, _, function = spec.runner.partition(":")
    run = getattr(importlib.import_module(module), function)
    reader = getattr(run, SETTINGS_READER, None)
    if reader is None:
        raise ValueError(f"cron runner {spec.runner} declares no settings reader (@reads)")
    settings = reader()
    if isinstance(settings, TrendsSettings):
        settings.trend_sources()  # a bad TREND_SOURCES fails here, before any job is touched
    return functools.partial(run, settings=settings, deadline=deadline)


@functools.cache
def _fetcher(user_agent: str, allowed_networks: tuple[str, ...]) -> Any:
    from cron.trend_fetch import Fetcher

    return Fetcher(user_agent, allowed=allowed_networks)


@functools.cache
def _dlq_depths(urls: tuple[tuple[str, str], ...]) -> Any:
    from cron.health import DlqDepths

    return DlqDepths(dict(urls))


def _notifier(settings: AlertsSettings) -> Any:
    return _cached_notifier(settings.alerts_topic_arn, settings.slack_webhook_parameter)


@functools.cache
def _cached_notifier(topic_arn: str, slack_parameter: str) -> Any:
    from cron.notify import Notifier

    return Notifier(
        topic_arn=topic_arn, slack_webhook_url=slack_webhook_url(slack_parameter) if slack_parameter else None
    )


def slack_webhook_url(parameter_name: str) -> WebhookUrl:
    """The webhook URL from its SSM SecureString parameter (cached; ``refresh=True`` reads it again)."""
    from common import secrets

    def url(*, refresh: bool = False) -> str:
        return secrets.get_secure_parameter(parameter_name, refresh=refresh).strip()

    return url


def reset() -> None:
    """Forget the container-level singletons (tests; a changed environment)."""
    for cached in (_fetcher, _dlq_depths, _cached_notifier, _rules):
        cached.cache_clear()
    reset_settings()
