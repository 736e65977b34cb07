"""The ops function (Ops stack): what the ops CLI's job commands invoke inside the VPC."""

from __future__ import annotations

from typing import Any

from common.jobs import TASKS


def _ops(templates, cfg) -> tuple[str, dict]:
    functions = templates["Ops"].find_resources(
        "AWS::Lambda::Function", {"Properties": {"FunctionName": f"{cfg.prefix}-ops"}}
    )
    assert len(functions) == 1, "no function named <prefix>-ops in the Ops stack"
    ((logical_id, resource),) = functions.items()
    return logical_id, resource["Properties"]


def _role_ref(props: dict) -> dict:
    return {"Ref": props["Role"]["Fn::GetAtt"][0]}


def _statements(templates, role_ref: dict) -> list[dict]:
    policies = templates["Ops"].find_resources("AWS::IAM::Policy")
    return [
        s
        for p in policies.values()
        if role_ref in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def _flat(value: Any) -> str:
    """An ``Fn::Join`` of pseudo parameters as text: ``arn:${AWS::Partition}:sqs:...``."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "${" + value["Ref"] + "}"
    sep, parts = value["Fn::Join"]
    return sep.join(_flat(p) for p in parts)


def test_the_function_has_the_name_the_cli_invokes_and_the_ops_handler(templates, cfg):
    _, props = _ops(templates, cfg)
    assert props["Handler"] == "ops.handler.lambda_handler"
    assert props["Architectures"] == ["arm64"]


def test_it_runs_in_the_vpc_with_the_workers_security_group(stacks, templates, cfg):
    # Given RDS admits only the workers' security group
    _, props = _ops(templates, cfg)
    assert len(props["VpcConfig"]["SubnetIds"]) == 2 and len(props["VpcConfig"]["SecurityGroupIds"]) == 1
    # Then the function carries exactly that group
    assert stacks.ops.ops_function.connections.security_groups == [stacks.data.workers_sg]
    assert stacks.ops.resolve(props["VpcConfig"]["SecurityGroupIds"][0]) == stacks.ops.resolve(
        stacks.data.workers_sg.security_group_id
    )


def test_it_may_send_only_to_the_task_queues_and_nothing_else_on_sqs(templates, cfg):
    _, props = _ops(templates, cfg)
    sqs_statements = [
        s for s in _statements(templates, _role_ref(props)) if any(a.startswith("sqs:") for a in _actions(s))
    ]
    assert len(sqs_statements) == 1
    (statement,) = sqs_statements
    assert statement["Effect"] == "Allow" and _actions(statement) == ["sqs:SendMessage"]
    arns = {_flat(r) for r in statement["Resource"]}
    expected = {
        f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{cfg.prefix}-{task}" for task in TASKS
    }
    assert arns == expected


def test_the_queue_url_prefix_names_the_same_queues(templates, cfg):
    _, props = _ops(templates, cfg)
    prefix = _flat(props["Environment"]["Variables"]["QUEUE_URL_PREFIX"])
    assert prefix == f"https://sqs.${{AWS::Region}}.${{AWS::URLSuffix}}/${{AWS::AccountId}}/{cfg.prefix}-"


def test_it_logs_in_as_its_own_database_role_and_reads_no_secret(templates, cfg):
    _, props = _ops(templates, cfg)
    assert props["Environment"]["Variables"]["DB_USER"] == "huntaze_ops"
    statements = _statements(templates, _role_ref(props))
    assert [s for s in statements if "rds-db:connect" in _actions(s)], "the ops role cannot log in to the database"
    assert not [s for s in statements if "secretsmanager:GetSecretValue" in _actions(s)]


def test_it_is_tagged_unalarmed_and_gets_no_alarms(templates, cfg):
    # An operator invokes it synchronously and sees every error: no $0.10/month alarms for it
    logical_id, fn = _ops(templates, cfg)
    assert {"Key": "huntaze:alarms", "Value": "off"} in fn["Tags"]
    alarms = templates["Ops"].find_resources("AWS::CloudWatch::Alarm")
    assert not [
        a
        for a in alarms.values()
        if {"Name": "FunctionName", "Value": {"Ref": logical_id}} in a["Properties"].get("Dimensions", [])
    ]
