"""Helpers the video tests import: the test bucket and Azure chat-completion answers."""

from __future__ import annotations

import json
from pathlib import Path

from tests import fakes
from tests.fakes import (
    chat_completion,
    sqs_event,  # noqa: F401 (the tests import it from here)
)

BUCKET = "huntaze-test-uploads"


ANSWER = {
    "hook": "A colour flash in the first second",
    "topics": ["colour", "test"],
    "on_screen_text": [],
    "suggested_caption": "Colours!",
    "safety_flags": ["none"],
}


def completion(content: str) -> dict:
    return chat_completion(content, prompt_tokens=900, completion_tokens=60)


def good_answer() -> dict:
    return completion(json.dumps(ANSWER))


def upload(s3, path: Path | None, key: str, data: bytes | None = None) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=data if data is not None else path.read_bytes())


def s3_event_body(key: str, *, bucket: str = BUCKET, event_name: str = "ObjectCreated:Put") -> str:
    return fakes.s3_event_body(key, bucket=bucket, event_name=event_name)


def run_handler(*bodies: str, remaining_ms: int = 300_000) -> dict:
    """The video Lambda's handler on one SQS batch."""
    from tests.fakes import LambdaContext
    from video import handler

    context = LambdaContext(function_name="video", memory_limit_in_mb=2048, remaining_ms=remaining_ms)
    return handler.lambda_handler(sqs_event(*bodies), context)
