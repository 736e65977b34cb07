"""A finished job announced to the completion-webhook notifier (lambdas/webhooks) through its queue.

The lifecycle (`common.lifecycle`) calls `announce` after it commits a job's
end. The message names the job, the attempt that ended it and the event; the
notifier derives the Standard Webhooks message id from the three, so a second
announcement of one end (a redelivered job message finding the job already
finished) is the same message and is delivered once per endpoint.

A stage with no webhook endpoint sets no JOB_EVENTS_QUEUE_URL: nothing is sent.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common.errors import PermanentError, TransientError
from common.settings import Env

if TYPE_CHECKING:
    from common.jobs import Job

logger = logging.getLogger(__name__)

QUEUE_URL_ENV = "JOB_EVENTS_QUEUE_URL"
EVENT_OF_STATUS = {"succeeded": "job.succeeded", "failed": "job.failed"}


@dataclass(frozen=True)
class Completion:
    job_id: uuid.UUID
    attempt: int  # the job's attempt count when it ended: a re-run that ends again is a new event
    event: str  # job.succeeded | job.failed

    def to_body(self) -> str:
        return json.dumps({"jobId": str(self.job_id), "attempt": self.attempt, "event": self.event})

    @classmethod
    def of(cls, job: Job) -> Completion | None:
        event = EVENT_OF_STATUS.get(job.status)
        return None if event is None else cls(job.id, job.attempts, event)

    @classmethod
    def parse(cls, body: str) -> Completion:
        try:
            data: Any = json.loads(body)
            completion = cls(uuid.UUID(data["jobId"]), int(data["attempt"]), str(data["event"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise PermanentError("malformed_message", f"not a job completion: {type(exc).__name__}") from None
        if completion.event not in EVENT_OF_STATUS.values():
            raise PermanentError("malformed_message", f"unknown event {completion.event[:64]!r}")
        return completion


def announce(job: Job) -> bool:
    """Queue the job's completion for the notifier; False when this stage has none (or the job is unfinished).

    Raises `TransientError` when SQS refuses: the caller hands its own message
    back, and its redelivery announces again.
    """
    url = queue_url()
    completion = Completion.of(job)
    if url is None or completion is None:
        return False
    try:
        _sqs().send_message(QueueUrl=url, MessageBody=completion.to_body())
    except Exception as exc:  # botocore's ClientError / connection errors
        logger.warning("job %s: its completion was not queued: %s", job.id, exc)
        raise TransientError("announce_failed", "the job's completion could not be queued") from exc
    return True


@functools.cache
def queue_url() -> str | None:
    # Optional: a stage with no webhook endpoint gives its workers no queue (stacks/webhooks.py announce_to).
    return Env(os.environ).optional(QUEUE_URL_ENV)


@functools.cache
def _sqs() -> Any:
    import boto3

    return boto3.client("sqs")


def reset() -> None:
    """Forget the cached queue URL and client (tests)."""
    queue_url.cache_clear()
    _sqs.cache_clear()
