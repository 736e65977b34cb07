"""Hostile input to the video worker (issue 12): every case is acknowledged (never retried) and leaves a clear record.

Each row: the SQS body, the objects in S3 beforehand, and what must follow:
the jobs rows as (status, error_reason), and how many analyses ran. A body
whose `jobId` is JOB_ID names a job the test creates first (with `job_payload`).
"""

from __future__ import annotations

import json
import uuid

import pytest
from video_support import BUCKET, run_handler, s3_event_body

OTHER = "someone-elses-bucket"
JOB_ID = "00000000-0000-4000-8000-000000000001"
NOT_A_VIDEO = b"plain text, not a container"


@pytest.fixture(autouse=True)
def queue_env(monkeypatch):
    # What QueueWorker and PythonFunction put in the function environment.
    monkeypatch.setenv("MAX_RECEIVE_COUNT", "3")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "HuntazeTest")


def s3_event(key: str, *, bucket: str = BUCKET, name: str = "ObjectCreated:Put") -> str:
    return s3_event_body(key, bucket=bucket, event_name=name)


def job_message(key: str, *, bucket: str = BUCKET, job_id: str = JOB_ID) -> str:
    return json.dumps({"jobId": job_id, "task": "video", "payload": {"bucket": bucket, "key": key}})


# name: (body, objects [(bucket, key)], job_payload or None, expected jobs [(status, reason)], analyses)
CASES: dict[str, tuple[str, list[tuple[str, str]], dict | None, list[tuple[str, str]], int]] = {
    # valid JSON, not the expected shape
    "json-array": (json.dumps([{"Records": []}]), [], None, [], 0),
    "json-string": (json.dumps("uploads/a.mp4"), [], None, [], 0),
    "json-null": ("null", [], None, [], 0),
    "empty-object": ("{}", [], None, [], 0),
    "records-not-a-list": (json.dumps({"Records": {"s3": {}}}), [], None, [], 0),
    "record-without-s3": (json.dumps({"Records": [{"eventName": "ObjectCreated:Put"}]}), [], None, [], 0),
    "bucket-name-not-a-string": (
        json.dumps(
            {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": 5}, "object": {"key": ["k"]}}}]}
        ),
        [],
        None,
        [],
        0,
    ),
    "envelope-of-another-task": (
        json.dumps({"jobId": str(uuid.uuid4()), "task": "trends", "payload": {}}),
        [],
        None,
        [],
        0,
    ),
    "envelope-payload-a-list": (
        json.dumps({"jobId": JOB_ID, "task": "video", "payload": []}),
        [],
        {"key": "uploads/a.mp4"},
        [("failed", "malformed_message")],
        0,
    ),
    "job-id-not-a-uuid": (json.dumps({"jobId": 12, "task": "video", "payload": {}}), [], None, [], 0),
    # S3 events for other buckets and prefixes, deletions, test events
    "other-bucket": (
        s3_event("uploads/a.mp4", bucket=OTHER),
        [(OTHER, "uploads/a.mp4")],
        None,
        [("failed", "outside_uploads")],
        0,
    ),
    "other-prefix": (s3_event("private/a.mp4"), [(BUCKET, "private/a.mp4")], None, [("failed", "outside_uploads")], 0),
    "prefix-lookalike": (
        s3_event("uploads2/a.mp4"),
        [(BUCKET, "uploads2/a.mp4")],
        None,
        [("failed", "outside_uploads")],
        0,
    ),
    "deletion": (s3_event("uploads/a.mp4", name="ObjectRemoved:Delete"), [], None, [], 0),
    "s3-test-event": (json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET}), [], None, [], 0),
    # keys with spaces, pluses, percent signs, unicode, control characters (S3 URL-encodes them in events)
    "key-with-space": (
        s3_event("uploads/my+clip.mp4"),
        [(BUCKET, "uploads/my clip.mp4")],
        None,
        [("failed", "not_a_video")],
        1,
    ),
    "key-with-plus": (
        s3_event("uploads/a%2Bb.mp4"),
        [(BUCKET, "uploads/a+b.mp4")],
        None,
        [("failed", "not_a_video")],
        1,
    ),
    "key-with-percent": (
        s3_event("uploads/100%25.mp4"),
        [(BUCKET, "uploads/100%.mp4")],
        None,
        [("failed", "not_a_video")],
        1,
    ),
    "key-with-unicode": (
        s3_event("uploads/vid%C3%A9o+%F0%9F%8E%AC.mp4"),
        [(BUCKET, "uploads/vidéo 🎬.mp4")],
        None,
        [("failed", "not_a_video")],
        1,
    ),
    "key-with-x1c": (s3_event("uploads/a%1Cb.mp4"), [], None, [("failed", "outside_uploads")], 0),
    # A NUL cannot be stored on a job row: dropped, logged and counted instead.
    "key-with-nul": (s3_event("uploads/a%00b.mp4"), [], None, [], 0),
    "key-not-url-encoded-as-s3-would": (s3_event("uploads/a.mp4%"), [], None, [("failed", "object_not_found")], 0),
    # job ids that do not exist, with and without the object; a job naming another bucket
    "unknown-job-object-exists": (
        job_message("uploads/z.mp4", job_id=str(uuid.uuid4())),
        [(BUCKET, "uploads/z.mp4")],
        None,
        [],
        0,
    ),
    "unknown-job-object-missing": (job_message("uploads/z.mp4", job_id=str(uuid.uuid4())), [], None, [], 0),
    "job-naming-another-bucket": (
        job_message("uploads/a.mp4", bucket=OTHER),
        [(OTHER, "uploads/a.mp4")],
        {"key": "uploads/a.mp4", "bucket": OTHER},
        [("failed", "outside_uploads")],
        0,
    ),
    "job-whose-object-is-gone": (
        job_message("uploads/gone.mp4"),
        [],
        {"key": "uploads/gone.mp4", "bucket": BUCKET},
        [("failed", "object_not_found")],
        0,
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_hostile_input_is_acknowledged_and_recorded(video_env, db_conn, case):
    body, objects, job_payload, expected_jobs, analyses = CASES[case]
    # Given the objects in S3 (another account's bucket too) and the job the message names
    video_env.create_bucket(Bucket=OTHER, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    for bucket, key in objects:
        video_env.put_object(Bucket=bucket, Key=key, Body=NOT_A_VIDEO)
    if job_payload is not None:
        with db_conn.transaction():
            db_conn.execute(
                "INSERT INTO jobs (id, task, payload) VALUES (%s, 'video', %s)", (JOB_ID, json.dumps(job_payload))
            )
    # When the video worker handles it
    result = run_handler(body)
    # Then it is not retried, and the jobs say what happened (and nothing else was analysed)
    assert result == {"batchItemFailures": []}
    db_conn.rollback()
    rows = db_conn.execute("SELECT status, error_reason, error FROM jobs ORDER BY created_at").fetchall()
    assert [(r["status"], r["error_reason"]) for r in rows] == expected_jobs, rows
    assert all("/tmp" not in (r["error"] or "") for r in rows)
    assert db_conn.execute("SELECT count(*) AS n FROM video_analyses").fetchone()["n"] == analyses


def test_a_too_long_upload_is_refused_from_its_header_without_downloading_it(video_env, db_conn, tmp_path, monkeypatch):
    # Given an 11 s video of noise (several MB, its moov at the end) and a 7 s limit
    from video_clips import make_noise_clip

    from video import storage

    path = make_noise_clip(tmp_path / "long.mp4", duration_s=11)
    size = path.stat().st_size
    monkeypatch.setenv("VIDEO_MAX_BYTES", str(size * 2))
    from video import settings as vsettings

    vsettings.video_settings.cache_clear()
    video_env.put_object(Bucket=BUCKET, Key="uploads/long.mp4", Body=path.read_bytes())
    received: list[int] = []
    storage._client().meta.events.register(
        "after-call.s3.GetObject", lambda parsed, **_: received.append(parsed["ContentLength"])
    )
    # When the worker handles its upload
    assert run_handler(s3_event("uploads/long.mp4")) == {"batchItemFailures": []}
    # Then the job fails as too long, having read a small part of the object
    db_conn.rollback()
    (job,) = db_conn.execute("SELECT status, error_reason FROM jobs").fetchall()
    assert (job["status"], job["error_reason"]) == ("failed", "too_long")
    assert size > 2_000_000 and sum(received) < size / 4, (sum(received), size)


def test_a_too_large_upload_is_refused_from_its_head(video_env, db_conn):
    received: list[int] = []
    from video import storage

    video_env.put_object(Bucket=BUCKET, Key="uploads/big.mp4", Body=b"\0" * (3 * 1024 * 1024 + 1))
    storage._client().meta.events.register("after-call.s3.GetObject", lambda **_: received.append(1))
    assert run_handler(s3_event("uploads/big.mp4")) == {"batchItemFailures": []}
    db_conn.rollback()
    (job,) = db_conn.execute("SELECT status, error_reason FROM jobs").fetchall()
    assert (job["status"], job["error_reason"], received) == ("failed", "too_large", [])


def test_a_corrupt_video_is_recorded_without_the_workers_temp_path(video_env, db_conn, tmp_path):
    # Given an upload that starts like an MP4 and then is garbage
    video_env.put_object(Bucket=BUCKET, Key="uploads/broken.mp4", Body=b"\x00\x00\x00\x18ftypmp42" + b"\x07" * 4000)
    # When the worker handles it
    assert run_handler(s3_event("uploads/broken.mp4")) == {"batchItemFailures": []}
    # Then the job says the video is corrupt, in words that name no file on the worker
    db_conn.rollback()
    (job,) = db_conn.execute("SELECT status, error_reason, error FROM jobs").fetchall()
    assert (job["status"], job["error_reason"]) == ("failed", "corrupt_video")
    assert str(tmp_path) not in job["error"] and "/tmp" not in job["error"] and "upload" not in job["error"]
