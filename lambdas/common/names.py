"""The app's physical names, said once: ``huntaze-<stage>-<what>``.

Queues, DLQs, functions, schedules, the alerts topic, the uploads bucket and
the SSM parameters that publish ids which cannot be named (an HTTP API's id, a
database's identifier) all come from here. The stacks name their resources
with it, the Monitoring stack and the workers find other stacks' resources by
it (no CloudFormation export), and the tools (tools/ops, tools/local) find the
deployed ones by it. Nothing else builds a name by hand.

Pure Python with no imports from the app: the CDK app imports it too (see
pyproject.toml's contracts and docs/architecture.md).
"""

from __future__ import annotations

APP = "huntaze"
DLQ_SUFFIX = "-dlq"


def prefix(stage: str) -> str:
    """What every name of ``stage`` starts with: ``huntaze-dev``."""
    return f"{APP}-{stage}"


def _of(stage_prefix: str, what: str) -> str:
    return f"{stage_prefix}-{what}"


def queue_prefix(stage_prefix: str) -> str:
    """What every queue name of the stage starts with: ``queue(p, task) == queue_prefix(p) + task``."""
    return stage_prefix + "-"


def queue(stage_prefix: str, task: str) -> str:
    """A queue worker's queue: ``huntaze-dev-video``."""
    return queue_prefix(stage_prefix) + task


def dlq(stage_prefix: str, task: str) -> str:
    """A queue worker's dead-letter queue: ``huntaze-dev-video-dlq``."""
    return queue(stage_prefix, task) + DLQ_SUFFIX


def task_of_dlq(stage_prefix: str, name: str) -> str | None:
    """The task whose DLQ ``name`` is, or None when it is no task DLQ of this stage."""
    head = queue_prefix(stage_prefix)
    if not (name.startswith(head) and name.endswith(DLQ_SUFFIX)):
        return None
    return name[len(head) : -len(DLQ_SUFFIX)] or None


def function(stage_prefix: str, name: str) -> str:
    """A function: a task's worker (``huntaze-dev-trends``), ``router``, ``ops``, ``sweeper``."""
    return _of(stage_prefix, name)


def schedule(stage_prefix: str, name: str) -> str:
    """A schedule of the stage's schedule group: ``huntaze-dev-alerts``."""
    return _of(stage_prefix, name)


def schedule_group(stage_prefix: str) -> str:
    return stage_prefix


def schedules_dlq(stage_prefix: str) -> str:
    """Where Scheduler parks what it could not deliver."""
    return dlq(stage_prefix, "schedules")


def slack_dlq(stage_prefix: str) -> str:
    """Where the Slack forwarder's failures go."""
    return dlq(stage_prefix, "slack")


def alerts_topic(stage_prefix: str) -> str:
    return _of(stage_prefix, "alerts")


def uploads_bucket(stage_prefix: str, account: str, region: str) -> str:
    """Bucket names are global: the account and region make the stage's unique."""
    return _of(stage_prefix, f"uploads-{account}-{region}")


def http_api(stage_prefix: str) -> str:
    return _of(stage_prefix, "api")


def dashboard(stage_prefix: str) -> str:
    return _of(stage_prefix, "overview")


def alarm(stage_prefix: str, kind: str, watched: str) -> str:
    """An alarm: ``huntaze-dev-dlq-messages-Video-Worker-Dlq`` (CloudWatch's limit is 255 characters)."""
    return _of(stage_prefix, f"{kind}-{watched}")[:255]


def budget(stage_prefix: str, digest: str) -> str:
    """The monthly budget; ``digest`` changes with its notifications (they are create-only)."""
    return _of(stage_prefix, f"monthly-{digest}")


def role(stage_prefix: str, what: str) -> str:
    """An IAM role other systems assume by name (the GitHub deploy role)."""
    return _of(stage_prefix, what)


def authorizer(stage_prefix: str) -> str:
    return _of(stage_prefix, "jwt")


def parameter(stage_prefix: str, what: str) -> str:
    """An SSM parameter that publishes an id no one can name in advance: ``/huntaze-dev/ids/http-api``.

    The Monitoring stack reads it with a dynamic reference, which, unlike an
    export, never blocks the owning stack from replacing or removing the resource.
    """
    return f"/{stage_prefix}/ids/{what}"
