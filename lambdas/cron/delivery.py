"""Send what is owed: one message per channel per run, grouping every event still undelivered there.

Events recorded by this run and those an earlier run failed to deliver go
out together, so a Slack outage delays an alert by one run (5 minutes), not
an hour. Within a run Slack is tried ``attempts`` times with exponential
backoff, waiting what its ``Retry-After`` asks when it says (never longer
than ``max_wait_s`` nor than the run has time for: past that the next run
tries again). A channel that is
misconfigured (revoked webhook, no topic) is recorded on the events and
reported; the events stay owed to it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from common.errors import PermanentError, TransientError
from cron import alerts_store
from cron.alerts_store import PendingEvent
from cron.rule_file import CHANNELS

if TYPE_CHECKING:
    import psycopg

    from cron.notify import Notifier

logger = logging.getLogger(__name__)

_LABEL = {"firing": "FIRING", "resolved": "RESOLVED", "reminder": "REMINDER", "error": "ERROR"}
_ORDER = {"firing": 0, "error": 1, "reminder": 2, "resolved": 3}


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff_s: float = 1.0
    max_wait_s: float = 20.0


DEFAULT_RETRY = RetryPolicy()
# Time kept for one more attempt (Slack's own timeout) and recording the outcome.
SEND_RESERVE_S = 10.0


@dataclass(frozen=True)
class Outcome:
    channel: str
    events: int
    error: str | None = None


def deliver(
    conn: psycopg.Connection,
    notifier: Notifier,
    *,
    stage: str,
    runbook_base: str,
    now: datetime,
    sleep: Callable[[float], None],
    retry: RetryPolicy = DEFAULT_RETRY,
    remaining_s: Callable[[], float] = lambda: float("inf"),
) -> list[Outcome]:
    outcomes = []
    for channel in CHANNELS:
        with alerts_store.undelivered(conn, channel) as events:
            if not events:
                continue
            subject, text = compose(events, stage=stage, runbook_base=runbook_base, now=now)
            ids = [e.id for e in events]
            try:
                _send(notifier, channel, subject, text, sleep=sleep, retry=retry, remaining_s=remaining_s)
            except (TransientError, PermanentError) as exc:
                logger.warning("alerts not delivered to %s (%d events): %s", channel, len(ids), exc)
                alerts_store.mark_failed(conn, ids, channel, f"{exc.reason}: {exc.message}")
                outcomes.append(Outcome(channel, len(ids), exc.reason))
            else:
                alerts_store.mark_delivered(conn, ids, channel)
                outcomes.append(Outcome(channel, len(ids)))
    return outcomes


def _send(
    notifier: Notifier,
    channel: str,
    subject: str,
    text: str,
    *,
    sleep: Callable[[float], None],
    retry: RetryPolicy,
    remaining_s: Callable[[], float],
) -> None:
    for attempt in range(1, retry.attempts + 1):
        try:
            notifier.send(channel, subject, text)
            return
        except TransientError as exc:
            if channel != "slack" or attempt == retry.attempts:
                raise
            wait = getattr(exc, "retry_after_s", None)
            wait = retry.backoff_s * 2 ** (attempt - 1) if wait is None else wait
            # Past max_wait_s the next run is as good; past the run's time left, the job would be cut short.
            if wait > min(retry.max_wait_s, remaining_s() - SEND_RESERVE_S):
                raise
            logger.info("Slack busy (%s); attempt %d again in %.1fs", exc.message, attempt + 1, wait)
            sleep(wait)


def compose(events: Sequence[PendingEvent], *, stage: str, runbook_base: str, now: datetime) -> tuple[str, str]:
    """(subject, text) of one message telling every event, most urgent first."""
    ordered = sorted(events, key=lambda e: (e.severity != "critical", _ORDER[e.state], e.rule, e.id))
    counts: dict[str, int] = {}
    for e in ordered:
        counts[_LABEL[e.state]] = counts.get(_LABEL[e.state], 0) + 1
    if len(ordered) == 1:
        head = f"{_LABEL[ordered[0].state]} {ordered[0].rule}"
    else:
        head = ", ".join(f"{n} {label}" for label, n in counts.items())
    subject = f"[huntaze {stage}] {head}"
    return subject, "\n\n".join(_line(e, runbook_base, now) for e in ordered)


def _line(e: PendingEvent, runbook_base: str, now: datetime) -> str:
    since = f"{e.firing_since:%Y-%m-%d %H:%MZ}" if e.firing_since else None
    head = f"{_LABEL[e.state]} {e.rule} ({e.severity})"
    if e.state == "firing":
        head += f" since {since}"
    elif e.state == "reminder":
        head += f": still firing since {since} ({_duration(now - e.firing_since) if e.firing_since else '?'})"
    elif e.state == "resolved" and since:
        head += f": was firing since {since} ({_duration(e.created_at - e.firing_since) if e.firing_since else '?'})"
    lines = [head, e.message]
    if e.runbook:
        lines.append(f"Runbook: {runbook_url(e.runbook, runbook_base)}")
    return "\n".join(lines)


def runbook_url(runbook: str, base: str) -> str:
    """A rule's runbook: a URL as is, a repository path under ``base``."""
    return runbook if runbook.startswith(("https://", "http://")) or not base else base.rstrip("/") + "/" + runbook


def _duration(delta: object) -> str:
    minutes = int(delta.total_seconds() // 60)  # type: ignore[attr-defined]
    return f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
