"""Every function's real template environment, read by that function's own settings readers.

config -> environment -> settings crosses a boundary twice, and a name written on one side only
drifts silently: a reader falls back to its default when the stack renames a variable. So, for
each Lambda function of the synthesized app, the readers it calls at start run against exactly the
environment CloudFormation will give it (tokens replaced by a stand-in string), and

- every reader succeeds (a missing or malformed variable raises ConfigurationError), and
- every variable the stack sets is read by one of them (a renamed variable is left unread).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest
from aws_lambda_powertools import Logger

from common import messages
from common import settings as common_settings
from common.deadline import Deadline

STAND_IN = "standin"
# What a shared construct sets whether or not the function reads it (known, listed in issue 10):
# PythonFunction gives every function its STAGE (only cron reads it) and a Powertools metrics
# namespace (no function publishes Powertools metrics yet); QueueWorker gives every worker its TASK
# (the video, imports and webhooks workers have only one) and its MAX_RECEIVE_COUNT (the sweeper keeps no job of its own
# to mark retries_exhausted: a failed sweep is simply the next one).
SET_BY_CONSTRUCTS = {"STAGE", "POWERTOOLS_METRICS_NAMESPACE"}
SET_BY_QUEUE_WORKER = {
    "video.handler": {"TASK"},
    "imports.handler": {"TASK"},
    "webhooks.handler": {"TASK"},
    "cron.sweep_handler": {"TASK", "MAX_RECEIVE_COUNT"},
}


class RecordingEnviron(dict):
    """A process environment that remembers which variables the code asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def stand_in(value: Any) -> str:
    """A template value as the function will see it, with each CloudFormation token a plain word."""
    if isinstance(value, str):
        return value
    ((fn, arg),) = value.items()
    if fn == "Fn::Join":
        separator, parts = arg
        return separator.join(stand_in(p) for p in parts)
    if fn == "Fn::Sub":
        text = arg if isinstance(arg, str) else arg[0]
        return re.sub(r"\$\{[^}]+\}", STAND_IN, text)
    return STAND_IN  # Ref, Fn::GetAtt, Fn::ImportValue, ...


def _announces() -> None:
    """A job worker's completion queue (common.completion; set only when the stage has webhook endpoints)."""
    from common import completion

    completion.queue_url()


def _router() -> None:
    from router.settings import router_settings

    router_settings()
    common_settings.database_settings()
    common_settings.redis_settings()
    common_settings.azure_ai_settings()
    common_settings.ai_budget_settings()


def _video() -> None:
    from video.settings import video_settings

    video_settings()
    messages.max_receive_count()
    common_settings.database_settings()
    common_settings.azure_ai_settings()
    common_settings.ai_budget_settings()
    _announces()


def _cron() -> None:
    from cron import runners

    # As cron.handler does per record: the task names its runner, which reads the cron settings.
    runners.for_task(os.environ["TASK"], Deadline.after(60.0))
    messages.max_receive_count()
    common_settings.database_settings()
    if os.environ["TASK"] == "trends":
        common_settings.azure_ai_settings()
    if os.environ["TASK"] in ("trends", "alerts"):
        common_settings.ai_budget_settings()  # the summary's guard; the ai_spend rule's monthly budget
    _announces()


def _sweeper() -> None:
    from cron import sweep_settings

    sweep_settings.sweep_policy()
    common_settings.database_settings()
    _announces()  # it fails abandoned jobs


def _imports() -> None:
    from imports.settings import import_settings

    import_settings()
    messages.max_receive_count()
    common_settings.database_settings()
    _announces()


def _webhooks() -> None:
    from webhooks.settings import webhook_settings

    webhook_settings()  # its endpoints name their signing secrets; MAX_RECEIVE_COUNT is its own
    common_settings.database_settings()


def _ops() -> None:
    from ops.queues import TaskQueues

    TaskQueues.from_env(os.environ)  # as task_queues() does; its default binds the real environ
    common_settings.database_settings()


def _notify() -> None:
    from notify import handler

    alarm = {"Records": [{"Sns": {"Subject": "ALARM", "Message": "{}"}}]}
    with (
        mock.patch.object(handler.secrets, "get_secure_parameter", return_value="https://hooks.example/x") as secret,
        mock.patch.object(handler.slack_webhook, "post"),
    ):
        handler.lambda_handler.__wrapped__(alarm, None)
    ((name,), _) = secret.call_args
    assert name == os.environ["SLACK_WEBHOOK_PARAMETER"]


def _migrate() -> None:
    common_settings.database_settings()


# The readers each function runs, by the module its handler lives in.
READERS: dict[str, Callable[[], None]] = {
    "router.handler": _router,
    "video.handler": _video,
    "cron.handler": _cron,
    "cron.sweep_handler": _sweeper,
    "ops.handler": _ops,
    "notify.handler": _notify,
    "migrate.handler": _migrate,
    "imports.handler": _imports,
    "webhooks.handler": _webhooks,
}


def _our_functions(templates) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for stack, template in templates.items():
        for logical_id, resource in template.find_resources("AWS::Lambda::Function").items():
            props = resource["Properties"]
            package = props.get("Handler", "").rpartition(".")[0]
            if props.get("Runtime", "").startswith("python") and package in READERS:
                yield f"{stack}/{logical_id}", package, props.get("Environment", {}).get("Variables", {})


def _reset_caches() -> None:
    from common import completion
    from cron import runners
    from cron import settings as cron_settings
    from imports import settings as import_settings
    from ops.queues import task_queues
    from router import settings as router_settings
    from video.settings import video_settings
    from webhooks import settings as webhook_settings

    common_settings.reset()
    completion.reset()
    import_settings.reset()
    webhook_settings.reset()
    cron_settings.reset()
    runners.reset()
    router_settings.reset()
    video_settings.cache_clear()
    task_queues.cache_clear()


@pytest.fixture(scope="module")
def functions(tmp_path_factory) -> list[tuple[str, str, dict[str, Any]]]:
    """The dev app with a webhook endpoint, so the notifier and every worker's completion queue exist too."""
    from aws_cdk.assertions import Template

    from tests.infra.conftest import synth_app

    endpoint = {"name": "app", "url": "https://app.example.com/hooks"}
    _app, stacks = synth_app(
        "dev", {"webhooks": {"endpoints": [endpoint]}}, outdir=str(tmp_path_factory.mktemp("cdk-roundtrip"))
    )
    return sorted(_our_functions({s.stack_name: Template.from_stack(s) for s in stacks.all()}))


def test_every_function_package_has_its_readers_listed(functions):
    """Given the synthesized app, when its Python functions are listed, then each package is covered once at least."""
    assert {package for _, package, _ in functions} == set(READERS)


def test_every_function_reads_its_real_environment(functions):
    """Given each function's template environment, when its readers run on it, then all succeed and read every variable."""
    unread: dict[str, set[str]] = {}
    for name, package, variables in functions:
        environ = RecordingEnviron({k: stand_in(v) for k, v in variables.items()})
        _reset_caches()
        try:
            with mock.patch.object(os, "environ", environ):
                Logger(service=None)  # Powertools: POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL
                common_settings.service_name()
                READERS[package]()
        finally:
            _reset_caches()
        left = set(variables) - environ.read - SET_BY_CONSTRUCTS - SET_BY_QUEUE_WORKER.get(package, set())
        if left:
            unread[name] = left
    assert unread == {}, f"variables set by the stack that no reader reads (renamed?): {unread}"
