"""Video worker fixtures: generated clips, a moto uploads bucket, an Azure AI fake over HTTP."""

from __future__ import annotations

import pytest
from video_clips import make_clip
from video_support import BUCKET


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
    from tools import function_env
    from video import settings as vsettings
    from video import storage

    for name, value in {**function_env.video(), **function_env.azure(httpserver.url_for("/"), "test-key")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("VIDEO_MAX_DURATION_S", "7")
    monkeypatch.setenv("VIDEO_MAX_BYTES", str(3 * 1024 * 1024))
    monkeypatch.setenv("VIDEO_WORK_DIR", str(tmp_path))
    monkeypatch.setenv("VIDEO_TIME_RESERVE_S", "1")
    monkeypatch.setenv("UPLOADS_BUCKET", BUCKET)
    monkeypatch.setenv("AI_DAILY_BUDGET_USD", "1")
    monkeypatch.setenv("AI_CALLER_DAILY_BUDGET_USD", "1")
    monkeypatch.setenv("AI_MONTHLY_BUDGET_USD", "30")
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
