"""One SQS delivery as a worker sees it, and the one policy for messages nobody can read.

Unreadable messages: a body that is not JSON, not an envelope the queue
accepts, or that names a job which does not exist (or belongs to another
task). Delivering it again cannot make it readable, so it is a permanent
failure: it is acknowledged rather than retried into the DLQ (where its alarm
would page for something no redrive can fix), logged at ERROR with the
message id, reason and the start of the body, counted in the
`UnreadableMessages` metric (dimension `Task`) so it is visible, and recorded
on the job it names when that job is this queue's and still queued (that job
would otherwise wait forever for a message that will never be read).

Retrying is only for what may be transient; those errors propagate and the
handler reports the record as a batch item failure.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from common.errors import PermanentError
from common.settings import Env

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)

UNREADABLE_METRIC = "UnreadableMessages"
# Enough of a body to recognise it in the logs, not enough to flood them.
BODY_PREVIEW_CHARS = 256
MAX_RECEIVE_COUNT_ENV = "MAX_RECEIVE_COUNT"


class SqsRecordLike(Protocol):
    """What is read from a record (Powertools' `SQSRecord` has it)."""

    @property
    def message_id(self) -> str: ...

    @property
    def body(self) -> str: ...

    @property
    def attributes(self) -> Any: ...


@dataclass(frozen=True)
class Delivery:
    """A queue message and how many times SQS has handed it out."""

    message_id: str
    body: str
    receive_count: int = 1
    max_receive_count: int | None = None

    @property
    def is_last_attempt(self) -> bool:
        """SQS moves the message to the DLQ instead of delivering it again if this attempt fails."""
        return self.max_receive_count is not None and self.receive_count >= self.max_receive_count

    @classmethod
    def from_sqs_record(cls, record: SqsRecordLike) -> Delivery:
        """The delivery of a record; the queue's maxReceiveCount comes from `MAX_RECEIVE_COUNT`."""
        try:
            count = int(record.attributes.approximate_receive_count)
        except (KeyError, TypeError, ValueError):
            count = 1  # SQS always sends it; a hand-made event may not.
        return cls(record.message_id, record.body, count, max_receive_count())


def max_receive_count() -> int:
    """The queue's maxReceiveCount, which `QueueWorker` puts in the function environment."""
    return Env(os.environ).integer(MAX_RECEIVE_COUNT_ENV, minimum=1)


def job_id_in(body: str) -> uuid.UUID | None:
    """The job a (possibly malformed) message names, if it names one readably."""
    import json

    try:
        raw = json.loads(body).get("jobId")
        return uuid.UUID(raw) if isinstance(raw, str) else None
    except (ValueError, TypeError, AttributeError):
        return None


def drop_unreadable(
    delivery: Delivery, error: PermanentError, *, task: str, conn: psycopg.Connection | None = None
) -> None:
    """Apply the unreadable-message policy; the caller then acknowledges the message.

    `conn` is used to record the failure on the named job; without one, a
    connection is opened only if the body names a job.
    """
    logger.error(
        "unreadable message dropped",
        extra={
            "message_id": delivery.message_id,
            "task": task,
            "reason": error.reason,
            "detail": error.message,
            "receive_count": delivery.receive_count,
            "body_preview": delivery.body[:BODY_PREVIEW_CHARS],
        },
    )
    _count_unreadable(task)
    job_id = job_id_in(delivery.body)
    if job_id is None:
        return
    if conn is not None:
        _record_on_job(conn, job_id, error, task=task)
        return
    from common import db

    with db.connection() as own:
        _record_on_job(own, job_id, error, task=task)


def _record_on_job(conn: psycopg.Connection, job_id: uuid.UUID, error: PermanentError, *, task: str) -> None:
    from common import completion, job_store

    job = job_store.get_job(conn, job_id)
    # Another task's job was not this queue's to run, and a running or finished
    # one has had a readable message (fail_unstarted leaves those alone): failing those would be a guess.
    if job is not None and job.task == task:
        failed = job_store.fail_unstarted(conn, job.id, error)
        # Committed by fail_unstarted's own transaction: the notifier hears of this end like any other
        # (a job already finished is announced again; the notifier delivers one end once).
        completion.announce(failed or job)


def _count_unreadable(task: str) -> None:
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    # The namespace comes from POWERTOOLS_METRICS_NAMESPACE (set on every function).
    with single_metric(name=UNREADABLE_METRIC, unit=MetricUnit.Count, value=1) as metric:
        metric.add_dimension(name="Task", value=task)
