"""One alert-checker run: evaluate every enabled rule, record and notify state changes.

Per rule:

* firing now, and not firing before            -> a ``firing`` event;
* firing now and before, cooldown has passed   -> a new ``firing`` event (a reminder);
* not firing now, firing before                -> a ``resolved`` event;
* otherwise                                    -> nothing.

An event is sent to the rule's channels only if the rule has not notified
within its cooldown, so a flapping rule is recorded but never notifies twice
inside it. The event is committed before anything is sent and each channel
is marked as it succeeds: a retried run (same job) finds its event and sends
only the channels still missing. A rule with a bad definition is reported in
the result and skipped; the others still run.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from common.errors import PermanentError, TransientError, WorkerError
from cron import alerts_store
from cron.alert_rules import Metrics, Rule, RuleError, evaluate
from cron.notify import Notifier

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)


@dataclass
class RunReport:
    evaluated: int = 0
    firing: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    rule_errors: list[dict[str, str]] = field(default_factory=list)
    delivery_errors: list[dict[str, str]] = field(default_factory=list)
    retry_needed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "evaluated": self.evaluated,
            "firing": self.firing,
            "events": self.events,
            "ruleErrors": self.rule_errors,
            "deliveryErrors": self.delivery_errors,
        }


def run(
    conn: psycopg.Connection, *, job_id: uuid.UUID, at: datetime, metrics: Metrics, notifier: Notifier, stage: str
) -> dict[str, Any]:
    report = RunReport()
    for rule in alerts_store.enabled_rules(conn):
        try:
            _check(conn, rule, job_id=job_id, at=at, metrics=metrics, notifier=notifier, stage=stage, report=report)
        except RuleError as exc:
            logger.error("alert rule %s (%s) skipped: %s", rule.name, rule.kind, exc)
            report.rule_errors.append({"rule": rule.name, "reason": "bad_rule", "error": str(exc)})
        except WorkerError as exc:  # e.g. SQS unreadable: this rule only
            logger.warning("alert rule %s not evaluated: %s", rule.name, exc)
            report.rule_errors.append({"rule": rule.name, "reason": exc.reason, "error": exc.message})
    if report.retry_needed:
        failed = ", ".join(f"{e['rule']}/{e['channel']}" for e in report.delivery_errors)
        raise TransientError("alert_delivery_failed", f"alerts not delivered yet: {failed}")
    return report.to_dict()


def _check(
    conn: psycopg.Connection,
    rule: Rule,
    *,
    job_id: uuid.UUID,
    at: datetime,
    metrics: Metrics,
    notifier: Notifier,
    stage: str,
    report: RunReport,
) -> None:
    event = alerts_store.event_of_run(conn, rule.id, job_id)
    if event is None:
        reading = evaluate(rule, metrics, at)
        report.evaluated += 1
        if reading.firing:
            report.firing.append(rule.name)
        last = alerts_store.last_event(conn, rule.id)
        was_firing = last is not None and last.state == "firing"
        quiet = _in_cooldown(conn, rule, job_id, at)
        if reading.firing and was_firing and quiet:
            return  # still firing and already told
        if not reading.firing and not was_firing:
            return
        state = "firing" if reading.firing else "resolved"
        event = alerts_store.record_event(
            conn, rule_id=rule.id, job_id=job_id, state=state, value=reading.value, message=reading.message, at=at
        )
    else:
        report.evaluated += 1
    report.events.append({"rule": rule.name, "state": event.state, "eventId": event.id})
    if _in_cooldown(conn, rule, job_id, event.created_at):
        return
    subject = f"[huntaze {stage}] {rule.name} {event.state.upper()}"
    for channel in rule.channels:
        if channel in event.notified_channels:
            continue
        try:
            notifier.send(channel, subject, event.message)
        except (TransientError, PermanentError) as exc:
            logger.warning("alert %s not sent to %s: %s", rule.name, channel, exc)
            alerts_store.mark_failed(conn, event.id, channel, f"{exc.reason}: {exc.message}")
            report.delivery_errors.append({"rule": rule.name, "channel": channel, "reason": exc.reason})
            report.retry_needed |= exc.retryable
        else:
            alerts_store.mark_delivered(conn, event.id, channel)


def _in_cooldown(conn: psycopg.Connection, rule: Rule, job_id: uuid.UUID, at: datetime) -> bool:
    last = alerts_store.last_notified_at(conn, rule.id, other_than_job=job_id)
    return last is not None and at.astimezone(UTC) - last < timedelta(seconds=rule.cooldown_seconds)
