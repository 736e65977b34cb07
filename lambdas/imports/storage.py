"""Reading an events file from S3: where it may be, its identity (ETag, size), and its bytes as a stream.

Only objects under events/ in the uploads bucket are read: anything else is a
permanent failure checked before S3 is asked. The stream is one object
version (GetObject IfMatch), read in chunks: never the whole file in memory.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from common.errors import ConfigurationError, PermanentError, TransientError
from common.schema import storable

CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    etag: str
    size: int


@functools.cache
def _client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 4}))


def reset_client() -> None:
    _client.cache_clear()


def head(bucket: str, key: str, *, uploads_bucket: str | None, prefix: str) -> ObjectInfo:
    """The object's ETag and size; `PermanentError` if it is not an events file or no longer exists."""
    from botocore.exceptions import BotoCoreError, ClientError

    if not uploads_bucket:
        raise ConfigurationError("UPLOADS_BUCKET is not set")
    if bucket != uploads_bucket or not key.startswith(prefix):
        raise PermanentError(
            "outside_events", f"s3://{storable(bucket)}/{storable(key)} is not under {prefix} in the uploads bucket"
        )
    try:
        meta = _client().head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        _raise_for(exc, bucket, key)
    except BotoCoreError as exc:
        raise TransientError("s3_unavailable", "cannot reach S3") from exc
    return ObjectInfo(bucket, key, meta["ETag"].strip('"'), int(meta["ContentLength"]))


def chunks(obj: ObjectInfo) -> Iterator[bytes]:
    """The object version's bytes, chunk by chunk."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        body = _client().get_object(Bucket=obj.bucket, Key=obj.key, IfMatch=f'"{obj.etag}"')["Body"]
        yield from body.iter_chunks(CHUNK_BYTES)
    except ClientError as exc:
        _raise_for(exc, obj.bucket, obj.key)
    except BotoCoreError as exc:
        raise TransientError("s3_unavailable", "reading the file from S3 failed") from exc


def _raise_for(exc: Any, bucket: str, key: str) -> None:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    where = f"s3://{storable(bucket)}/{storable(key)}"
    if code in {"404", "NoSuchKey", "NotFound"} or status == 404:
        raise PermanentError("object_not_found", f"{where} does not exist") from exc
    if code in {"PreconditionFailed", "412"} or status == 412:
        raise PermanentError(
            "object_replaced", f"{where} was replaced while it was read; the new one has its own job"
        ) from exc
    if code in {"AccessDenied", "403"} or status == 403:
        raise PermanentError("access_denied", f"{where} may not be read by the imports worker") from exc
    raise TransientError("s3_error", f"S3 {code or status} on {where}") from exc
