"""One local "Lambda function": its environment, its handler, a context, and what feeds it.

Each function runs in a process of its own (``python -m tools.local.lambda_runtime
SPEC LOGICAL_ID``) with exactly the environment its template gives it plus the
local endpoints, because handlers read their settings once per process, as in
a Lambda container. The router function serves the HTTP API front; a queue
worker gets an SQS poller that behaves like the event source mapping.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.local.deployment import EventSource, HttpApi, Route

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContext:
    """The context object a handler gets: name, memory, request id and the time left."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    invoked_function_arn: str = ""
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.log_group_name = f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(dotted: str) -> Handler:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _context(spec: dict[str, Any]) -> LambdaContext:
    fn = spec["function"]
    name = fn["name"] or f"local-{fn['logical_id']}"
    return LambdaContext(
        name,
        fn["memory_mb"],
        fn["timeout_s"],
        invoked_function_arn=f"arn:aws:lambda:{spec['region']}:{spec['account']}:function:{name}",
    )


# -- the HTTP API front -------------------------------------------------------


def serve_api(spec: dict[str, Any], handler: Handler) -> None:
    from werkzeug.serving import make_server

    from tools.local.apigw import HttpApiFront

    api = spec["api"]
    http_api = HttpApi(**{**api, "routes": [Route(**r) for r in api["routes"]]})
    # One request at a time, like one Lambda container: handlers keep per-invocation state in module globals.
    lock = threading.Lock()

    def invoke(event: dict[str, Any]) -> Any:
        with lock:
            return handler(event, _context(spec))

    front = HttpApiFront(http_api, invoke, jwks=spec["jwks"], issuer=spec["issuer"])
    server = make_server("127.0.0.1", spec["port"], front, threaded=True)
    server.serve_forever()


# -- the SQS event source mapping --------------------------------------------


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of the SQS event Lambda builds from a received message."""
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            k: attributes[k]
            for k in ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp")
            if k in attributes
        },
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class Poller:
    """Lambda's SQS poller for one event source mapping.

    Batches of up to ``batch_size`` gathered for at most the batching window,
    one invocation at a time (one container), successes deleted, failures
    (the partial batch response's items, or the whole batch when the handler
    raises) left to come back after the queue's visibility timeout, so SQS's
    own maxReceiveCount moves a poison message to the DLQ. ``time_scale``
    shortens that wait (visibility timeout x scale) so a retry takes seconds,
    not the deployed minutes.
    """

    def __init__(
        self,
        sqs: Any,
        source: EventSource,
        *,
        queue_arn: str,
        region: str,
        visibility_s: int,
        max_receive: int | None,
        time_scale: float,
        label: str,
        log: logging.Logger,
    ) -> None:
        self.sqs, self.source, self.queue_arn, self.region = sqs, source, queue_arn, region
        self.url = sqs.get_queue_url(QueueName=source.queue)["QueueUrl"]
        self.retry_delay_s = max(0, round(visibility_s * time_scale))
        self.max_receive, self.label, self.log = max_receive, label, log

    def receive(self, wait_s: int = 1) -> list[dict[str, Any]]:
        """A batch: the first messages (long poll), then more until full or the batching window ends."""
        batch = self._receive(self.source.batch_size, wait_s)
        window_ends = time.monotonic() + self.source.batching_window_s
        while batch and len(batch) < self.source.batch_size and time.monotonic() < window_ends:
            more = self._receive(self.source.batch_size - len(batch), 0)
            batch += more
            if not more:
                time.sleep(min(0.2, max(0.0, window_ends - time.monotonic())))
        return batch

    def _receive(self, count: int, wait_s: int) -> list[dict[str, Any]]:
        return self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=min(10, count),
            WaitTimeSeconds=wait_s,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])

    def run_once(self, handler: Handler, context: Callable[[], LambdaContext]) -> int:
        batch = self.receive()
        if not batch:
            return 0
        event = {"Records": [sqs_record(m, self.queue_arn, self.region) for m in batch]}
        started = time.monotonic()
        try:
            result = handler(event, context())
            failed = (
                {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
                if self.source.partial_batch_responses
                else set()
            )
        except Exception as exc:  # the whole batch goes back, as when a function errors
            self.log.warning("%s handler raised %s: %s", self.label, type(exc).__name__, exc)
            failed = {m["MessageId"] for m in batch}
        elapsed = time.monotonic() - started
        for message in batch:
            count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=self.retry_delay_s
                )
                last = self.max_receive is not None and count >= self.max_receive
                then = "to the DLQ on its next receive" if last else f"back in {self.retry_delay_s} s"
                self.log.info(
                    "%s message %s receive %d failed (%.1f s), %s",
                    self.label,
                    message["MessageId"][:8],
                    count,
                    elapsed,
                    then,
                )
            else:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
                self.log.info(
                    "%s message %s receive %d done (%.1f s)", self.label, message["MessageId"][:8], count, elapsed
                )
        return len(batch)


def poll_forever(spec: dict[str, Any], handler: Handler) -> None:
    import boto3

    log = logging.getLogger("local.worker")
    sqs = boto3.client("sqs")
    fn = spec["function"]
    label = fn["label"]
    pollers = []
    for raw in fn["event_sources"]:
        source = EventSource(**raw)
        queue = spec["queues"][source.queue]
        pollers.append(
            Poller(
                sqs,
                source,
                queue_arn=f"arn:aws:sqs:{spec['region']}:{spec['account']}:{source.queue}",
                region=spec["region"],
                visibility_s=queue["visibility_timeout_s"],
                max_receive=queue["max_receive_count"],
                time_scale=spec["time_scale"],
                label=label,
                log=log,
            )
        )
    while True:
        for poller in pollers:
            try:
                poller.run_once(handler, lambda: _context(spec))
            except Exception as exc:  # noqa: BLE001 - Lambda's poller outlives an SQS error; so does this one
                log.warning("%s poller: %s: %s; polling again", label, type(exc).__name__, exc)
                time.sleep(0.5)


def exit_with_parent() -> None:
    """Stop when the local system that started this process is gone (even if it was killed)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str]) -> None:
    exit_with_parent()
    spec_path, logical_id = argv
    everything = json.loads(Path(spec_path).read_text())
    spec = {**everything, "function": everything["functions"][logical_id]}
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("botocore", "urllib3", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    handler = load_handler(spec["function"]["handler"])
    if logical_id == spec["api"]["function"]:
        serve_api(spec, handler)
    else:
        poll_forever(spec, handler)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main(sys.argv[1:])
