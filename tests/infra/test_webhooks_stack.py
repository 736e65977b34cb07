"""Completion webhooks in the app: the notifier (queue, DLQ, alarm, role, secrets) when the stage names an
endpoint, the job workers' grant to announce, and the config rules (https only, enough deliveries)."""

from __future__ import annotations

import copy
import json
import os
from unittest import mock

import pytest
from aws_cdk.assertions import Match, Template

from stacks.config import ConfigError, load_stage_config
from tests.infra.conftest import CDK_CONTEXT, synth_app
from tests.infra.test_settings_roundtrip import RecordingEnviron, stand_in

ENDPOINTS = [
    {"name": "app", "url": "https://app.huntaze.com/api/webhooks/jobs"},
    {"name": "ops", "url": "https://ops.example.com/hooks", "events": ["job.failed"]},
]
JOB_WORKER_TASKS = ("video", "trends", "data", "alerts")


@pytest.fixture(scope="module")
def hooked(tmp_path_factory) -> dict[str, Template]:
    _app, stacks = synth_app(
        "dev", {"webhooks": {"endpoints": ENDPOINTS}}, outdir=str(tmp_path_factory.mktemp("cdk-hooked"))
    )
    return {s.stack_name.split("-")[-1]: Template.from_stack(s) for s in stacks.all()}


def _notifier(cron: Template) -> dict:
    (fn,) = cron.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "webhooks.handler.lambda_handler"}}
    ).values()
    return fn["Properties"]


def _functions_of_task(templates: dict[str, Template], task: str) -> list[dict]:
    return [
        r["Properties"]
        for t in templates.values()
        for r in t.find_resources("AWS::Lambda::Function").values()
        if r["Properties"].get("Environment", {}).get("Variables", {}).get("TASK") == task
    ]


def test_the_notifier_is_a_queue_worker_with_a_dlq_and_enough_deliveries_for_the_back_off(hooked):
    cron = hooked["Cron"]
    cron.has_resource_properties(
        "AWS::SQS::Queue",
        {"QueueName": "huntaze-dev-webhooks", "RedrivePolicy": Match.object_like({"maxReceiveCount": 8})},
    )
    cron.has_resource_properties("AWS::SQS::Queue", {"QueueName": "huntaze-dev-webhooks-dlq"})
    cron.has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
    )


def test_the_monitoring_stack_alarms_on_the_notifiers_dlq(hooked):
    alarms = hooked["Monitoring"].find_resources("AWS::CloudWatch::Alarm")
    assert any("huntaze-dev-webhooks-dlq" in json.dumps(a) for a in alarms.values())


def test_each_endpoint_has_its_signing_secret_and_the_notifier_reads_only_those(hooked):
    cron = hooked["Cron"]
    for endpoint in ENDPOINTS:
        cron.has_resource_properties(
            "AWS::SecretsManager::Secret",
            {
                "Name": f"huntaze-dev/webhooks/{endpoint['name']}",
                "GenerateSecretString": Match.object_like({"PasswordLength": 44}),
            },
        )
    env = _notifier(cron)["Environment"]["Variables"]
    assert json.loads(env["WEBHOOK_ENDPOINTS"]) == [
        {**ENDPOINTS[0], "events": ["job.succeeded", "job.failed"], "secret": "huntaze-dev/webhooks/app"},
        {**ENDPOINTS[1], "secret": "huntaze-dev/webhooks/ops"},
    ]
    assert env["DB_USER"] == "huntaze_webhooks" and env["WEBHOOK_REQUIRE_HTTPS"] == "true"


def test_the_notifier_reads_every_variable_its_stack_sets(hooked):
    from common import settings as common_settings
    from webhooks import settings

    variables = _notifier(hooked["Cron"])["Environment"]["Variables"]
    environ = RecordingEnviron({k: stand_in(v) for k, v in variables.items()})
    with mock.patch.object(os, "environ", environ):
        parsed = settings.from_env(os.environ)
        common_settings.reset()
        common_settings.database_settings()
        common_settings.service_name()
    common_settings.reset()
    assert parsed.max_receive_count == 8 and parsed.retry_delays_s[0] == 5
    left = (
        set(variables)
        - environ.read
        - {"TASK", "STAGE", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL"}
    )
    assert left == set()


@pytest.mark.parametrize("task", JOB_WORKER_TASKS)
def test_every_job_worker_may_announce_to_the_notifiers_queue(hooked, task):
    from common.completion import QUEUE_URL_ENV

    (fn,) = _functions_of_task(hooked, task)
    assert "huntaze-dev-webhooks" in json.dumps(fn["Environment"]["Variables"][QUEUE_URL_ENV])
    policies = [
        p
        for t in hooked.values()
        for p in t.find_resources("AWS::IAM::Policy").values()
        if "sqs:SendMessage" in json.dumps(p) and ":huntaze-dev-webhooks" in json.dumps(p)
    ]
    assert policies


def test_the_sweeper_may_announce_the_jobs_it_fails(hooked):
    from common.completion import QUEUE_URL_ENV

    (fn,) = _functions_of_task(hooked, "sweeper")
    assert QUEUE_URL_ENV in fn["Environment"]["Variables"]


def test_a_stage_without_endpoints_builds_no_notifier_and_announces_nothing(templates):
    from common.completion import QUEUE_URL_ENV

    assert not templates["Cron"].find_resources(
        "AWS::SQS::Queue", {"Properties": {"QueueName": "huntaze-dev-webhooks"}}
    )
    for task in JOB_WORKER_TASKS:
        (fn,) = _functions_of_task(templates, task)
        assert QUEUE_URL_ENV not in fn["Environment"]["Variables"]


def _config_with(**webhooks) -> dict:
    config = copy.deepcopy(CDK_CONTEXT["config"])
    config["stages"]["prod"]["webhooks"] = webhooks
    return config


@pytest.mark.parametrize(
    ("webhooks", "key"),
    [
        ({"endpoints": [{"name": "app", "url": "http://app.huntaze.com/hooks"}]}, "webhooks.endpoints.0.url"),
        ({"endpoints": [{"name": "app", "url": "https://user@app.huntaze.com/hooks"}]}, "webhooks.endpoints.0.url"),
        ({"endpoints": [{"name": "App!", "url": "https://app.huntaze.com/h"}]}, "webhooks.endpoints.0.name"),
        (
            {"endpoints": [{"name": "a", "url": "https://a.example.com", "events": ["job.started"]}]},
            "webhooks.endpoints.0.events",
        ),
        (
            {
                "endpoints": [
                    {"name": "a", "url": "https://a.example.com"},
                    {"name": "a", "url": "https://b.example.com"},
                ]
            },
            "webhooks.endpoints",
        ),
        ({"retry_delays_seconds": [5, 50000]}, "webhooks.retry_delays_seconds"),
        ({"worker": {"max_receive_count": 3}}, "webhooks"),
        (
            {
                "endpoints": [{"name": n, "url": f"https://{n}.example.com"} for n in ("a", "b", "c", "d")],
                "timeout_seconds": 15,
            },
            "webhooks",
        ),
    ],
)
def test_a_bad_webhooks_config_stops_synth_naming_the_key(webhooks, key):
    with pytest.raises(ConfigError) as err:
        load_stage_config(_config_with(**webhooks), "prod", environ={})
    assert f"config stages.prod.{key}" in str(err.value)


def test_the_notifier_connects_as_its_own_role_and_counts_in_the_connection_budget(tmp_path):
    from stacks import connection_budget

    _app, stacks = synth_app("dev", {"webhooks": {"endpoints": ENDPOINTS}}, outdir=str(tmp_path))
    fn = stacks.data.database_clients["webhooks"]
    assert connection_budget.max_concurrency(fn) == stacks.cfg.webhooks.worker.max_concurrency
    assert connection_budget.check(stacks.cfg, stacks.data) > 0


@pytest.mark.parametrize("name", ["Video", "Cron"])
def test_the_notifier_and_the_announce_grants_raise_no_unacknowledged_nag_error(tmp_path, name):
    from cdk_nag import AwsSolutionsChecks, ServerlessChecks

    from tests.infra.test_nag import _errors, _stack

    _app, stacks = synth_app("dev", {"webhooks": {"endpoints": ENDPOINTS}}, outdir=str(tmp_path))
    for pack in (AwsSolutionsChecks, ServerlessChecks):
        assert _errors(pack, _stack(stacks, name)) == []
