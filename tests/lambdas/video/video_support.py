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
