"""Every queue, DLQ and function of every synthesized template has its alarms in the Monitoring stack."""

from __future__ import annotations

from typing import Any

import pytest

# metric name -> the alarm every resource of that kind must have
DLQ_METRICS = {"ApproximateNumberOfMessagesVisible"}
QUEUE_METRICS = {"ApproximateAgeOfOldestMessage"}
# Throttles are alarmed once for the account (test_throttles_are_alarmed_for_the_whole_account).
FUNCTION_METRICS = {"Errors", "Duration"}


def _exports(templates: dict) -> dict[str, tuple[str, str]]:
    """export name -> (stack, logical id) it exposes."""
    found = {}
    for stack, t in templates.items():
        for output in (t.to_json().get("Outputs") or {}).values():
            name, value = (output.get("Export") or {}).get("Name"), output.get("Value")
            if name and isinstance(value, dict):
                if "Ref" in value:
                    found[name] = (stack, value["Ref"])
                elif "Fn::GetAtt" in value:
                    found[name] = (stack, value["Fn::GetAtt"][0])
    return found


def _names(templates: dict) -> dict[str, tuple[str, str]]:
    """(dimension, physical name) -> (stack, logical id), for queues and functions given a literal name."""
    found = {}
    for stack, t in templates.items():
        for rid, r in (t.to_json().get("Resources") or {}).items():
            props = r.get("Properties") or {}
            for dimension in ("QueueName", "FunctionName"):
                if isinstance(props.get(dimension), str):
                    found[(dimension, props[dimension])] = (stack, rid)
    return found


def _published(templates: dict) -> dict[str, tuple[str, str]]:
    """Monitoring's SSM-typed parameter -> (stack, logical id) whose id the SSM parameter it reads publishes."""
    owners = {}
    for stack, t in templates.items():
        for r in t.find_resources("AWS::SSM::Parameter").values():
            value = r["Properties"]["Value"]
            ref = value.get("Ref") or (value.get("Fn::GetAtt") or [None])[0]
            owners[r["Properties"]["Name"]] = (stack, ref)
    params = templates["Monitoring"].to_json().get("Parameters") or {}
    return {pid: owners[p["Default"]] for pid, p in params.items() if p.get("Default") in owners}


def _targets(value: Any, exports: dict, names: dict, published: dict | None = None) -> set[tuple[str, str]]:
    """(stack, logical id) of every resource a dimension value points at (by import, reference, name or published id)."""
    if isinstance(value, tuple):  # (dimension name, literal value)
        return {names[value]} if value in names else set()
    if isinstance(value, dict):
        if "Fn::ImportValue" in value:
            return {exports[value["Fn::ImportValue"]]}
        if "Ref" in value and value["Ref"] in (published or {}):
            return {published[value["Ref"]]}
        if "Ref" in value:
            return {("Monitoring", value["Ref"])}
        if "Fn::GetAtt" in value:
            return {("Monitoring", value["Fn::GetAtt"][0])}
        return set().union(*(_targets(v, exports, names, published) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_targets(v, exports, names, published) for v in value)) if value else set()
    return set()


@pytest.fixture(scope="module")
def covered(templates) -> dict[tuple[str, str], set[str]]:
    """(stack, logical id) -> metric names alarmed on it."""
    exports, names, published = _exports(templates), _names(templates), _published(templates)
    result: dict[tuple[str, str], set[str]] = {}
    for props in (r["Properties"] for r in templates["Monitoring"].find_resources("AWS::CloudWatch::Alarm").values()):
        for dim in props.get("Dimensions", []):
            value = (dim["Name"], dim["Value"]) if isinstance(dim["Value"], str) else dim["Value"]
            for target in _targets(value, exports, names, published):
                result.setdefault(target, set()).add(props["MetricName"])
    return result


def _unalarmed(resource: dict) -> bool:
    return {"Key": "huntaze:alarms", "Value": "off"} in (resource["Properties"].get("Tags") or [])


def test_only_the_migrations_and_the_ops_function_go_without_alarms(templates):
    unalarmed = sorted(
        rid.rstrip("0123456789ABCDEF")
        for t in templates.values()
        for rid, r in (t.to_json().get("Resources") or {}).items()
        if r["Type"] == "AWS::Lambda::Function" and _unalarmed(r)
    )
    assert unalarmed == ["Migrate", "Ops"]


def _app_resources(templates) -> tuple[set, set, set]:
    queues, dlqs, functions = set(), set(), set()
    for stack, t in templates.items():
        resources = t.to_json().get("Resources") or {}
        stack_dlqs = set()
        # A function that is a custom resource's ServiceToken (CDK's bucket-notification,
        # auto-delete, trigger providers) runs only during deploys, where a failure
        # already fails the deployment; one tagged unalarmed says why in its code.
        deploy_time = {
            r["Properties"]["ServiceToken"]["Fn::GetAtt"][0]
            for r in resources.values()
            if isinstance((r.get("Properties") or {}).get("ServiceToken"), dict)
            and "Fn::GetAtt" in r["Properties"]["ServiceToken"]
        }
        deploy_time |= {rid for rid, r in resources.items() if r["Type"] == "AWS::Lambda::Function" and _unalarmed(r)}
        for r in resources.values():
            # A DLQ is named by a queue's or a subscription's redrive policy, or by a schedule target's dead-letter config.
            if r["Type"] in ("AWS::SQS::Queue", "AWS::SNS::Subscription"):
                target = (r["Properties"].get("RedrivePolicy") or {}).get("deadLetterTargetArn")
            elif r["Type"] == "AWS::Scheduler::Schedule":
                target = ((r["Properties"].get("Target") or {}).get("DeadLetterConfig") or {}).get("Arn")
            else:
                continue
            if isinstance(target, dict) and "Fn::GetAtt" in target:
                stack_dlqs.add((stack, target["Fn::GetAtt"][0]))
        for rid, r in resources.items():
            if r["Type"] == "AWS::SQS::Queue":
                (dlqs if (stack, rid) in stack_dlqs else queues).add((stack, rid))
            elif r["Type"] == "AWS::Lambda::Function" and rid not in deploy_time:
                functions.add((stack, rid))
    return queues, dlqs, functions


def _queue(templates, stack: str, name: str) -> set[tuple[str, str]]:
    """(stack, logical id) of the queue named ``name``."""
    resources = templates[stack].to_json()["Resources"]
    return {
        (stack, rid)
        for rid, r in resources.items()
        if r["Type"] == "AWS::SQS::Queue" and r["Properties"].get("QueueName") == name
    }


def test_dlqs_are_found_by_redrive_policy_and_by_schedule_dead_letter_config(templates, cfg):
    queues, dlqs, _ = _app_resources(templates)
    video_dlq = _queue(templates, "Video", f"{cfg.prefix}-video-dlq")
    schedules_dlq = _queue(templates, "Cron", f"{cfg.prefix}-schedules-dlq")
    assert video_dlq and schedules_dlq, "the known DLQs are missing from the templates: the walk would pass vacuously"
    assert video_dlq | schedules_dlq <= dlqs
    assert not (schedules_dlq & queues), "the schedules' DLQ must not be treated as a work queue"


def test_every_dlq_alarms_on_any_visible_message(templates, covered):
    _, dlqs, _ = _app_resources(templates)
    assert len(dlqs) >= 2, "no DLQ found: the walk would pass vacuously"
    missing = [d for d in dlqs if not covered.get(d, set()) >= DLQ_METRICS]
    assert missing == []


def test_no_dlq_gets_a_work_queue_age_alarm(templates, covered):
    _, dlqs, _ = _app_resources(templates)
    assert [d for d in dlqs if QUEUE_METRICS & covered.get(d, set())] == []


def test_every_queue_alarms_on_the_age_of_its_oldest_message(templates, covered, cfg):
    queues, _, _ = _app_resources(templates)
    video_queue = _queue(templates, "Video", f"{cfg.prefix}-video")
    assert video_queue and video_queue <= queues, "the video work queue was not found: the walk would pass vacuously"
    missing = [q for q in queues if not covered.get(q, set()) >= QUEUE_METRICS]
    assert missing == []


def test_every_function_alarms_on_errors_and_duration(templates, covered):
    _, _, functions = _app_resources(templates)
    assert functions, "no function found: the walk would pass vacuously"
    missing = {
        f: sorted(FUNCTION_METRICS - covered.get(f, set()))
        for f in functions
        if not covered.get(f, set()) >= FUNCTION_METRICS
    }
    assert missing == {}


def test_throttles_are_alarmed_for_the_whole_account(templates):
    # Given functions in the app / Then one Throttles alarm without dimensions covers all of them
    alarms = [r["Properties"] for r in templates["Monitoring"].find_resources("AWS::CloudWatch::Alarm").values()]
    account = [
        p
        for p in alarms
        if p["MetricName"] == "Throttles" and p["Namespace"] == "AWS/Lambda" and not p.get("Dimensions")
    ]
    assert len(account) == 1
    assert account[0]["Statistic"] == "Sum" and account[0]["Threshold"] == 1


def test_the_data_tier_and_the_api_are_watched(templates, covered):
    metrics = set().union(*covered.values())
    assert {"CPUUtilization", "FreeStorageSpace", "DatabaseConnections"} <= metrics
    assert {"DatabaseMemoryUsagePercentage", "EngineCPUUtilization"} <= metrics
    if templates["Router"].find_resources("AWS::ApiGatewayV2::Api"):
        assert {"5xx", "Latency"} <= metrics


def test_the_sweeper_queue_its_dlq_and_its_function_are_alarmed(templates, covered, cfg):
    # Given the sweeper's resources, found by their names
    queue = _queue(templates, "Cron", f"{cfg.prefix}-sweeper")
    dlq = _queue(templates, "Cron", f"{cfg.prefix}-sweeper-dlq")
    resources = templates["Cron"].to_json()["Resources"]
    function = {
        ("Cron", rid)
        for rid, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("FunctionName") == f"{cfg.prefix}-sweeper"
    }
    assert queue and dlq and function
    # Then each carries its kind's alarms
    assert all(covered.get(q, set()) >= QUEUE_METRICS for q in queue)
    assert all(covered.get(d, set()) >= DLQ_METRICS for d in dlq)
    assert all(covered.get(f, set()) >= FUNCTION_METRICS for f in function)
