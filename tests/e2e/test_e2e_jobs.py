"""Cron jobs end to end: POST /v1/jobs and the schedules, through SQS to the workers."""

from __future__ import annotations

from datetime import datetime

import pytest

from common.jobs import schedule_key
from tests.e2e.api_client import FINISHED, Api, wait_for
from tools.local.system import LocalSystem

CRON_TASKS = ("trends", "data", "alerts")


@pytest.mark.parametrize("task", CRON_TASKS)
def test_a_job_submitted_through_the_api_succeeds(api: Api, task: str) -> None:
    # Given a job of the task, submitted by the dev user
    submitted = api.post("/v1/jobs", {"task": task, "payload": {}})
    assert submitted.status == 202, submitted

    # When its worker has run it
    job = api.wait_job(submitted.body["jobId"])

    # Then it succeeded with a result
    assert job["status"] == "succeeded", job
    assert job["task"] == task
    assert job["result"] is not None


@pytest.mark.parametrize("task", CRON_TASKS)
def test_the_scheduled_run_of_each_task_succeeds(local_system: LocalSystem, ops, task: str) -> None:
    # Given the runs the schedules fire (each at start, with Scheduler's scheduled-time envelope)
    def scheduled(key: str | None) -> bool:
        prefix = f"{task}:"
        if not key or not key.startswith(prefix):
            return False
        return key == schedule_key(task, datetime.fromisoformat(key.removeprefix(prefix)))

    # When the worker has taken the first one
    def finished() -> object:
        return next(
            (t for t in local_system.journal.transitions if scheduled(t.idempotency_key) and t.status in FINISHED),
            None,
        )

    done = wait_for(finished, within_s=90, what=f"a scheduled {task} run finished")

    # Then the job it made succeeded, as the ops CLI tells
    assert done.status == "succeeded", done
    history = ops("job", "history", done.job_id)
    assert history["job"]["status"] == "succeeded"
    assert history["job"]["task"] == task
