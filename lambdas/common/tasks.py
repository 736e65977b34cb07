"""The task registry: every job task the app knows, said once.

A task is work a queue worker does for a job (`jobs` row). It is either
queue-fed only (a client or S3 asks for it: ``video``) or also scheduled
(EventBridge Scheduler puts its envelope on its queue: ``trends``, ``data``,
``alerts``, run by the cron worker). Everything that lists tasks derives the
list from here: the job model, the payload shapes, the API contract and its
OpenAPI document, the alert rules, the cron stack's workers and schedules,
the ops CLI. The SQL ``CHECK`` on ``jobs.task`` is the one copy that cannot
import it; tests/lambdas/common/test_task_registry.py holds the two equal.

Pure Python with no imports from the app: the CDK app imports it too (the one
exception to "stacks never import lambdas", see pyproject.toml's contracts).

Adding a scheduled task: one `TaskSpec` here, its worker and schedule in
``stacks/config/cron.py`` (``CronConfig.<task>`` and ``<task>_schedule``), its runner
(``runner``, "module:function" under lambdas/, with its settings reader declared by
``cron.runners.reads``), and a migration that widens
the ``CHECK`` and creates its database role (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskSpec:
    """One task: its name (queue, DLQ, function and schedule are named after it) and how it is fed."""

    name: str
    # What a job of this task does, in a few words (the payload shape's and the API's description).
    summary: str
    # Also put on its queue by a schedule (and so an operator-only task at the API).
    scheduled: bool = False
    # The scheduled worker's entry for this task: "module:function" under lambdas/ (cron.runners looks it up).
    runner: str | None = None
    # A client may ask for it through POST /v1/jobs (it has a payload shape in common.payloads).
    client: bool = True


REGISTRY: tuple[TaskSpec, ...] = (
    TaskSpec("video", "Analyse an uploaded video."),
    TaskSpec("trends", "Collect a trend snapshot now.", scheduled=True, runner="cron.runners:trends"),
    TaskSpec("data", "Roll analytics events up now.", scheduled=True, runner="cron.runners:data"),
    TaskSpec("alerts", "Evaluate alert rules now.", scheduled=True, runner="cron.runners:alerts"),
    # Fed by S3 notifications of files under events/ (lambdas/imports), never asked for at the API.
    TaskSpec("imports", "Import an uploaded NDJSON events file.", client=False),
)

SPECS: dict[str, TaskSpec] = {spec.name: spec for spec in REGISTRY}
# Every task, in registry order.
TASKS: tuple[str, ...] = tuple(SPECS)
# The tasks a schedule also feeds (the cron worker's); the others are queue-fed only.
SCHEDULED_TASKS: tuple[str, ...] = tuple(s.name for s in REGISTRY if s.scheduled)
# The tasks POST /v1/jobs takes, each with its payload shape.
API_TASKS: tuple[str, ...] = tuple(s.name for s in REGISTRY if s.client)


def spec(task: str) -> TaskSpec:
    """The registry entry of ``task``; `KeyError` naming the known ones."""
    try:
        return SPECS[task]
    except KeyError:
        raise KeyError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}") from None
