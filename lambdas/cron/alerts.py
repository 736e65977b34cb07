"""One alert-checker run: evaluate every enabled rule (or the named ones), record and notify state changes.

Per rule:

* firing now, and not firing before            -> a ``firing`` event;
* firing now and before, cooldown has passed   -> a new ``firing`` event (a reminder);
* not firing now, firing before                -> a ``resolved`` event;
* otherwise                                    -> nothing.

An event is sent to the rule's channels only if the rule has not notified
within its cooldown, so a flapping rule is recorded but never notifies twice
inside it. Deciding, recording the event and claiming its notification
happen in one transaction under the rule's row lock: two overlapping runs (a
scheduled one and an on-demand one) queue up there, and the second sees the
first one's claim. Sending happens after the commit, and each channel is
marked as it succeeds: a retried run (same job) finds its event and sends
only the channels still missing.

A run asked for named rules (the job's ``rules``) evaluates only those;
a name no rule has fails the job as ``bad_payload`` before anything is
evaluated (rules are data: only the database knows them), and a named rule
that is disabled is reported in the result (``ruleErrors``, reason
``disabled``) and not evaluated.

A rule with a bad definition is reported in the result and skipped; the
others still run. An infrastructure failure while measuring a rule (SQS
unreadable) is transient: the other rules still run, then the job fails so
the message is retried.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from common.errors import PermanentError, TransientError
from common.payloads import unknown_names
from cron import alerts_store
from cron.alert_rules import Metrics, Reading, Rule, RuleError, evaluate
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
    conn: psycopg.Connection,
    *,
    job_id: uuid.UUID,
    at: datetime,
    metrics: Metrics,
    notifier: Notifier,
    stage: str,
    names: Sequence[str] | None = None,
) -> dict[str, Any]:
    report = RunReport()
    selected = _rules(conn, names, report)
    unavailable: list[TransientError] = []
    for rule in selected:
        try:
            _check(conn, rule, job_id=job_id, at=at, metrics=metrics, notifier=notifier, stage=stage, report=report)
        except RuleError as exc:
            logger.error("alert rule %s (%s) skipped: %s", rule.name, rule.kind, exc)
            report.rule_errors.append({"rule": rule.name, "reason": "bad_rule", "error": str(exc)})
        except PermanentError as exc:  # can never be measured as configured: this rule only
            logger.error("alert rule %s not evaluated: %s", rule.name, exc)
            report.rule_errors.append({"rule": rule.name, "reason": exc.reason, "error": exc.message})
        except TransientError as exc:  # e.g. SQS unreadable: run the others, then retry the job
            logger.warning("alert rule %s not evaluated yet: %s", rule.name, exc)
            report.rule_errors.append({"rule": rule.name, "reason": exc.reason, "error": exc.message})
            unavailable.append(exc)
    if unavailable:
        rules = ", ".join(
            f"{e['rule']}: {e['error']}" for e in report.rule_errors if e["reason"] not in ("bad_rule", "disabled")
        )
        raise TransientError(unavailable[0].reason, f"alert rules not evaluated yet ({rules})")
    if report.retry_needed:
        failed = ", ".join(f"{e['rule']}/{e['channel']}" for e in report.delivery_errors)
        raise TransientError("alert_delivery_failed", f"alerts not delivered yet: {failed}")
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
        # Measured before the lock: SQS and rollup reads must not hold it.
        reading = evaluate(rule, metrics, at)
        if reading.firing:
            report.firing.append(rule.name)
        event = _decide_and_record(conn, rule, reading, job_id=job_id, at=at)
    report.evaluated += 1
    if event is None:
        return
    report.events.append({"rule": rule.name, "state": event.state, "eventId": event.id})
    if not event.notified:
        return  # recorded inside the cooldown: silently
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


def _decide_and_record(
    conn: psycopg.Connection, rule: Rule, reading: Reading, *, job_id: uuid.UUID, at: datetime
) -> alerts_store.AlertEvent | None:
    """The event this run records (claimed for notification or not), or None when nothing changed."""
    with alerts_store.rule_lock(conn, rule.id) as exists:
        if not exists:
            return None  # the rule was deleted while we measured it
        recorded = alerts_store.event_of_run(conn, rule.id, job_id)
        if recorded is not None:
            return recorded  # a duplicate delivery of this job got here first
        last = alerts_store.last_event(conn, rule.id)
        was_firing = last is not None and last.state == "firing"
        quiet = _in_cooldown(conn, rule, job_id, at)
        if reading.firing and was_firing and quiet:
            return None  # still firing and already told
        if not reading.firing and not was_firing:
            return None
        return alerts_store.record_event(
            conn,
            rule_id=rule.id,
            job_id=job_id,
            state="firing" if reading.firing else "resolved",
            value=reading.value,
            message=reading.message,
            at=at,
            notify=not quiet,
        )


def _in_cooldown(conn: psycopg.Connection, rule: Rule, job_id: uuid.UUID, at: datetime) -> bool:
    last = alerts_store.last_notified_at(conn, rule.id, other_than_job=job_id)
    return last is not None and at.astimezone(UTC) - last < timedelta(seconds=rule.cooldown_seconds)
