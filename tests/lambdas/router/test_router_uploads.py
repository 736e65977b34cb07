"""POST /v1/uploads: presigned PUTs bound to type and size (S3 through moto), and their jobs."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from router_events import BUCKET


def _jobs(db_conn) -> list[dict]:
    return db_conn.execute("SELECT id, task, status, payload, idempotency_key FROM jobs").fetchall()


def test_an_upload_gets_a_signed_put_and_its_job(call, router_env, db_conn):
    answer = call("POST", "/v1/uploads", {"filename": "clip.mp4", "contentType": "video/mp4", "size": 1234})
    assert answer.status == 201, answer.body
    ticket = answer.body
    assert ticket["bucket"] == BUCKET and ticket["key"].startswith("uploads/") and ticket["key"].endswith("/clip.mp4")
    (job,) = _jobs(db_conn)
    # The video worker finds this job by "upload:<bucket>/<key>".
    assert job["idempotency_key"] == f"upload:{BUCKET}/{ticket['key']}"
    assert str(job["id"]) == ticket["jobId"] and job["task"] == "video" and job["status"] == "queued"
    assert job["payload"]["bucket"] == BUCKET and job["payload"]["key"] == ticket["key"]


def test_the_upload_job_belongs_to_the_caller(call, router_env, db_conn):
    ticket = call(
        "POST", "/v1/uploads", {"filename": "clip.mp4", "contentType": "video/mp4", "size": 10}, claims={"sub": "alice"}
    ).body
    owner = db_conn.execute("SELECT owner FROM jobs WHERE id = %s", (ticket["jobId"],)).fetchone()["owner"]
    assert owner == "alice"
    assert call("GET", f"/v1/jobs/{ticket['jobId']}", claims={"sub": "alice"}).status == 200
    assert call("GET", f"/v1/jobs/{ticket['jobId']}", claims={"sub": "bob"}).status == 404


def test_the_signature_covers_content_type_and_length(call, router_env):
    ticket = call("POST", "/v1/uploads", {"filename": "clip.mp4", "contentType": "video/mp4", "size": 1234}).body
    query = parse_qs(urlsplit(ticket["uploadUrl"]).query)
    # S3 rejects a PUT whose signed headers differ, so these two fix the type and the exact size.
    assert query["X-Amz-SignedHeaders"] == ["content-length;content-type;host"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert ticket["headers"] == {"Content-Type": "video/mp4", "Content-Length": "1234"}


def test_the_presigned_put_uploads_the_object(call, router_env):
    ticket = call("POST", "/v1/uploads", {"filename": "clip.mp4", "contentType": "video/mp4", "size": 16}).body
    response = requests.put(ticket["uploadUrl"], data=b"0123456789abcdef", headers=ticket["headers"], timeout=5)
    assert response.status_code == 200
    head = router_env["s3"].head_object(Bucket=BUCKET, Key=ticket["key"])
    assert head["ContentType"] == "video/mp4" and head["ContentLength"] == 16


def test_filenames_are_reduced_to_safe_characters(call, router_env):
    ticket = call(
        "POST", "/v1/uploads", {"filename": "../../etc/My Vidéo (1).mp4", "contentType": "video/mp4", "size": 10}
    ).body
    _, upload_id, name = ticket["key"].split("/")
    assert len(upload_id) == 36 and name == "My-Vid-o-1-.mp4"


BAD_UPLOADS = {
    "content_type_not_in_the_document": (
        {"filename": "a.exe", "contentType": "application/x-msdownload", "size": 10},
        400,
        "invalid_request",
    ),
    "too_large": (
        {"filename": "a.mp4", "contentType": "video/mp4", "size": 50 * 1024 * 1024 + 1},
        413,
        "upload_too_large",
    ),
    "zero_size": ({"filename": "a.mp4", "contentType": "video/mp4", "size": 0}, 400, "invalid_request"),
    "size_as_string": ({"filename": "a.mp4", "contentType": "video/mp4", "size": "10"}, 400, "invalid_request"),
    "size_as_float": ({"filename": "a.mp4", "contentType": "video/mp4", "size": 10.5}, 400, "invalid_request"),
    "missing_filename": ({"contentType": "video/mp4", "size": 10}, 400, "invalid_request"),
    "filename_too_long": ({"filename": "a" * 256, "contentType": "video/mp4", "size": 10}, 400, "invalid_request"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS), ids=list(BAD_UPLOADS))
def test_bad_upload_requests_get_a_4xx_and_no_job(call, router_env, db_conn, case):
    body, status, error = BAD_UPLOADS[case]
    answer = call("POST", "/v1/uploads", body)
    assert answer.status == status, answer.body
    assert answer.body["error"] == error and answer.body["detail"]
    assert _jobs(db_conn) == []
