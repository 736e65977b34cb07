"""The sweeper in the Cron stack: its schedule, queue and DLQ, what it may send to, and its database role."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match, Template

from stacks.cron import JOB_TASKS


@pytest.fixture(scope="module")
def cron(templates) -> Template:
    return templates["Cron"]


def _sweeper_function(cron: Template) -> tuple[str, dict]:
    found = cron.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "cron.sweep_handler.lambda_handler"}}
    )
    assert len(found) == 1
    return next(iter(found.items()))


def test_a_schedule_puts_a_tick_on_the_sweeper_queue_which_redrives_to_its_dlq(cron, cfg):
    sc = cfg.cron.sweeper_schedule
    cron.has_resource_properties(
        "AWS::Scheduler::Schedule", {"Name": f"{cfg.prefix}-sweeper", "ScheduleExpression": sc.expression}
    )
    cron.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": f"{cfg.prefix}-sweeper",
            "RedrivePolicy": Match.object_like({"maxReceiveCount": cfg.cron.sweeper.max_receive_count}),
        },
    )
    cron.has_resource_properties("AWS::SQS::Queue", {"QueueName": f"{cfg.prefix}-sweeper-dlq"})


def test_the_sweeper_is_not_a_job_task_the_router_can_queue(stacks):
    assert "sweeper" not in stacks.cron.workers


def test_the_sweeper_logs_in_as_its_own_role_with_its_config(cron, cfg):
    _, fn = _sweeper_function(cron)
    env = fn["Properties"]["Environment"]["Variables"]
    assert env["DB_USER"] == "huntaze_sweeper"
    assert json.loads(env["SWEEP_MAX_ATTEMPTS"]) == {
        "video": cfg.video.worker.max_receive_count,
        "imports": cfg.events.imports.max_receive_count,
        **{t: getattr(cfg.cron, t).max_receive_count for t in JOB_TASKS if t not in ("video", "imports")},
    }
    assert (env["SWEEP_QUEUED_GRACE_SECONDS"], env["SWEEP_LEASE_GRACE_SECONDS"], env["SWEEP_BATCH"]) == (
        str(cfg.cron.sweeper_queued_grace_seconds),
        str(cfg.cron.sweeper_lease_grace_seconds),
        str(cfg.cron.sweeper_batch),
    )
    assert f"{cfg.prefix}-video" in json.dumps(env["SWEEP_QUEUE_URLS"])


def test_the_sweeper_may_send_to_the_job_queues_only(cron, cfg):
    rid, fn = _sweeper_function(cron)
    role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    sends = [
        s
        for p in cron.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "sqs:SendMessage" in s["Action"]
    ]
    assert len(sends) == 1
    targets = json.dumps(sends[0]["Resource"])
    for task in JOB_TASKS:
        assert f':{cfg.prefix}-{task}"' in targets
    assert "sweeper" not in targets and "*" not in targets


def test_a_grace_inside_a_queues_visibility_timeout_is_a_config_error():
    from stacks.config import ConfigError
    from tests.infra.conftest import synth_app

    # Given a queued grace shorter than the video queue's visibility timeout (6 x 300 s)
    with pytest.raises(ConfigError, match=r"cron.sweeper_queued_grace_seconds = 600 must exceed the video queue"):
        synth_app("dev", {"cron": {"sweeper_queued_grace_seconds": 600}})
