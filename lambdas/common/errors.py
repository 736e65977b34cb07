"""The two failure kinds every worker distinguishes.

A `PermanentError` is recorded on the job and the message is dropped; a
`TransientError` sends the message back to the queue so SQS retries it (and
moves it to the DLQ after maxReceiveCount). Both carry a short machine
`reason` (stable, used for metrics and API mapping) and a human `message`.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar


class WorkerError(Exception):
    """Base of the failures a worker knows how to classify."""

    retryable: ClassVar[bool]

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message}


class PermanentError(WorkerError):
    """Bad input or a request that can never succeed; never retried."""

    retryable = False


class TransientError(WorkerError):
    """Throttling, 5xx, timeouts, a dropped connection, time running out."""

    retryable = True


class ConfigurationError(RuntimeError):
    """The function is deployed with missing or invalid settings.

    Neither permanent nor transient for the job: it is our bug, so it is left to
    crash the invocation loudly (the message returns to the queue, then the DLQ
    alarm fires) instead of failing users' jobs.
    """


class OverBudget(TransientError):
    """A model call the day's AI budget has no room for: nothing was spent, try again at `retry_at`.

    `scope` names the budget ('global', or 'caller:<who>'); amounts are
    micro-dollars. The router answers 429 with Retry-After; a worker's job is
    deferred to `retry_at` (the next UTC midnight) instead of failing.
    """

    def __init__(self, reason: str, message: str, *, scope: str, retry_at: datetime, retry_after_s: int) -> None:
        super().__init__(reason, message)
        self.scope = scope
        self.retry_at = retry_at
        self.retry_after_s = retry_after_s  # from when it was raised until retry_at
