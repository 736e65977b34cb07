"""The alerting scenarios of issue 19 over simulated time, each asserting the exact messages per channel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alert_world import World
from cron_testdata import T0

S = "[huntaze test]"


@pytest.fixture
def world(db_conn, aws, httpserver) -> World:
    return World(db_conn, httpserver)


def dlq_rule(name="dlq", severity="critical", **extra):
    return {"name": name, "kind": "dlq_depth", "severity": severity, "definition": {"max": 0}, **extra}


def test_sustained_breach_fires_once_after_the_pending_period_then_reminds(world):
    # Given a critical DLQ rule (2 of 2, reminders every hour) and a DLQ that stays full for 3 hours
    world.rules(dlq_rule(repeat_interval_minutes=60, runbook="docs/runbooks/dlq-messages.md"))
    world.dlq_messages(3)

    world.advance(180)

    # Then FIRING once the pending period passed, then a reminder each hour labelled with since-when
    expected = [f"{S} FIRING dlq", f"{S} REMINDER dlq", f"{S} REMINDER dlq"]
    assert world.subjects() == {"email": expected, "slack": [f"*{s}*" for s in expected]}
    firing, reminder, _ = [m["Message"] for m in world.inbox_messages()]
    assert firing.startswith("FIRING dlq (critical) since 2026-03-10 12:05Z\n3 messages in the dead-letter queues")
    assert firing.endswith("Runbook: https://github.com/o/r/blob/main/docs/runbooks/dlq-messages.md")
    assert reminder.startswith("REMINDER dlq (critical): still firing since 2026-03-10 12:05Z (1h 00m)")


def test_recovery_is_always_announced(world):
    # Given a DLQ incident of 50 minutes (reminders every 60 minutes, as the cooldown was)
    world.rules(dlq_rule(repeat_interval_minutes=60))
    world.dlq_messages(1)
    world.advance(50)
    world.dlq_messages(0)

    world.advance(70)

    # Then the channel's last word is RESOLVED, with how long it fired
    expected = [f"{S} FIRING dlq", f"{S} RESOLVED dlq"]
    assert world.subjects() == {"email": expected, "slack": [f"*{s}*" for s in expected]}
    resolved = world.inbox_messages()[-1]["Message"]
    assert resolved.startswith("RESOLVED dlq (critical): was firing since 2026-03-10 12:05Z (45m)")


def test_flapping_is_damped_by_the_pending_period(world):
    # Given a DLQ that fills and drains at every other run for two hours
    world.rules(dlq_rule())

    world.advance(120, each=lambda w: w.dlq_messages(1 if w.now.minute % 10 == 0 else 0))

    # Then nothing is sent: 2 of 2 is never met
    assert world.subjects() == {"email": [], "slack": []}


def test_flapping_while_firing_keeps_one_episode(world):
    # Given a rule firing, that then clears and breaches again within its keep-firing time
    world.rules(dlq_rule(keep_firing_minutes=15))
    world.dlq_messages(1)
    world.advance(10)
    world.advance(30, each=lambda w: w.dlq_messages(1 if w.now.minute % 10 == 0 else 0))
    world.dlq_messages(0)

    world.advance(30)

    # Then one FIRING and one RESOLVED, 15 minutes after it last breached
    expected = [f"{S} FIRING dlq", f"{S} RESOLVED dlq"]
    assert world.subjects()["email"] == expected


def test_no_data_then_data_reads_only_complete_buckets(world):
    # Given a no-views rule, and views arriving from 14:00 with the data job every 15 minutes
    world.rules({"name": "no-views", "kind": "no_data", "definition": {"event_type": "view"}})
    world.views(T0 + timedelta(hours=2), hours=4)

    results = world.advance(300)

    # Then it fires once two complete empty hours were read, and resolves on the first complete hour with views
    assert world.subjects() == {"email": [], "slack": [f"*{S} FIRING no-views*", f"*{S} RESOLVED no-views*"]}
    fired = [r["events"] for r in results if r["events"]]
    assert [e for events in fired for e in events] == [
        {"rule": "no-views", "event": "firing"},
        {"rule": "no-views", "event": "resolved"},
    ]
    # Before the data job's first run there is nothing to judge
    assert results[0]["states"] == {"no-views": "no_data"}


def test_steady_traffic_never_looks_like_a_drop(world):
    # Given a steady 100 views an hour and a rule on a 10% drop
    world.rules(
        {
            "name": "views-drop",
            "kind": "change",
            "definition": {"event_type": "view", "percent": 10, "direction": "down"},
        }
    )
    world.views(T0 - timedelta(hours=3), hours=9)

    results = world.advance(300)

    # Then no hour being counted is ever read as a drop
    assert world.subjects() == {"email": [], "slack": []}
    assert {r["states"]["views-drop"] for r in results[4:]} == {"ok"}


def test_ten_rules_firing_together_send_one_message_per_channel(world):
    world.rules(*[dlq_rule(f"r{i}", breaches=1, evaluations=1) for i in range(10)])
    world.dlq_messages(1)

    world.advance(5)

    assert world.subjects() == {"email": [f"{S} 10 FIRING"], "slack": [f"*{S} 10 FIRING*"]}
    (email,) = world.inbox_messages()
    assert [line.split(" (")[0] for line in email["Message"].split("\n\n")] == [f"FIRING r{i}" for i in range(10)]


def test_severity_routes_and_email_only_never_reaches_slack(world):
    # Given a warning (routed to Slack) and a critical rule sent by email only
    world.rules(
        dlq_rule("warn", severity="warning", breaches=1, evaluations=1),
        dlq_rule("mail", breaches=1, evaluations=1, channels=["email"]),
    )
    world.dlq_messages(1)

    world.advance(5)

    # Then each message reaches its channels once: the forwarder skips the rule email
    assert world.subjects() == {"email": [f"{S} FIRING mail"], "slack": [f"*{S} FIRING warn*"]}


def test_slack_500_is_retried_with_backoff_then_by_the_next_run(world):
    # Given Slack answering 500 to every attempt of the first run
    world.rules(dlq_rule(severity="warning", breaches=1, evaluations=1))
    world.dlq_messages(1)
    world.slack_answers = [(500, {})] * 3

    first = world.advance(5)

    # Then three attempts with backoff, recorded as failed, nothing lost
    assert world.slept == [1.0, 2.0]
    assert first[0]["deliveries"] == [{"channel": "slack", "events": 1, "error": "slack_unavailable"}]
    assert world.subjects()["slack"] == []

    # When the next run finds Slack back
    second = world.advance(5)

    # Then the FIRING goes out then, once
    assert second[0]["deliveries"] == [{"channel": "slack", "events": 1, "error": None}]
    assert world.subjects() == {"email": [], "slack": [f"*{S} FIRING dlq*"]}


def test_slack_429_waits_what_retry_after_asks_within_the_run(world):
    world.rules(dlq_rule(severity="warning", breaches=1, evaluations=1))
    world.dlq_messages(1)
    world.slack_answers = [(429, {"Retry-After": "7"})]

    world.advance(5)

    assert world.slept == [7.0]
    assert world.subjects() == {"email": [], "slack": [f"*{S} FIRING dlq*"]}


def test_slack_429_longer_than_a_run_is_left_to_the_next_run(world):
    world.rules(dlq_rule(severity="warning", breaches=1, evaluations=1))
    world.dlq_messages(1)
    world.slack_answers = [(429, {"Retry-After": "600"})]

    world.advance(5)
    assert world.slept == [] and world.subjects()["slack"] == []
    world.advance(5)

    assert world.subjects()["slack"] == [f"*{S} FIRING dlq*"]


def test_slack_429_is_not_waited_for_past_the_runs_time(world):
    # Given a run with 15 s left and Slack asking for 7 s (the last attempt needs 10 s of its own)
    world.rules(dlq_rule(severity="warning", breaches=1, evaluations=1))
    world.dlq_messages(1)
    world.slack_answers = [(429, {"Retry-After": "7"})]
    world.remaining_s = 15.0

    world.advance(5)

    # Then the run does not wait, and the next run delivers
    assert world.slept == [] and world.subjects()["slack"] == []
    world.advance(5)
    assert world.subjects()["slack"] == [f"*{S} FIRING dlq*"]


def test_a_silence_mutes_then_the_episode_is_told_when_it_ends(world):
    from common import alert_ops

    # Given a firing-to-be rule under a 20-minute maintenance window (real wall clock for the silence)
    world.rules(dlq_rule(breaches=1, evaluations=1))
    world.dlq_messages(1)
    world.now = world.now.replace(year=2099)
    with world.conn.transaction():
        world.conn.execute(
            "INSERT INTO alert_silences (rule_name, starts_at, ends_at, reason, created_by) "
            "VALUES (NULL, %s, %s, 'deploy', 'ops')",
            (world.now - timedelta(minutes=1), world.now + timedelta(minutes=20)),
        )
    assert alert_ops.muted_rules(world.conn, world.now) == (True, set())

    world.advance(20)
    assert world.subjects() == {"email": [], "slack": []}
    world.advance(5)

    # Then the still-firing rule is told once the window is over
    assert world.subjects()["email"] == [f"{S} FIRING dlq"]
