"""Reading the uploaded object from S3: where it may be, its identity (ETag, size), ranged reads, a capped download.

Only objects under uploads/ in the uploads bucket are read: anything else (an
event for another bucket or prefix, a job message naming one) is a permanent
failure with its reason, checked before S3 is asked, so it is never retried
as the 403 the function's policy would earn.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import payloads
from common.errors import ConfigurationError, PermanentError, TransientError
from common.schema import SchemaError, storable

CHUNK_BYTES = 1024 * 1024
OUTSIDE_UPLOADS = "outside_uploads"


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


def require_upload(bucket: str, key: str, uploads_bucket: str | None) -> None:
    """`PermanentError` unless s3://bucket/key is an upload: under uploads/ in the uploads bucket, by the API's key rule."""
    if not uploads_bucket:
        raise ConfigurationError("UPLOADS_BUCKET is not set")
    where = f"s3://{storable(bucket)}/{storable(key)}"
    if bucket != uploads_bucket:
        raise PermanentError(OUTSIDE_UPLOADS, f"{where} is not in the uploads bucket")
    try:
        payloads.check_upload_key(key)
    except SchemaError as exc:
        raise PermanentError(OUTSIDE_UPLOADS, f"{where} is not an upload key: {exc.problems[0].problem}") from None


def head(bucket: str, key: str, uploads_bucket: str | None) -> ObjectInfo:
    """The object's ETag and size; `PermanentError` if it is not an upload or no longer exists."""
    from botocore.exceptions import BotoCoreError, ClientError

    require_upload(bucket, key, uploads_bucket)
    try:
        meta = _client().head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        _raise_for(exc, bucket, key)
    except BotoCoreError as exc:
        raise TransientError("s3_unavailable", "cannot reach S3") from exc
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
        raise TransientError("s3_unavailable", "S3 download failed") from exc
    return written


def _raise_for(exc: Any, bucket: str, key: str) -> None:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in {"404", "NoSuchKey", "NotFound"} or status == 404:
        raise PermanentError("object_not_found", f"s3://{bucket}/{key} does not exist") from exc
    if code in {"PreconditionFailed", "412"} or status == 412:
        raise PermanentError("object_replaced", f"s3://{bucket}/{key} was replaced during the analysis") from exc
    if code in {"AccessDenied", "403"} or status == 403:
        # The policy grants uploads/ only (and ListBucket there, so a missing upload is a 404): no retry changes a 403.
        raise PermanentError("access_denied", f"s3://{bucket}/{key} may not be read by the video worker") from exc
    raise TransientError("s3_error", f"S3 {code or status} on s3://{bucket}/{key}") from exc


class RangeReader(io.RawIOBase):
    """A seekable, read-only file over one object version, fetched in ranged GETs as it is read.

    Lets PyAV read a container's header (an MP4's moov may sit at the end)
    without the whole object: blocks are fetched on demand and kept, and
    reading more than `budget` bytes raises `OverBudget`.
    """

    class OverBudget(Exception):
        pass

    def __init__(self, obj: ObjectInfo, *, block: int = 256 * 1024, budget: int = 8 * 1024 * 1024) -> None:
        super().__init__()
        self.obj, self.block, self.budget = obj, block, budget
        self.fetched = 0
        self._pos = 0
        self._blocks: dict[int, bytes] = {}

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.obj.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        end = min(self._pos + len(view), self.obj.size)
        done = 0
        while self._pos < end:
            index, start = divmod(self._pos, self.block)
            chunk = self._block(index)[start : start + end - self._pos]
            view[done : done + len(chunk)] = chunk
            done += len(chunk)
            self._pos += len(chunk)
        return done

    def _block(self, index: int) -> bytes:
        if index not in self._blocks:
            first = index * self.block
            last = min(first + self.block, self.obj.size) - 1
            if self.fetched + last - first + 1 > self.budget:
                raise RangeReader.OverBudget(f"the header is not within the first {self.budget} bytes read")
            self._blocks[index] = _get_range(self.obj, first, last)
            self.fetched += len(self._blocks[index])
        return self._blocks[index]


def _get_range(obj: ObjectInfo, first: int, last: int) -> bytes:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return (
            _client()
            .get_object(Bucket=obj.bucket, Key=obj.key, IfMatch=f'"{obj.etag}"', Range=f"bytes={first}-{last}")["Body"]
            .read()
        )
    except ClientError as exc:
        _raise_for(exc, obj.bucket, obj.key)
        raise  # pragma: no cover - _raise_for always raises
    except BotoCoreError as exc:
        raise TransientError("s3_unavailable", "S3 ranged read failed") from exc
