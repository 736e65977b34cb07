"""Function environments for tests and benchmarks, built from the dev stage's config the way the stacks build them.

The Lambda code has no defaults of its own (stacks/config holds them, stacks/function_settings.py
turns them into variables), so a test or a benchmark gives a function the same variables the deployed one gets,
with the deployment-only values (endpoints, ARNs, URLs) pointed at the local services.
"""

from __future__ import annotations

import functools

from common.tasks import SCHEDULED_TASKS
from stacks import function_settings
from stacks.config import StageConfig, load_stage_config
from stacks.synth import cdk_context

OPERATOR_TASKS = SCHEDULED_TASKS


@functools.cache
def config() -> StageConfig:
    """The dev stage's config, as cdk.json gives it."""
    return load_stage_config(cdk_context()["config"], "dev", environ={})


def database(service: str = "tests") -> dict[str, str]:
    """What every database client reads besides its URL (session limits, application name)."""
    return {"POWERTOOLS_SERVICE_NAME": service, **function_settings.database(config())}


def azure(endpoint: str, key: str) -> dict[str, str]:
    return {**function_settings.azure(config()), "AZURE_AI_ENDPOINT": endpoint, "AZURE_AI_KEY": key}


def router() -> dict[str, str]:
    return function_settings.router(config(), OPERATOR_TASKS)


def video() -> dict[str, str]:
    return function_settings.video(config())


def trends() -> dict[str, str]:
    return function_settings.trends(config())


def data() -> dict[str, str]:
    return function_settings.data(config())


def alerts() -> dict[str, str]:
    return function_settings.alerts(config())


def ai_budgets() -> dict[str, str]:
    return function_settings.ai_budgets(config())


def imports() -> dict[str, str]:
    return function_settings.imports(config())


def webhooks() -> dict[str, str]:
    return function_settings.webhooks(config())
