"""One cron queue message: parse it, find or create its job, run it through the shared job lifecycle.

A message nobody can read follows `common.messages.drop_unreadable` (logged,
counted, acknowledged). Everything after that (lease, run, outcome, retries)
is `common.lifecycle`, the same as the video worker's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from common import job_store, jobs, lifecycle, messages
from common.errors import PermanentError

if TYPE_CHECKING:
    import psycopg

    from common.deadline import Deadline

Runner = Callable[["psycopg.Connection", jobs.Job, jobs.JobMessage], dict[str, Any]]


def process(delivery: messages.Delivery, *, task: str, runner: Runner, deadline: Deadline) -> jobs.Job | None:
    """Run the job a message asks for; the job as it ends, or None if the message was unreadable."""
    try:
        msg = _parse(delivery.body, task)
    except PermanentError as exc:
        messages.drop_unreadable(delivery, exc, task=task)
        return None

    from common import db

    with db.connection() as conn:
        try:
            job = job_store.ensure_job_for_message(conn, msg)
        except PermanentError as exc:
            messages.drop_unreadable(delivery, exc, task=task, conn=conn)
            return None
        # The runner works on this connection, so the lifecycle records on it too.
        outcome = lifecycle.run(
            lambda: contextlib.nullcontext(conn),
            job,
            lambda attempt: runner(conn, attempt, msg),
            deadline=deadline,
            delivery=delivery,
        )
        return outcome.job


def _parse(body: str, task: str) -> jobs.JobMessage:
    msg = jobs.parse_message(body)
    if msg.task != task:
        raise PermanentError("wrong_queue", f"a {msg.task} message reached the {task} queue")
    return msg
