"""The task queues, by the app's naming convention: ``<QUEUE_URL_PREFIX><task>``.

The stack sets the prefix (``https://sqs.<region>.<suffix>/<account>/huntaze-<stage>-``)
and allows ``sqs:SendMessage`` on exactly those queues, so no lookup call is needed.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from typing import Any

from common.settings import Env
from common.tasks import TASKS
from ops.errors import OpsError

URL_PREFIX_ENV = "QUEUE_URL_PREFIX"


class TaskQueues:
    def __init__(self, url_prefix: str, client: Any = None) -> None:
        self.url_prefix = url_prefix
        self._client = client

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> TaskQueues:
        return cls(Env(env).text(URL_PREFIX_ENV))

    def url(self, task: str) -> str:
        if task not in TASKS:
            raise OpsError(f"no queue for task {task!r}; expected one of {', '.join(TASKS)}", code="unknown_task")
        return f"{self.url_prefix}{task}"

    def send(self, task: str, body: dict[str, Any]) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.send_message(QueueUrl=self.url(task), MessageBody=json.dumps(body))["MessageId"]
        except (BotoCoreError, ClientError) as err:
            raise OpsError(f"SQS refused the message for {self.url(task)}: {err}", code="send_failed") from err

    @property
    def client(self) -> Any:
        # Created on first send: a history request never needs it.
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs")
        return self._client


@functools.cache
def task_queues() -> TaskQueues:
    """The container's queues (one SQS client per container)."""
    return TaskQueues.from_env()
