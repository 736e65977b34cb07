"""Helpers the video tests import: the test bucket and Azure chat-completion answers."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes import chat_completion

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
    """An S3 notification as it reaches the queue (`key` URL-encoded, as S3 sends it)."""
    record = {
        "eventSource": "aws:s3",
        "eventName": event_name,
        "s3": {"bucket": {"name": bucket}, "object": {"key": key}},
    }
    return json.dumps({"Records": [record]})


def sqs_event(*bodies: str, receive_count: int = 1) -> dict:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": "h",
                "body": b,
                "attributes": {"ApproximateReceiveCount": str(receive_count)},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-2:1:q",
                "awsRegion": "us-east-2",
            }
            for i, b in enumerate(bodies)
        ]
    }


def run_handler(*bodies: str, remaining_ms: int = 300_000) -> dict:
    """The video Lambda's handler on one SQS batch."""
    from tests.fakes import LambdaContext
    from video import handler

    context = LambdaContext(function_name="video", memory_limit_in_mb=2048, remaining_ms=remaining_ms)
    return handler.lambda_handler(sqs_event(*bodies), context)
