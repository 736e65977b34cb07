"""One sweep: send again what was lost on the way to a queue, and settle what a dead worker left running.

A job can wait forever in two ways. Queued, when the API committed its row and
its SQS send was then lost (a crash between the two, a refused send with a
client that never retries). Running, when its worker died (timeout, out of
memory) after taking the lease and its message is gone too (its deliveries
spent into the DLQ). The sweep re-sends the first kind, and returns the second
to its queue while it has attempts left, else fails it `retries_exhausted`.

Re-sending never doubles an effect: a worker takes a job only through its
lease (`job_store.start_job`) and a finished job never runs again, so a copy of
a message that was not lost after all is acknowledged as a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from common import job_recovery
from common.errors import WorkerError

if TYPE_CHECKING:
    import psycopg

    from common.jobs import Job

logger = logging.getLogger(__name__)

# (queue URL, envelope) -> message id
Sender = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class SweepPolicy:
    """How long a job may sit before the sweep acts, and where each task's jobs go."""

    queue_urls: Mapping[str, str]
    # Each task's queue maxReceiveCount: the attempts a job may take.
    max_attempts: Mapping[str, int]
    queued_grace_s: float
    lease_grace_s: float
    batch: int = 100


@dataclass
class SweepReport:
    resent: list[str] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    send_failures: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "Resent": len(self.resent),
            "Requeued": len(self.requeued),
            "FailedAbandoned": len(self.failed),
            "SendFailures": len(self.send_failures),
        }


def sweep(conn: psycopg.Connection, policy: SweepPolicy, send: Sender) -> SweepReport:
    """Run one sweep on `conn`; what it did, by job id."""
    report = SweepReport()
    # Abandoned jobs first: they are committed back to queued before anything is sent.
    requeued = job_recovery.requeue_abandoned(conn, grace_s=policy.lease_grace_s, max_attempts=policy.max_attempts)
    failed = job_recovery.fail_abandoned(conn, grace_s=policy.lease_grace_s)
    report.failed = [str(j.id) for j in failed]
    for job in failed:
        _announce(job)
    for job in requeued:
        report.requeued.append(str(job.id))
        _send(job, policy, send, report)
    stale = job_recovery.claim_stale_queued(conn, grace_s=policy.queued_grace_s, limit=policy.batch)
    for job in stale:
        report.resent.append(str(job.id))
        _send(job, policy, send, report)
    return report


def _send(job: Job, policy: SweepPolicy, send: Sender, report: SweepReport) -> None:
    """Send one job's envelope; a failure is counted and left for the next sweep (the job stays queued)."""
    url = policy.queue_urls.get(job.task)
    if url is None:
        logger.error("no queue for a swept job", extra={"jobId": str(job.id), "task": job.task})
        report.send_failures.append(str(job.id))
        return
    try:
        send(url, job.to_envelope())
    except WorkerError as exc:
        logger.warning("re-send failed", extra={"jobId": str(job.id), "task": job.task, "reason": exc.reason})
        report.send_failures.append(str(job.id))


def _announce(job: Job) -> None:
    """Tell the completion-webhook notifier the job failed (committed above); a refusal is logged, not retried."""
    from common import completion

    try:
        completion.announce(job)
    except WorkerError as exc:
        logger.error("failed job not announced", extra={"jobId": str(job.id), "reason": exc.reason})
