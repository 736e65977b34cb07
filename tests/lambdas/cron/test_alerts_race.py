"""Issue 17 E: the repeat interval runs on the wall clock, not on the run's scheduled time.

A redriven (or late) run of an old schedule and the current run evaluate a
firing rule at the same moment, each on its own connection. On the old code
the old run stamped its notification with its scheduled time, so the current
run saw the cooldown long expired and notified again a second later.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from alert_world import World
from psycopg.rows import dict_row

from common import job_store
from cron import alerts
from cron.alert_metrics import SqlMetrics
from cron.health import DlqDepths


class PausedMetrics(SqlMetrics):
    """Measures, waits at ``measured`` until both runs have read, then (if given) until ``then`` is set."""

    def __init__(self, conn: Any, dlqs: DlqDepths, measured: threading.Barrier, then: threading.Event | None) -> None:
        super().__init__(conn, dlqs=dlqs)
        self.measured, self.then = measured, then

    def dlq_depth(self, task: str | None) -> dict[str, int]:
        depths = super().dlq_depth(task)
        self.measured.wait(timeout=30)
        if self.then is not None:
            assert self.then.wait(timeout=30)
        return depths


def test_a_redriven_old_run_and_the_current_run_notify_once(db_conn, aws, httpserver, database_url):
    # Given a rule that fires at once and reminds only after an hour, and a full DLQ
    world = World(db_conn, httpserver)
    world.rules(
        {
            "name": "dlq",
            "kind": "dlq_depth",
            "severity": "warning",
            "definition": {"max": 0},
            "breaches": 1,
            "evaluations": 1,
            "repeat_interval_minutes": 60,
        }
    )
    world.dlq_messages(1)
    now = datetime.now(UTC)
    old_job, current_job = job_store.create_job(db_conn, "alerts")[0], job_store.create_job(db_conn, "alerts")[0]
    measured = threading.Barrier(2)
    old_done = threading.Event()
    outcomes: dict[str, Any] = {}

    def evaluate(name: str, job_id: Any, at: datetime, wait_for: threading.Event | None) -> None:
        # Each run on its own connection, as two Lambda invocations would be, both on the wall clock;
        # the current run decides only once the old one has notified (injected pause, not timing).
        try:
            with psycopg.connect(database_url, row_factory=dict_row) as conn:
                metrics = PausedMetrics(conn, DlqDepths({"video": world.dlq}, world.sqs), measured, wait_for)
                outcomes[name] = alerts.run(
                    conn, job_id=job_id, at=at, metrics=metrics, send=world.delivery(), clock=lambda: datetime.now(UTC)
                )
        except Exception as exc:  # surfaced by the assertion below
            outcomes[name] = exc
        finally:
            if name == "old":
                old_done.set()

    # When the run scheduled 70 minutes ago (redriven) and the current run evaluate it together
    threads = [
        threading.Thread(target=evaluate, args=("old", old_job.id, now - timedelta(minutes=70), None)),
        threading.Thread(target=evaluate, args=("current", current_job.id, now, old_done)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    # Then both succeed and exactly one message went out
    assert all(isinstance(o, dict) for o in outcomes.values()), outcomes
    assert [o["events"] for o in (outcomes["old"], outcomes["current"])] == [[{"rule": "dlq", "event": "firing"}], []]
    assert world.subjects() == {"email": [], "slack": ["*[huntaze test] FIRING dlq*"]}


@pytest.mark.parametrize("minutes", [59, 60])
def test_reminder_is_due_exactly_at_the_repeat_interval_on_the_clock(db_conn, aws, httpserver, minutes):
    # Given a rule told at 12:00 by the clock
    world = World(db_conn, httpserver)
    world.rules({"name": "dlq", "kind": "dlq_depth", "breaches": 1, "evaluations": 1, "repeat_interval_minutes": 60})
    world.dlq_messages(1)
    world.alert()

    # When a run scheduled long before evaluates it ``minutes`` later by the clock
    told = world.now
    world.alert(at=told - timedelta(hours=5), clock=lambda: told + timedelta(minutes=minutes))

    # Then the reminder depends on the clock alone
    expected = ["*[huntaze test] FIRING dlq*"] + (["*[huntaze test] REMINDER dlq*"] if minutes == 60 else [])
    assert world.subjects()["slack"] == expected
