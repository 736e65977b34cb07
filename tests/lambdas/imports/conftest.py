"""Imports worker fixtures: a moto uploads bucket, real PostgreSQL, the worker's environment."""

from __future__ import annotations

import pytest
from imports_support import BUCKET, EVENT_TYPES


@pytest.fixture
def imports_env(database_env, aws, monkeypatch):
    import boto3

    from common import settings
    from imports import settings as isettings
    from imports import storage
    from tools import function_env

    for name, value in function_env.imports().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("UPLOADS_BUCKET", BUCKET)
    monkeypatch.setenv("EVENT_TYPES", ",".join(EVENT_TYPES))
    monkeypatch.setenv("EVENT_LOOKBACK_HOURS", "48")
    monkeypatch.setenv("IMPORT_BATCH", "3")
    monkeypatch.setenv("IMPORT_TIME_RESERVE_S", "1")
    monkeypatch.setenv("MAX_RECEIVE_COUNT", "3")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "HuntazeTest")
    settings.reset()
    isettings.reset()
    storage.reset_client()
    s3 = boto3.client("s3", region_name="us-east-2")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    yield s3
    storage.reset_client()
    isettings.reset()


@pytest.fixture
def upload(imports_env):
    def put(key: str, data: bytes) -> str:
        imports_env.put_object(Bucket=BUCKET, Key=key, Body=data)
        return key

    return put
