"""Cron jobs end to end: POST /v1/jobs and the schedules, through SQS to the workers."""

from __future__ import annotations

import json

import pytest

from common.jobs import schedule_key
from tests.e2e.api_client import Api, wait_for
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
    # Given the run the schedule fired when the system started, with Scheduler's envelope
    schedule, when = next((s, t) for s, t in local_system.scheduler.fired if json.loads(s.input)["task"] == task)
    key = schedule_key(task, when.replace(microsecond=0))

    # When the worker has taken it
    def finished() -> object:
        return next(
            (
                t
                for t in local_system.journal.transitions
                if t.idempotency_key == key and t.status != "running" and t.status != "queued"
            ),
            None,
        )

    done = wait_for(finished, within_s=90, what=f"the scheduled {task} run finished")

    # Then the job it made succeeded, as the ops CLI tells
    assert done.status == "succeeded", done
    history = ops("job", "history", done.job_id)
    assert history["job"]["status"] == "succeeded"
    assert schedule.name.endswith(task)
