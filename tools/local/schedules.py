"""EventBridge Scheduler, locally: each schedule of the templates puts its input on its queue.

The input is the template's, with Scheduler's context attributes filled in
(``<aws.scheduler.scheduled-time>`` as ISO 8601 UTC, as Scheduler sends it).
``rate()`` schedules fire once when the system starts (a fresh local system
then has a run of each to look at) and then every period x ``period_scale``;
``at()`` fires once at its time; ``cron()`` is not run locally (logged).
It runs as a process of its own (``python -m tools.local.schedules SPEC``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tools.local.deployment import ACCOUNT, Schedule

logger = logging.getLogger("local.scheduler")
_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


def period_s(expression: str) -> float | None:
    found = _RATE.match(expression.strip())
    if not found:
        return None
    return int(found[1]) * _UNIT_S[found[2].rstrip("s")]


def envelope(schedule: Schedule, scheduled: datetime, region: str) -> str:
    """The message body Scheduler sends for the run scheduled at ``scheduled``."""
    values = {
        "scheduled-time": scheduled.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "execution-id": str(uuid.uuid4()),
        "attempt-number": "1",
        "schedule-arn": f"arn:aws:scheduler:{region}:{ACCOUNT}:schedule/default/{schedule.name}",
    }
    text = schedule.input
    for name, value in values.items():
        text = text.replace(f"<aws.scheduler.{name}>", value)
    return text


class Scheduler:
    def __init__(
        self,
        schedules: list[Schedule],
        send: Callable[[str, str], Any],
        *,
        region: str,
        period_scale: float = 1.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.schedules = [s for s in schedules if s.enabled]
        self.send, self.region, self.period_scale, self.clock = send, region, period_scale, clock
        self.fired: list[tuple[Schedule, datetime]] = []
        self._due: dict[str, datetime] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)

    def fire(self, schedule: Schedule, scheduled: datetime) -> None:
        self.send(schedule.queue, envelope(schedule, scheduled, self.region))
        self.fired.append((schedule, scheduled))
        logger.info("schedule %s fired for %s", schedule.name, scheduled.strftime("%H:%M:%S"))

    def start(self) -> Scheduler:
        self.begin(self.clock())
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def begin(self, start: datetime) -> None:
        """Plan the first runs: rate() at ``start``, at() at its time (``tick`` then fires them)."""
        due: dict[str, datetime] = {}
        for s in self.schedules:
            at = _AT.match(s.expression)
            if at:
                due[s.name] = datetime.fromisoformat(at[1]).replace(tzinfo=UTC)
            elif period_s(s.expression) is not None:
                due[s.name] = start
            else:
                logger.warning("schedule %s (%s) is not run locally", s.name, s.expression)
        self._due = due

    def tick(self, now: datetime) -> None:
        """Fire every schedule due by ``now``, for the time it was due."""
        for s in self.schedules:
            when = self._due.get(s.name)
            if when is None or when > now:
                continue
            try:
                self.fire(s, when)
            except Exception as exc:  # Scheduler retries; so does the next tick here
                logger.warning("schedule %s could not send: %s", s.name, exc)
                continue
            period = period_s(s.expression)
            if period is None:
                del self._due[s.name]
            else:
                self._due[s.name] = when + timedelta(seconds=period * self.period_scale)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick(self.clock())
            self._stop.wait(0.2)


def main(spec_path: str) -> None:
    """The scheduler process of the local system: the spec's schedules, sent with boto3 to the local SQS."""
    import boto3

    from tools.local.lambda_runtime import exit_with_parent

    exit_with_parent()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    spec = json.loads(Path(spec_path).read_text())
    sqs = boto3.client("sqs")

    def send(queue: str, body: str) -> None:
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=queue)["QueueUrl"], MessageBody=body)

    schedules = [Schedule(**raw) for raw in spec["schedules"]]
    scheduler = Scheduler(schedules, send, region=spec["region"], period_scale=spec["schedule_scale"])
    scheduler.begin(scheduler.clock())
    scheduler._run()


if __name__ == "__main__":
    main(sys.argv[1])
