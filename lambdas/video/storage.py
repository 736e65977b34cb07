"""Reading the uploaded object from S3: its identity (ETag, size) and a capped download."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import PermanentError, TransientError

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    etag: str
    size: int
    content_type: str | None


@functools.cache
def _client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 4}))


def reset_client() -> None:
    _client.cache_clear()


def head(bucket: str, key: str) -> ObjectInfo:
    """The object's ETag and size; `PermanentError` if it no longer exists."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        meta = _client().head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        _raise_for(exc, bucket, key)
    except BotoCoreError as exc:
        raise TransientError("s3_unavailable", f"cannot reach S3: {exc}") from exc
    return ObjectInfo(bucket, key, meta["ETag"].strip('"'), int(meta["ContentLength"]), meta.get("ContentType"))


def download(obj: ObjectInfo, dest: Path, max_bytes: int) -> int:
    """Stream exactly the version `obj` names to `dest`, refusing more than `max_bytes`."""
    from botocore.exceptions import BotoCoreError, ClientError

    if obj.size > max_bytes:
        raise PermanentError("too_large", f"the file is {obj.size} bytes; the limit is {max_bytes}")
    written = 0
    try:
        # IfMatch: the object may have been replaced since `head`; this run analyses one version.
        body = _client().get_object(Bucket=obj.bucket, Key=obj.key, IfMatch=f'"{obj.etag}"')["Body"]
        with dest.open("wb") as out:
            for chunk in body.iter_chunks(CHUNK_BYTES):
                written += len(chunk)
                if written > max_bytes:
                    raise PermanentError("too_large", f"the file is over the limit of {max_bytes} bytes")
                out.write(chunk)
    except ClientError as exc:
        _raise_for(exc, obj.bucket, obj.key)
    except BotoCoreError as exc:
        raise TransientError("s3_unavailable", f"S3 download failed: {exc}") from exc
    return written


def _raise_for(exc: Any, bucket: str, key: str) -> None:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in {"404", "NoSuchKey", "NotFound"} or status == 404:
        raise PermanentError("object_not_found", f"s3://{bucket}/{key} does not exist") from exc
    if code in {"PreconditionFailed", "412"} or status == 412:
        raise PermanentError("object_replaced", f"s3://{bucket}/{key} was replaced during the analysis") from exc
    raise TransientError("s3_error", f"S3 {code or status} on s3://{bucket}/{key}") from exc
