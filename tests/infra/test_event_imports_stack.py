"""The events imports worker (in the Video stack, beside the other uploads consumer): events/ -> SQS -> function."""

from __future__ import annotations

import json


def _fn(templates) -> dict:
    fns = templates["Video"].find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "imports.handler.lambda_handler"}}
    )
    assert len(fns) == 1
    return next(iter(fns.values()))


def _notifications(templates) -> list[dict]:
    notif = templates["Video"].find_resources("Custom::S3BucketNotifications")
    assert len(notif) == 1  # one configuration per bucket: both prefixes in it
    return next(iter(notif.values()))["Properties"]["NotificationConfiguration"]["QueueConfigurations"]


def test_events_files_notify_the_imports_queue(templates):
    config = {c["Filter"]["Key"]["FilterRules"][0]["Value"]: c for c in _notifications(templates)}
    assert sorted(config) == ["events/", "uploads/"]
    assert config["events/"]["Events"] == ["s3:ObjectCreated:*"]
    assert "EventImportsWorkerQueue" in json.dumps(config["events/"]["QueueArn"])


def test_the_imports_queue_dead_letters_after_its_configured_receives(templates, cfg):
    queues = templates["Video"].find_resources(
        "AWS::SQS::Queue", {"Properties": {"QueueName": f"{cfg.prefix}-imports"}}
    )
    (queue,) = queues.values()
    redrive = queue["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == cfg.events.imports.max_receive_count
    assert "EventImportsWorkerDlq" in json.dumps(redrive["deadLetterTargetArn"])


def test_the_worker_gets_the_event_rules_and_limits_of_the_stage(templates, cfg):
    env = _fn(templates)["Properties"]["Environment"]["Variables"]
    assert env["DB_USER"] == "huntaze_imports" and env["TASK"] == "imports"
    assert env["EVENT_TYPES"] == ",".join(cfg.events.types)
    assert env["EVENT_LOOKBACK_HOURS"] == str(cfg.cron.late_event_lookback_hours)
    assert env["EVENTS_PREFIX"] == "events/"
    assert (env["IMPORT_MAX_OBJECT_BYTES"], env["IMPORT_MAX_TEXT_BYTES"], env["IMPORT_MAX_LINES"]) == (
        str(cfg.events.import_max_object_bytes),
        str(cfg.events.import_max_text_bytes),
        str(cfg.events.import_max_lines),
    )


def test_the_worker_reads_events_files_and_nothing_else_in_the_bucket(templates):
    role = _fn(templates)["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = [
        p
        for p in templates["Video"].find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
    ]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    s3 = [s for s in statements if any(str(a).startswith("s3:") for a in _list(s["Action"]))]
    actions = sorted(a for s in s3 for a in _list(s["Action"]))
    assert actions == ["s3:GetObject", "s3:ListBucket"]
    get = next(s for s in s3 if "s3:GetObject" in _list(s["Action"]))
    assert json.dumps(get["Resource"]).endswith('/events/*"]]}')
    listing = next(s for s in s3 if "s3:ListBucket" in _list(s["Action"]))
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["events/*"]}}
    assert not any("sqs:SendMessage" in _list(s["Action"]) for s in statements)


def _list(value) -> list:
    return value if isinstance(value, list) else [value]
