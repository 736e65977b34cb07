"""One log line per job transition, read from the jobs' own history (job_events)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

logger = logging.getLogger("local.jobs")


@dataclass(frozen=True)
class Transition:
    job_id: str
    task: str
    status: str
    attempt: int
    reason: str | None
    idempotency_key: str | None


class JobJournal:
    def __init__(self, database_url: str, interval_s: float = 0.3) -> None:
        self.database_url, self.interval_s = database_url, interval_s
        self.transitions: list[Transition] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="journal", daemon=True)

    def start(self) -> JobJournal:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        last = 0
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self._stop.is_set():
                rows = conn.execute(
                    "SELECT e.id, e.job_id, j.task, e.status, e.attempt, e.reason, j.idempotency_key FROM job_events e"
                    " JOIN jobs j ON j.id = e.job_id WHERE e.id > %s ORDER BY e.id",
                    (last,),
                ).fetchall()
                for event_id, job_id, task, status, attempt, reason, key in rows:
                    last = event_id
                    self.transitions.append(Transition(str(job_id), task, status, attempt, reason, key))
                    why = f" ({reason})" if reason else ""
                    logger.info("job %s %s -> %s, attempt %s%s", task, job_id, status, attempt, why)
                self._stop.wait(self.interval_s)
