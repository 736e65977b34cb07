"""The task registry (common.tasks) is the one task list: the copies that cannot import it agree with it.

The SQL ``CHECK`` on ``jobs.task`` is read back from a really migrated database
(pg_constraint), not from the migration's text, so a later migration that
changes it is covered too.
"""

from __future__ import annotations

import re

import psycopg
import pytest

from common import names, payloads, tasks
from cron import alert_rules
from router import contract
from stacks.db_roles import DB_ROLES


@pytest.mark.pg
def test_the_sql_check_on_jobs_task_admits_exactly_the_registered_tasks(database_url):
    # Given a database migrated by the real migration code
    with psycopg.connect(database_url) as conn:
        # When the CHECK constraints on jobs.task are read back from the catalog
        rows = conn.execute(
            "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
            " WHERE c.conrelid = 'jobs'::regclass AND c.contype = 'c' AND a.attname = 'task'"
        ).fetchall()
    # Then there is one, and the values it admits are the registry's tasks
    assert len(rows) == 1, rows
    admitted = re.findall(r"'([^']*)'::text", rows[0][0])
    assert sorted(admitted) == sorted(tasks.TASKS), rows[0][0]


def test_the_payload_shapes_cover_every_client_task_in_registry_order():
    # Given the registry; Then every task a client may ask for has a shape (an empty one when it takes no fields)
    assert list(payloads.TASK_PAYLOADS) == list(tasks.API_TASKS)
    assert list(tasks.API_TASKS) == [t for t in tasks.TASKS if t != "imports"]


def test_the_api_contract_offers_one_job_request_per_client_task():
    # Given the contract's job request union; Then its variants are the tasks a client may ask for, in registry order
    assert list(contract.JOB_REQUEST.variants) == list(tasks.API_TASKS)


def test_alert_rules_choose_among_the_registered_tasks():
    assert alert_rules.TASKS is tasks.TASKS


def test_every_task_has_a_database_role():
    assert set(tasks.TASKS) <= set(DB_ROLES)


def test_scheduled_tasks_name_a_runner_that_exists_and_queue_fed_ones_none():
    import importlib

    for spec in tasks.REGISTRY:
        if not spec.scheduled:
            assert spec.runner is None, spec
            continue
        # Then "module:function" imports and is callable
        module, _, function = (spec.runner or "").partition(":")
        assert callable(getattr(importlib.import_module(module), function)), spec


def test_an_unknown_task_is_refused_naming_the_known_ones():
    # bad input tried: a task nobody registered
    with pytest.raises(KeyError, match="expected one of video, trends, data, alerts"):
        tasks.spec("billing")


def test_names_follow_huntaze_stage_task():
    p = names.prefix("dev")
    assert (names.queue(p, "video"), names.dlq(p, "video"), names.function(p, "ops")) == (
        "huntaze-dev-video",
        "huntaze-dev-video-dlq",
        "huntaze-dev-ops",
    )
    assert names.task_of_dlq(p, "huntaze-dev-video-dlq") == "video"
    # bad input tried: another stage's DLQ, a queue that is no DLQ, the bare suffix
    assert [names.task_of_dlq(p, n) for n in ("huntaze-prod-video-dlq", "huntaze-dev-video", "huntaze-dev--dlq")] == [
        None,
        None,
        None,
    ]
