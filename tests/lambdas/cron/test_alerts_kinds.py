"""Each rule kind fires and clears on what it measures; a rule that cannot be evaluated is `error`, told once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alert_world import World
from cron_testdata import T0

from common import job_store
from common.errors import PermanentError

S = "[huntaze test]"


@pytest.fixture
def world(db_conn, aws, httpserver) -> World:
    return World(db_conn, httpserver)


def watermark(w: World, at) -> None:
    with w.conn.transaction():
        w.conn.execute(
            "INSERT INTO rollup_watermarks (name, value_at) VALUES ('content_rollups', %s) "
            "ON CONFLICT (name) DO UPDATE SET value_at = EXCLUDED.value_at",
            (at,),
        )


def views(w: World, hour_offset: int, count: int) -> None:
    with w.conn.transaction():
        w.conn.execute(
            "INSERT INTO content_rollups_hourly (bucket_start, account_id, content_id, event_type, event_count, value_sum) "
            "VALUES (%s, 'a', 'c', 'view', %s, %s) ON CONFLICT (bucket_start, account_id, content_id, event_type) "
            "DO UPDATE SET event_count = EXCLUDED.event_count, value_sum = EXCLUDED.value_sum",
            (T0 + timedelta(hours=hour_offset), count, count),
        )


def failed_job(w: World, minutes_ago: int) -> None:
    job, _ = job_store.create_job(w.conn, "video")
    job_store.fail_unstarted(w.conn, job.id, PermanentError("not_a_video", "bad file"))
    with w.conn.transaction():
        w.conn.execute(
            "UPDATE jobs SET updated_at = %s WHERE id = %s", (w.now - timedelta(minutes=minutes_ago), job.id)
        )


def analysis(w: World, hours_ago: int) -> None:
    with w.conn.transaction():
        w.conn.execute(
            "INSERT INTO video_analyses (bucket, key, etag, status, completed_at) VALUES ('b', %s, 'e', 'succeeded', %s)",
            (f"k{hours_ago}", w.now - timedelta(hours=hours_ago)),
        )


def spent(w: World, micro_usd: int) -> None:
    """This month's AI calls cost `micro_usd` in all (the world's budget is 1000)."""
    with w.conn.transaction():
        w.conn.execute("DELETE FROM ai_calls")
        w.conn.execute(
            "INSERT INTO ai_calls (day, caller, task, model, prompt_tokens, completion_tokens, cost_micro_usd) "
            "VALUES (%s, 'u', 'ai_route', 'm', 1, 1, %s)",
            (w.now.date(), micro_usd),
        )


# kind -> (definition, make it breach, make it clear); the world's clock is T0 (12:00), watermark 12:00
CASES = {
    "threshold": (
        {"event_type": "view", "op": ">", "value": 100},
        lambda w: views(w, -1, 150),
        lambda w: views(w, -1, 90),
    ),
    "threshold-below": (
        {"event_type": "view", "op": "<", "value": 50},
        lambda w: views(w, -1, 10),
        lambda w: views(w, -1, 60),
    ),
    "change": (
        {"event_type": "view", "percent": 50, "direction": "up"},
        lambda w: (views(w, -2, 100), views(w, -1, 200)),
        lambda w: views(w, -1, 110),
    ),
    "no_data": ({"event_type": "view"}, lambda w: None, lambda w: views(w, -1, 1)),
    "dlq_depth": ({"queue": "video", "max": 0}, lambda w: w.dlq_messages(3), lambda w: w.dlq_messages(0)),
    "failed_jobs": (
        {"window_minutes": 60, "max": 0},
        lambda w: failed_job(w, 10),
        lambda w: w.conn.execute("DELETE FROM jobs"),
    ),
    "analyses": ({"window_hours": 24, "min": 1}, lambda w: analysis(w, 30), lambda w: analysis(w, 2)),
    "ai_spend": ({"percent": 80}, lambda w: spent(w, 800), lambda w: spent(w, 799)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_kind_fires_then_resolves(world, case):
    definition, breach, clear = CASES[case]
    kind = case.split("-")[0]
    world.rules(
        {"name": "r", "kind": kind, "severity": "critical", "definition": definition, "breaches": 1, "evaluations": 1}
    )
    watermark(world, T0)
    breach(world)
    first = world.alert()
    clear(world)
    world.conn.commit()
    world.now += timedelta(minutes=5)
    second = world.alert()

    assert (first["states"], second["states"]) == ({"r": "firing"}, {"r": "ok"})
    assert world.subjects()["email"] == [f"{S} FIRING r", f"{S} RESOLVED r"]


def test_rollup_rules_wait_for_the_data_jobs_first_run(world):
    # Given a no-data rule and no rollup watermark yet
    world.rules({"name": "r", "kind": "no_data", "definition": {"event_type": "view"}, "breaches": 1, "evaluations": 1})

    result = world.alert()

    # Then there is nothing to judge: no_data, and nothing is sent
    assert result["states"] == {"r": "no_data"} and world.subjects() == {"email": [], "slack": []}


def test_a_rule_that_cannot_be_evaluated_is_an_error_told_once(world):
    # Given a DLQ rule for a queue this worker does not watch
    world.rules({"name": "r", "kind": "dlq_depth", "definition": {"queue": "alerts"}, "severity": "critical"})

    first, second = world.advance(10)

    # Then it is in error, reported by each run, and told once
    assert first["states"] == second["states"] == {"r": "error"}
    assert first["ruleErrors"][0]["error"] == "no dead-letter queue is known for 'alerts' (known: video)"
    assert world.subjects()["email"] == [f"{S} ERROR r"]


def test_disabling_a_firing_rule_resolves_it_and_re_enabling_sends_nothing_stale(world):
    # Given a firing rule
    rule = {"name": "r", "kind": "dlq_depth", "severity": "critical", "breaches": 1, "evaluations": 1}
    world.rules(rule)
    world.dlq_messages(1)
    world.advance(5)
    # When the rules file disables it, its condition clears, and it is enabled again
    world.rules({**rule, "enabled": False})
    world.dlq_messages(0)
    world.advance(10)
    world.rules(rule)
    world.advance(10)

    # Then disabling told RESOLVED once, and the re-enabled rule starts again from ok
    assert world.subjects()["email"] == [f"{S} FIRING r", f"{S} RESOLVED r"]
    assert "the rule was disabled while firing" in world.inbox_messages()[-1]["Message"]
