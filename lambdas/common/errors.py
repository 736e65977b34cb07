"""The two failure kinds every worker distinguishes.

A `PermanentError` is recorded on the job and the message is dropped; a
`TransientError` sends the message back to the queue so SQS retries it (and
moves it to the DLQ after maxReceiveCount). Both carry a short machine
`reason` (stable, used for metrics and API mapping) and a human `message`.
"""

from __future__ import annotations

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
