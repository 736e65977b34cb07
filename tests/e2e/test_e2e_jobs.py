"""Cron jobs end to end: POST /v1/jobs and the schedules, through SQS to the workers."""

from __future__ import annotations

from datetime import datetime

import pytest

from common.jobs import schedule_key
from tests.e2e.api_client import FINISHED, Api, wait_for
from tools.local.system import LocalSystem

CRON_TASKS = ("trends", "data", "alerts")


@pytest.fixture(scope="session")
def operator_api(api: Api, token_for, local_system: LocalSystem) -> Api:
    """The API as an operator: scheduled tasks queued by hand need the stage's operator scope."""
    dep = local_system.deployment
    assert dep is not None
    scope = dep.functions[dep.api.function].environment["OPERATOR_SCOPE"]
    return api.as_user(token_for("local-operator", scope=scope))


@pytest.mark.parametrize("task", CRON_TASKS)
def test_a_scheduled_task_queued_by_hand_needs_the_operator_scope(api: Api, task: str) -> None:
    # Given the dev user's token, which carries no operator scope
    # When it queues a scheduled task by hand
    refused = api.post("/v1/jobs", {"task": task, "payload": {}})
    # Then the API refuses it before anything is queued
    assert (refused.status, refused.body["error"]) == (403, "operator_scope_required"), refused


@pytest.mark.parametrize("task", CRON_TASKS)
def test_a_job_submitted_through_the_api_succeeds(operator_api: Api, task: str) -> None:
    api = operator_api
    # Given a job of the task, submitted by an operator
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
