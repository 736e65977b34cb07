"""Every queue, DLQ and function of every synthesized template has its alarms in the Monitoring stack."""

from __future__ import annotations

from typing import Any

import pytest

# metric name -> the alarm every resource of that kind must have
DLQ_METRICS = {"ApproximateNumberOfMessagesVisible"}
QUEUE_METRICS = {"ApproximateAgeOfOldestMessage"}
FUNCTION_METRICS = {"Errors", "Throttles", "Duration"}


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


def _targets(value: Any, exports: dict) -> set[tuple[str, str]]:
    """(stack, logical id) of every resource a dimension value points at."""
    if isinstance(value, dict):
        if "Fn::ImportValue" in value:
            return {exports[value["Fn::ImportValue"]]}
        if "Ref" in value:
            return {("Monitoring", value["Ref"])}
        if "Fn::GetAtt" in value:
            return {("Monitoring", value["Fn::GetAtt"][0])}
        return set().union(*(_targets(v, exports) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_targets(v, exports) for v in value)) if value else set()
    return set()


@pytest.fixture(scope="module")
def covered(templates) -> dict[tuple[str, str], set[str]]:
    """(stack, logical id) -> metric names alarmed on it."""
    exports = _exports(templates)
    result: dict[tuple[str, str], set[str]] = {}
    for props in (r["Properties"] for r in templates["Monitoring"].find_resources("AWS::CloudWatch::Alarm").values()):
        for dim in props.get("Dimensions", []):
            for target in _targets(dim["Value"], exports):
                result.setdefault(target, set()).add(props["MetricName"])
    return result


def _app_resources(templates) -> tuple[set, set, set]:
    queues, dlqs, functions = set(), set(), set()
    for stack, t in templates.items():
        resources = t.to_json().get("Resources") or {}
        stack_dlqs = set()
        # A function that is a custom resource's ServiceToken (CDK's bucket-notification,
        # auto-delete, trigger providers) or a Trigger's handler (the migrations) runs
        # only during deploys, where a failure already fails the deployment.
        deploy_time = {
            r["Properties"]["ServiceToken"]["Fn::GetAtt"][0]
            for r in resources.values()
            if isinstance((r.get("Properties") or {}).get("ServiceToken"), dict) and "Fn::GetAtt" in r["Properties"]["ServiceToken"]
        }
        versions = {rid: r["Properties"]["FunctionName"]["Ref"] for rid, r in resources.items() if r["Type"] == "AWS::Lambda::Version"}
        deploy_time |= {
            versions[r["Properties"]["HandlerArn"]["Ref"]] for r in resources.values() if r["Type"] == "Custom::Trigger"
        }
        for r in resources.values():
            if r["Type"] == "AWS::SQS::Queue":
                target = (r["Properties"].get("RedrivePolicy") or {}).get("deadLetterTargetArn")
                if isinstance(target, dict) and "Fn::GetAtt" in target:
                    stack_dlqs.add((stack, target["Fn::GetAtt"][0]))
        for rid, r in resources.items():
            if r["Type"] == "AWS::SQS::Queue":
                (dlqs if (stack, rid) in stack_dlqs else queues).add((stack, rid))
            elif r["Type"] == "AWS::Lambda::Function" and rid not in deploy_time:
                functions.add((stack, rid))
    return queues, dlqs, functions


def test_every_dlq_alarms_on_any_visible_message(templates, covered):
    _, dlqs, _ = _app_resources(templates)
    missing = [d for d in dlqs if not covered.get(d, set()) >= DLQ_METRICS]
    assert missing == []


def test_every_queue_alarms_on_the_age_of_its_oldest_message(templates, covered):
    queues, _, _ = _app_resources(templates)
    missing = [q for q in queues if not covered.get(q, set()) >= QUEUE_METRICS]
    assert missing == []


def test_every_function_alarms_on_errors_throttles_and_duration(templates, covered):
    _, _, functions = _app_resources(templates)
    assert functions, "no function found: the walk would pass vacuously"
    missing = {f: sorted(FUNCTION_METRICS - covered.get(f, set())) for f in functions if not covered.get(f, set()) >= FUNCTION_METRICS}
    assert missing == {}


def test_the_data_tier_and_the_api_are_watched(templates, covered):
    metrics = set().union(*covered.values())
    assert {"CPUUtilization", "FreeStorageSpace", "DatabaseConnections"} <= metrics
    assert {"DatabaseMemoryUsagePercentage", "EngineCPUUtilization"} <= metrics
    if templates["Router"].find_resources("AWS::ApiGatewayV2::Api"):
        assert {"5xx", "Latency"} <= metrics
