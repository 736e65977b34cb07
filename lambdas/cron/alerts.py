"""One alert-checker run: evaluate every enabled rule (or the named ones), move each through its
state machine (`cron.alert_state`), then send one message per channel (`cron.delivery`).

Per rule, the reading is taken outside any lock (SQS and rollup reads must
not hold one); then, under the rule's row lock, the stored state is stepped,
saved with the run's job id, and the event to tell (if any) recorded with
the channels it must reach, all in one transaction. Two overlapping runs
queue up on the lock and the second steps from the first one's state. A
retried run (same job) finds the state already stepped by it and only
delivers what is still owed.

Times that decide notifications (since-when, reminders, keep-firing) come
from ``clock``, the wall clock in production, never from the run's
scheduled time: a redriven or late run of an old schedule must not restart
or skip a repeat interval. The scheduled time ``at`` only bounds what is
measured.

A rule that cannot be evaluated enters ``error`` (told once) and the others
still run. An infrastructure failure while measuring (SQS unreadable) is
transient: the other rules run and deliver, then the job fails to be retried.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from common import alert_ops
from common.errors import PermanentError, TransientError
from common.payloads import unknown_names
from cron import alert_state, alerts_store, delivery
from cron.alert_rules import Metrics, Reading, RuleError, evaluate
from cron.alerts_store import Rule

if TYPE_CHECKING:
    import psycopg

    from cron.notify import Notifier

logger = logging.getLogger(__name__)


@dataclass
class RunReport:
    evaluated: int = 0
    states: dict[str, str] = field(default_factory=dict)
    events: list[dict[str, str]] = field(default_factory=list)
    rule_errors: list[dict[str, str]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "evaluated": self.evaluated,
            "firing": sorted(name for name, state in self.states.items() if state == "firing"),
            "states": self.states,
            "events": self.events,
            "ruleErrors": self.rule_errors,
            "deliveries": self.deliveries,
        }


@dataclass(frozen=True)
class Delivery:
    """How this run reaches people."""

    notifier: Notifier
    stage: str
    runbook_base: str = ""
    sleep: Callable[[float], None] = lambda _s: None
    retry: delivery.RetryPolicy = delivery.DEFAULT_RETRY
    remaining_s: Callable[[], float] = lambda: float("inf")


def run(
    conn: psycopg.Connection,
    *,
    job_id: uuid.UUID,
    at: datetime,
    metrics: Metrics,
    send: Delivery,
    clock: Callable[[], datetime],
    names: Sequence[str] | None = None,
) -> dict[str, Any]:
    report = RunReport()
    unavailable: list[TransientError] = []
    maintenance, silenced = alert_ops.muted_rules(conn, clock())
    for rule in _rules(conn, names, report):
        try:
            reading, error = _measure(rule, metrics, at)
        except TransientError as exc:  # e.g. SQS unreadable: run the others, then retry the job
            logger.warning("alert rule %s not evaluated yet: %s", rule.name, exc)
            report.rule_errors.append({"rule": rule.name, "reason": exc.reason, "error": exc.message})
            unavailable.append(exc)
            continue
        if error is not None:
            report.rule_errors.append({"rule": rule.name, "reason": "bad_rule", "error": error})
        muted = maintenance or rule.name in silenced
        _step(conn, rule, reading, error, job_id=job_id, now=clock(), muted=muted, report=report)
    for outcome in delivery.deliver(
        conn,
        send.notifier,
        stage=send.stage,
        runbook_base=send.runbook_base,
        now=clock(),
        sleep=send.sleep,
        retry=send.retry,
        remaining_s=send.remaining_s,
    ):
        report.deliveries.append({"channel": outcome.channel, "events": outcome.events, "error": outcome.error})
    if unavailable:
        rules = ", ".join(f"{e['rule']}: {e['error']}" for e in report.rule_errors if e["reason"] != "bad_rule")
        raise TransientError(unavailable[0].reason, f"alert rules not evaluated yet ({rules})")
    return report.to_dict()


def _rules(conn: psycopg.Connection, names: Sequence[str] | None, report: RunReport) -> list[Rule]:
    if names is None:
        return alerts_store.enabled_rules(conn)
    unknown_names(list(names), alerts_store.existing_rule_names(conn, names), "alert rules", "payload.rules")
    rules = alerts_store.enabled_rules(conn, names)
    enabled = {rule.name for rule in rules}
    for name in sorted(set(names) - enabled):
        report.rule_errors.append({"rule": name, "reason": "disabled", "error": "the rule is disabled; not evaluated"})
    return rules


def _measure(rule: Rule, metrics: Metrics, at: datetime) -> tuple[Reading | None, str | None]:
    try:
        return evaluate(rule.kind, rule.definition, metrics, at), None
    except RuleError as exc:
        logger.error("alert rule %s (%s) cannot be evaluated: %s", rule.name, rule.kind, exc)
        return None, str(exc)
    except PermanentError as exc:
        logger.error("alert rule %s cannot be evaluated: %s", rule.name, exc)
        return None, exc.message


def _step(
    conn: psycopg.Connection,
    rule: Rule,
    reading: Reading | None,
    error: str | None,
    *,
    job_id: uuid.UUID,
    now: datetime,
    muted: bool,
    report: RunReport,
) -> None:
    policy = alert_state.Policy(
        breaches=rule.breaches,
        evaluations=rule.evaluations,
        repeat_interval=timedelta(seconds=rule.repeat_interval_seconds),
        keep_firing=timedelta(seconds=rule.keep_firing_seconds),
    )
    with alerts_store.locked_state(conn, rule.id) as stored:
        if stored is None:
            return  # the rule was removed while we measured it
        prev, last_job = stored
        if prev is not None and last_job == job_id:
            report.evaluated += 1
            report.states[rule.name] = prev.state
            return  # a retry of this run: already stepped
        nxt, told = alert_state.step(prev or alert_state.initial(now), reading, error, policy, now=now, muted=muted)
        alerts_store.save_state(conn, rule.id, nxt, job_id=job_id, now=now)
        if told is not None:
            # A RESOLVED of a told episode goes out even under a silence: the last word must not be FIRING.
            channels = rule.channels if (told == "resolved" or not muted) else []
            firing_since = (prev.firing_since if prev else None) if told == "resolved" else nxt.firing_since
            alerts_store.record_event(
                conn,
                rule_id=rule.id,
                job_id=job_id,
                kind=told,
                state=nxt,
                channels=channels,
                firing_since=firing_since,
                now=now,
            )
            report.events.append({"rule": rule.name, "event": told})
    report.evaluated += 1
    report.states[rule.name] = nxt.state
