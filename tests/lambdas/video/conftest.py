"""Video worker fixtures: generated clips, a moto uploads bucket, an Azure AI fake over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from video_clips import make_clip

BUCKET = "huntaze-test-uploads"


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("clips")
    return {
        "landscape": make_clip(d / "land.mp4", duration_s=6, width=320, height=180, cuts_s=(2.5, 4.3), audio=True),
        "portrait": make_clip(d / "port.mp4", duration_s=3, width=1080, height=1920, fps=5),
        "long": make_clip(d / "long.mp4", duration_s=8, width=160, height=90, fps=5),
    }


@pytest.fixture
def video_env(database_env, aws, httpserver, monkeypatch, tmp_path):
    import boto3
    from common import azure_ai, settings
    from video import settings as vsettings
    from video import storage

    monkeypatch.setenv("AZURE_AI_ENDPOINT", httpserver.url_for("/"))
    monkeypatch.setenv("AZURE_AI_KEY", "test-key")
    monkeypatch.setenv("VIDEO_MAX_DURATION_S", "7")
    monkeypatch.setenv("VIDEO_MAX_BYTES", str(3 * 1024 * 1024))
    monkeypatch.setenv("VIDEO_WORK_DIR", str(tmp_path))
    monkeypatch.setenv("VIDEO_TIME_RESERVE_S", "1")
    settings.reset()
    vsettings.video_settings.cache_clear()
    azure_ai.reset_client()
    storage.reset_client()
    s3 = boto3.client("s3", region_name="us-east-2")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    yield s3
    azure_ai.reset_client()
    storage.reset_client()
    vsettings.video_settings.cache_clear()


ANSWER = {
    "hook": "A colour flash in the first second",
    "topics": ["colour", "test"],
    "on_screen_text": [],
    "suggested_caption": "Colours!",
    "safety_flags": ["none"],
}


def completion(content: str) -> dict:
    return {
        "id": "c1", "object": "chat.completion", "model": "Phi-4-multimodal-instruct",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 900, "completion_tokens": 60, "total_tokens": 960},
    }


def good_answer() -> dict:
    return completion(json.dumps(ANSWER))


def upload(s3, path: Path | None, key: str, data: bytes | None = None) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=data if data is not None else path.read_bytes())
