"""Worker health read from AWS: dead-letter queue depths."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from common.errors import TransientError
from cron.alert_rules import RuleError


class DlqDepths:
    """ApproximateNumberOfMessages of each task's DLQ (URLs by task, from the environment)."""

    def __init__(self, queue_urls: Mapping[str, str], sqs_client: Any = None) -> None:
        self.queue_urls = dict(queue_urls)
        self._sqs = sqs_client

    @classmethod
    def from_json(cls, raw: str | None, sqs_client: Any = None) -> DlqDepths:
        urls = json.loads(raw) if raw else {}
        if not isinstance(urls, dict):
            raise ValueError("DLQ_URLS must be a JSON object of task -> queue URL")
        return cls(urls, sqs_client)

    def depths(self, task: str | None = None) -> dict[str, int]:
        """Depth of every watched DLQ, or of ``task``'s only."""
        tasks = sorted(self.queue_urls) if task is None else [task]
        return {t: self.depth(t) for t in tasks}

    def depth(self, task: str) -> int:
        url = self.queue_urls.get(task)
        if url is None:
            raise RuleError(f"no dead-letter queue is known for {task!r} (known: {', '.join(sorted(self.queue_urls))})")
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        except (ClientError, BotoCoreError) as exc:
            raise TransientError("sqs_unavailable", f"cannot read the {task} dead-letter queue depth: {exc}") from exc
        return int(attrs["Attributes"]["ApproximateNumberOfMessages"])

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            import boto3

            self._sqs = boto3.client("sqs")
        return self._sqs
