"""Video stack: the S3 -> SQS notification, queue settings and the worker's grants."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match
from cdk_nag import AwsSolutionsChecks


def _fn(templates):
    fns = templates["Video"].find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "video.handler.lambda_handler"}}
    )
    assert len(fns) == 1
    return next(iter(fns.values()))["Properties"]


def test_uploads_notify_the_video_queue(templates):
    # Given the video stack / Then objects created under uploads/ go to the video queue
    notif = templates["Video"].find_resources("Custom::S3BucketNotifications")
    config = next(iter(notif.values()))["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert config[0]["Events"] == ["s3:ObjectCreated:*"]
    assert config[0]["Filter"] == {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}}
    assert "WorkerQueue" in json.dumps(config[0]["QueueArn"])


def test_queue_lets_s3_send(templates):
    templates["Video"].has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": Match.array_with(["sqs:SendMessage"]),
                                "Principal": {"Service": "s3.amazonaws.com"},
                                "Effect": "Allow",
                            }
                        )
                    ]
                )
            }
        },
    )


def test_queue_settings_follow_config(templates, cfg):
    w = cfg.video.worker
    templates["Video"].has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": f"{cfg.prefix}-video",
            "VisibilityTimeout": 6 * w.timeout_seconds,
            "RedrivePolicy": {"maxReceiveCount": w.max_receive_count, "deadLetterTargetArn": Match.any_value()},
        },
    )
    templates["Video"].has_resource_properties(
        "AWS::SQS::Queue", {"QueueName": f"{cfg.prefix}-video-dlq", "MessageRetentionPeriod": 14 * 86400}
    )
    templates["Video"].has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BatchSize": w.batch_size,
            "ScalingConfig": {"MaximumConcurrency": w.max_concurrency},
        },
    )


def test_function_sized_from_config(templates, cfg):
    props = _fn(templates)
    w = cfg.video.worker
    assert props["MemorySize"] == w.memory_mb and props["Timeout"] == w.timeout_seconds
    assert props["EphemeralStorage"] == {"Size": w.ephemeral_storage_mb}
    assert props["Architectures"] == ["arm64"]
    env = props["Environment"]["Variables"]
    assert env["VIDEO_MAX_BYTES"] == str(cfg.video.max_bytes)
    assert env["VIDEO_MODEL"] == "Phi-4-multimodal-instruct"
    assert env["AZURE_AI_KEY_PARAMETER"] == f"/{cfg.prefix}/azure/api-key" and env["DB_USER"] == "huntaze_video"
    assert "DB_SECRET_ARN" not in env  # the master secret is the migrate function's alone
    assert "AZURE_AI_KEY" not in env  # the key itself never sits in the template


def test_worker_knows_the_queue_max_receive_count(templates, cfg):
    # Given the video stack / Then the function can tell a message's last delivery from the others
    assert _fn(templates)["Environment"]["Variables"]["MAX_RECEIVE_COUNT"] == str(cfg.video.worker.max_receive_count)


def test_worker_reads_only_uploads_prefix(templates):
    policies = templates["Video"].find_resources("AWS::IAM::Policy")
    worker = next(p for name, p in policies.items() if name.startswith("WorkerFunction"))
    statements = worker["Properties"]["PolicyDocument"]["Statement"]
    s3_objects = [s for s in statements if any(str(a).startswith("s3:GetObject") for a in _list(s["Action"]))]
    assert s3_objects, "no S3 read grant"
    for s in s3_objects:
        assert all("/uploads/*" in json.dumps(r) for r in _list(s["Resource"]) if "/" in json.dumps(r))
    assert not any(str(a).startswith(("s3:Put", "s3:Delete")) for s in statements for a in _list(s["Action"]))
    s3_actions = {a for s in statements for a in _list(s["Action"]) if str(a).startswith("s3:")}
    assert s3_actions == {"s3:GetObject", "s3:ListBucket"}  # no List*/GetBucket* wildcards
    listing = next(s for s in statements if s["Action"] == "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["uploads/*"]}}
    parameter_reads = [s for s in statements if "ssm:GetParameter" in _list(s["Action"])]
    assert parameter_reads and not [s for s in statements if "secretsmanager:GetSecretValue" in _list(s["Action"])]


def test_azure_key_is_decrypted_only_through_ssm_for_its_own_parameter(templates, cfg):
    # Given the worker's policy / Then kms:Decrypt holds only via SSM for the Azure key parameter
    policies = templates["Video"].find_resources("AWS::IAM::Policy")
    worker = next(p for name, p in policies.items() if name.startswith("WorkerFunction"))
    statements = worker["Properties"]["PolicyDocument"]["Statement"]
    decrypt = next(s for s in statements if s["Action"] == "kms:Decrypt")
    conditions = decrypt["Condition"]["StringEquals"]
    assert "ssm." in json.dumps(conditions["kms:ViaService"])
    assert json.dumps(conditions["kms:EncryptionContext:PARAMETER_ARN"]).endswith(
        f':parameter/{cfg.prefix}/azure/api-key"]]}}'
    )
    for stack in templates.values():
        stack.resource_count_is("AWS::SecretsManager::Secret", 0 if stack is not templates["Data"] else 1)


def test_nag_has_no_errors(stacks):
    report = AwsSolutionsChecks().validate_scope(stacks.video)
    assert [v.rule_name for v in report.violations if v.severity == "error"] == []


def _list(value):
    return value if isinstance(value, list) else [value]


def test_visibility_timeout_covers_the_batching_window_too(cfg):
    # Given a worker that waits up to 20 s to fill a batch
    from aws_cdk.assertions import Template

    from tests.infra.conftest import synth_app

    _, stacks = synth_app("dev", overrides={"video": {"worker": {"max_batching_window_seconds": 20, "batch_size": 5}}})
    # Then its queue hides a message for 6 x the function timeout plus that window
    Template.from_stack(stacks.video).has_resource_properties(
        "AWS::SQS::Queue",
        {"QueueName": f"{cfg.prefix}-video", "VisibilityTimeout": 6 * cfg.video.worker.timeout_seconds + 20},
    )


def test_queue_admits_s3_only_for_the_uploads_bucket_of_this_account(templates):
    s3 = [
        s
        for policy in templates["Video"].find_resources("AWS::SQS::QueuePolicy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Principal") == {"Service": "s3.amazonaws.com"}
    ]
    # One per notified queue: the video worker's (uploads/) and the imports worker's (events/)
    assert len(s3) == 2
    for statement in s3:
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        assert "aws:SourceArn" in statement["Condition"]["ArnLike"]
