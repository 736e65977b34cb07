"""Scheduled tasks queued by hand through POST /v1/jobs need the operator scope."""

from __future__ import annotations

import pytest
from router_events import CLAIMS, queue_messages

OPERATOR_SCOPE = "huntaze/operator"


@pytest.fixture
def operator_env(router_env, monkeypatch):
    """The deployed function's operator settings (the stack passes the scheduled tasks)."""
    from router import settings

    monkeypatch.setenv("OPERATOR_SCOPE", OPERATOR_SCOPE)
    monkeypatch.setenv("OPERATOR_TASKS", "trends,data,alerts")
    settings.reset()
    yield router_env
    settings.reset()


def _jobs(db_conn) -> int:
    return db_conn.execute("SELECT count(*) AS n FROM jobs").fetchone()["n"]


def test_a_caller_without_the_scope_cannot_queue_a_scheduled_task(call, operator_env, db_conn):
    # When a plain user posts a trends job
    answer = call("POST", "/v1/jobs", {"task": "trends", "payload": {}}, claims={**CLAIMS, "scope": "read write"})
    # Then it is refused, and nothing is stored or queued
    assert (answer.status, answer.body["error"]) == (403, "operator_scope_required")
    assert OPERATOR_SCOPE in answer.body["detail"]
    assert _jobs(db_conn) == 0 and queue_messages(operator_env, "trends") == []


def test_the_scope_is_checked_before_the_payload(call, operator_env):
    # A caller who may not queue the task learns nothing about its payload rules.
    answer = call("POST", "/v1/jobs", {"task": "trends", "payload": {"foo": 1}})
    assert answer.status == 403


def test_an_operator_queues_a_scheduled_task(call, operator_env):
    answer = call(
        "POST", "/v1/jobs", {"task": "trends", "payload": {}}, claims={**CLAIMS, "scope": f"read {OPERATOR_SCOPE}"}
    )
    assert answer.status == 202, answer.body
    assert [m["jobId"] for m in queue_messages(operator_env, "trends")] == [answer.body["jobId"]]


def test_a_scope_that_only_contains_the_name_is_not_the_scope(call, operator_env):
    answer = call(
        "POST", "/v1/jobs", {"task": "trends", "payload": {}}, claims={**CLAIMS, "scope": "huntaze/operators"}
    )
    assert answer.status == 403


def test_any_caller_still_queues_a_video_job(call, operator_env):
    answer = call("POST", "/v1/jobs", {"task": "video", "payload": {"key": "uploads/abc/clip.mp4"}})
    assert answer.status == 202, answer.body


def test_without_a_configured_scope_the_router_does_not_start(operator_env):
    # Given the router's environment without OPERATOR_SCOPE (the stage config always has one)
    import os

    from common.errors import ConfigurationError
    from router.settings import RouterSettings

    env = {k: v for k, v in os.environ.items() if k != "OPERATOR_SCOPE"}
    # When its settings are read / Then it stops, naming the variable, instead of letting anyone queue
    with pytest.raises(ConfigurationError, match="OPERATOR_SCOPE"):
        RouterSettings.from_env(env)
