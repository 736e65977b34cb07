"""GET /v1/jobs (the caller's jobs, a page at a time) and GET /v1/jobs/{id}'s full output: real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from router_events import CLAIMS

CALLER = CLAIMS["sub"]
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _job(db_conn, *, owner=CALLER, task="video", status="queued", minute=0, result=None) -> str:
    """A job created `minute` minutes after T0 (so the expected order is known)."""
    from psycopg.types.json import Jsonb

    finished = T0 + timedelta(minutes=minute, seconds=30) if status in ("succeeded", "failed") else None
    row = db_conn.execute(
        "INSERT INTO jobs (task, status, owner, created_at, finished_at, result) VALUES (%s, %s, %s, %s, %s, %s) "
        "RETURNING id",
        (task, status, owner, T0 + timedelta(minutes=minute), finished, None if result is None else Jsonb(result)),
    ).fetchone()
    db_conn.commit()
    return str(row["id"])


def _pages(call, **query) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        answer = call("GET", "/v1/jobs", query=params)
        assert answer.status == 200, answer.body
        pages.append([j["jobId"] for j in answer.body["jobs"]])
        cursor = answer.body["nextCursor"]
        if cursor is None:
            return pages


def test_the_callers_jobs_come_newest_first_in_pages_of_limit(call, db_conn):
    # Given seven jobs of the caller and two of someone else
    mine = [_job(db_conn, minute=m) for m in range(7)]
    _job(db_conn, owner="someone-else", minute=3)
    _job(db_conn, owner="someone-else", minute=9)
    # When the caller pages through with limit 3
    pages = _pages(call, limit="3")
    # Then it sees only its own, newest first, 3 + 3 + 1, the last page without a cursor
    assert pages == [mine[6:3:-1], mine[3:0:-1], mine[0:1]]


def test_jobs_created_while_paging_neither_repeat_nor_shift_a_page(call, db_conn):
    # Given a first page of the caller's five jobs
    ids = [_job(db_conn, minute=m) for m in range(5)]
    first = call("GET", "/v1/jobs", query={"limit": "2"})
    assert [j["jobId"] for j in first.body["jobs"]] == [ids[4], ids[3]]
    # When three newer jobs are created before the next page is read
    for m in (10, 11, 12):
        _job(db_conn, minute=m)
    second = call("GET", "/v1/jobs", query={"limit": "2", "cursor": first.body["nextCursor"]})
    # Then the next page continues where the first ended (OFFSET 2 would repeat ids[4] and ids[3])
    assert [j["jobId"] for j in second.body["jobs"]] == [ids[2], ids[1]]


def test_jobs_created_in_the_same_microsecond_are_ordered_by_id_and_none_is_skipped(call, db_conn):
    same = sorted((_job(db_conn, minute=1) for _ in range(5)), reverse=True)
    assert _pages(call, limit="2") == [same[0:2], same[2:4], same[4:5]]


def test_task_and_status_filter_the_list(call, db_conn):
    video_ok = _job(db_conn, task="video", status="succeeded", minute=1)
    _job(db_conn, task="video", status="failed", minute=2)
    trends_ok = _job(db_conn, task="trends", status="succeeded", minute=3)
    assert _pages(call, status="succeeded") == [[trends_ok, video_ok]]
    assert _pages(call, task="video", status="succeeded") == [[video_ok]]
    assert _pages(call, task="data") == [[]]


def test_an_item_is_the_job_view_without_its_idempotency_key(call, db_conn):
    job_id = _job(db_conn, task="data", status="succeeded", result={"rows": 3})
    (item,) = call("GET", "/v1/jobs").body["jobs"]
    assert item["jobId"] == job_id and item["result"] == {"rows": 3} and item["status"] == "succeeded"
    assert "idempotencyKey" not in item and "output" not in item


def test_the_default_page_is_twenty(call, db_conn):
    for m in range(21):
        _job(db_conn, minute=m)
    answer = call("GET", "/v1/jobs")
    assert len(answer.body["jobs"]) == 20 and answer.body["nextCursor"]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"limit": "0"}, ["limit"]),
        ({"limit": "101"}, ["limit"]),
        ({"limit": "ten"}, ["limit"]),
        ({"limit": "-1"}, ["limit"]),
        ({"limit": "9" * 5000}, ["limit"]),
        ({"limit": "２０"}, ["limit"]),  # full-width digits: isdigit() says yes, int() would take them
        ({"task": "videos"}, ["task"]),
        ({"status": "done"}, ["status"]),
        ({"cursor": "not-a-cursor"}, ["cursor"]),
        ({"cursor": "0"}, ["cursor"]),
        ({"cursor": "0" * 45 + "G"}, ["cursor"]),
        ({"cursor": "0" * 47}, ["cursor"]),
        ({"cursor": "A" * 46}, ["cursor"]),
        ({"sort": "asc"}, ["sort"]),
        ({"limit": "0", "task": "nope", "page": "2"}, ["page", "task", "limit"]),
    ],
)
def test_every_bad_query_parameter_is_named(call, query, fields):
    answer = call("GET", "/v1/jobs", query=query)
    assert answer.status == 400
    assert answer.body["error"] == "invalid_request"
    assert [e["field"] for e in answer.body["errors"]] == fields


@pytest.mark.parametrize("cursor", ["0" * 46, "f" * 46])
def test_any_cursor_of_the_documented_form_is_a_position(call, cursor):
    assert call("GET", "/v1/jobs", query={"cursor": cursor}).status == 200


def test_a_job_of_another_caller_is_never_listed_even_for_a_cursor_past_it(call, db_conn):
    from router.job_listing import encode_cursor
    from router.job_queries import Position

    _job(db_conn, owner="someone-else", minute=1)
    cursor = encode_cursor(Position(T0 + timedelta(days=1), uuid.uuid4()))
    assert call("GET", "/v1/jobs", query={"cursor": cursor}).body == {"jobs": [], "nextCursor": None}


def test_a_video_job_answers_its_stored_analysis_and_features(call, db_conn):
    # Given the caller's succeeded video job and the analysis its worker stored
    from psycopg.types.json import Jsonb

    job_id = _job(db_conn, status="succeeded")
    features = {"duration_s": 5.0, "orientation": "portrait", "cut_count": 2}
    analysis = {"hook": "a dog on a skateboard", "topics": ["dogs"], "safety_flags": ["none"]}
    row = db_conn.execute(
        "INSERT INTO video_analyses (job_id, bucket, key, etag, size_bytes, status, features, model, analysis, "
        "completed_at) VALUES (%s, 'b', 'uploads/a.mp4', 'e1', 10, 'succeeded', %s, 'Phi-4', %s, now()) RETURNING id",
        (job_id, Jsonb(features), Jsonb(analysis)),
    ).fetchone()
    db_conn.execute("UPDATE jobs SET result = %s WHERE id = %s", (Jsonb({"analysisId": row["id"]}), job_id))
    db_conn.commit()
    # When the caller reads the job
    answer = call("GET", f"/v1/jobs/{job_id}")
    # Then the answer carries the full output, not only the summary
    assert answer.status == 200, answer.body
    output = answer.body["output"]
    assert output["kind"] == "video" and output["analysisId"] == row["id"]
    assert (output["features"], output["analysis"], output["model"]) == (features, analysis, "Phi-4")
    assert answer.body["result"] == {"analysisId": row["id"]}


def test_a_trends_job_answers_its_snapshot(call, db_conn):
    from psycopg.types.json import Jsonb

    job_id = _job(db_conn, task="trends", status="succeeded")
    items = [{"name": "#dogs", "count": 10}]
    db_conn.execute(
        "INSERT INTO trend_snapshots (job_id, window_start, items, summary) VALUES (%s, %s, %s, 'dogs rise')",
        (job_id, T0, Jsonb(items)),
    )
    db_conn.commit()
    output = call("GET", f"/v1/jobs/{job_id}").body["output"]
    assert output == {
        "kind": "trends",
        "windowStart": "2026-11-01T00:00:00Z",
        "items": items,
        "growth": {},
        "summary": "dogs rise",
        "model": None,
        "sourceErrors": [],
    }


def test_a_job_without_stored_output_answers_null(call, db_conn):
    job_id = _job(db_conn, task="video")
    assert call("GET", f"/v1/jobs/{job_id}").body["output"] is None


def test_a_job_answers_its_webhook_deliveries_with_every_attempt(call, db_conn):
    # Given a finished job whose webhook failed once, then was delivered
    from psycopg.types.json import Jsonb

    job_id = _job(db_conn, task="data", status="succeeded")
    db_conn.execute(
        "INSERT INTO webhook_deliveries (message_id, endpoint, job_id, event_type, payload, status, attempts, "
        "delivered_at) VALUES ('msg_1', 'app', %s, 'job.succeeded', %s, 'delivered', 2, now())",
        (job_id, Jsonb({"type": "job.succeeded"})),
    )
    for attempt, code, error in ((1, 500, "answered HTTP 500"), (2, 204, None)):
        db_conn.execute(
            "INSERT INTO webhook_attempts (message_id, endpoint, job_id, attempt, status_code, error, duration_ms) "
            "VALUES ('msg_1', 'app', %s, %s, %s, %s, 12)",
            (job_id, attempt, code, error),
        )
    db_conn.commit()
    # When the caller reads the job
    (delivery,) = call("GET", f"/v1/jobs/{job_id}").body["webhooks"]
    # Then each attempt is there, in order
    assert (delivery["webhookId"], delivery["event"], delivery["status"]) == ("msg_1", "job.succeeded", "delivered")
    assert [(a["attempt"], a["statusCode"], a["error"]) for a in delivery["attempts"]] == [
        (1, 500, "answered HTTP 500"),
        (2, 204, None),
    ]
