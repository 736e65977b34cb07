"""POST /v1/uploads: a presigned S3 PUT bound to one content type and size, and its job."""

from __future__ import annotations

import functools
import re
import uuid
from typing import Any

from common.payloads import UPLOADS_PREFIX
from router.dispatch import Connection
from router.errors import ApiError
from router.settings import RouterSettings

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def object_key(filename: str, upload_id: uuid.UUID) -> str:
    # Only URL-safe characters: S3 event notifications URL-encode keys, and the
    # worker must find this exact key again.
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    safe = _UNSAFE.sub("-", base).strip(".-")[:120] or "video"
    return f"{UPLOADS_PREFIX}{upload_id}/{safe}"


def issue_upload(
    body: dict[str, Any], *, owner: str, settings: RouterSettings, connection: Connection
) -> dict[str, Any]:
    """The upload ticket; the job it completes belongs to `owner` (the caller's JWT subject)."""
    from common import jobs
    from router.job_store import create_owned_job

    content_type = body["contentType"]  # one of the document's enum, exactly (the request shape checked it)
    size = body["size"]
    if content_type not in settings.upload_content_types:
        raise ApiError(
            415,
            "unsupported_content_type",
            f"{content_type!r} is not accepted; use one of {', '.join(settings.upload_content_types)}",
        )
    if size > settings.upload_max_bytes:
        raise ApiError(413, "upload_too_large", f"{size} bytes is over the limit of {settings.upload_max_bytes}")
    bucket = settings.uploads_bucket  # required by the settings: a stage without one does not start

    upload_id = uuid.uuid4()
    key = object_key(body["filename"], upload_id)
    # Signing is local (no network), so it goes first: a failure leaves no job behind.
    url = _s3().generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": key, "ContentType": content_type, "ContentLength": size},
        ExpiresIn=settings.upload_url_ttl_s,
        HttpMethod="PUT",
    )
    payload = {"bucket": bucket, "key": key, "contentType": content_type, "size": size, "filename": body["filename"]}
    with connection() as conn:
        found, _ = create_owned_job(conn, "video", payload, owner=owner, idempotency_key=jobs.upload_key(bucket, key))
    return {
        "jobId": str(found.job.id),
        "uploadUrl": url,
        "method": "PUT",
        # Content-Length and Content-Type are in the signature: S3 refuses any other size or type.
        "headers": {"Content-Type": content_type, "Content-Length": str(size)},
        "bucket": bucket,
        "key": key,
        "expiresIn": settings.upload_url_ttl_s,
    }


@functools.cache
def _s3() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))


def reset() -> None:
    _s3.cache_clear()
