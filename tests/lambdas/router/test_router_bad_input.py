"""Bad input never gets a 500 (issue 12): each case once answered 500, a transient 503, or a contract breach.

Every test goes through the real handler (real PostgreSQL, moto S3/SQS) and
checks the answer and that nothing was stored.
"""

from __future__ import annotations

import json
import secrets

import pytest

# Random, so PostgreSQL cannot compress it under the index row limit.
LONG_SUB = secrets.token_hex(5_000)


def _jobs(db_conn) -> int:
    db_conn.rollback()
    return db_conn.execute("SELECT count(*) AS n FROM jobs").fetchone()["n"]


# --- 1. values PostgreSQL cannot store ------------------------------------------------------

# Raw JSON text: json.dumps would escape nothing away, but spelling the escapes keeps the case visible.
UNSTORABLE = {
    "upload_filename_nul": (
        "/v1/uploads",
        '{"filename": "a\\u0000.mp4", "contentType": "video/mp4", "size": 10}',
        "filename",
    ),
    "upload_filename_surrogate": (
        "/v1/uploads",
        '{"filename": "\\ud800.mp4", "contentType": "video/mp4", "size": 10}',
        "filename",
    ),
    "video_key_nul": ("/v1/jobs", '{"task": "video", "payload": {"key": "uploads/a\\u0000.mp4"}}', "payload.key"),
    "video_key_surrogate": ("/v1/jobs", '{"task": "video", "payload": {"key": "uploads/\\udfff.mp4"}}', "payload.key"),
    "trends_source_nul": (
        "/v1/jobs",
        '{"task": "trends", "payload": {"sources": ["tik\\u0000tok"]}}',
        "payload.sources[0]",
    ),
    "alerts_rule_surrogate": ("/v1/jobs", '{"task": "alerts", "payload": {"rules": ["\\ud83d"]}}', "payload.rules[0]"),
}


@pytest.mark.parametrize("case", list(UNSTORABLE), ids=list(UNSTORABLE))
def test_text_postgresql_cannot_store_is_a_400_naming_the_field(call, db_conn, case):
    # Given a stored string holding a NUL or a lone UTF-16 surrogate
    path, raw, field = UNSTORABLE[case]
    # When it is posted
    answer = call("POST", path, raw_body=raw)
    # Then the field is named, and no job (nor upload URL) was made
    assert answer.status == 400, answer.body
    assert [e["field"] for e in answer.body["errors"]] == [field]
    assert _jobs(db_conn) == 0


def test_a_deeply_nested_body_is_a_400(call):
    # Given JSON nested 100,000 levels deep (about 200 KB, under the body limit)
    raw = "[" * 100_000 + "]" * 100_000
    # When posted / Then it is refused as JSON the API will not read, not a RecursionError
    answer = call("POST", "/v1/jobs", raw_body=raw)
    assert (answer.status, answer.body["error"]) == (400, "malformed_json")
    assert "nested too deeply" in answer.body["detail"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"since": "0001-01-01T00:00+23:59"}, "payload.since"),
        ({"since": "9999-12-30T00:00Z", "until": "9999-12-31T23:59-23:59"}, "payload.until"),
    ],
    ids=["before-year-1-in-utc", "after-year-9999-in-utc"],
)
def test_a_data_range_outside_the_calendar_is_a_400(call, db_conn, payload, field):
    answer = call("POST", "/v1/jobs", {"task": "data", "payload": payload})
    assert answer.status == 400, answer.body
    assert answer.body["errors"][0]["field"] == field and "years 1-9999" in answer.body["errors"][0]["problem"]
    assert _jobs(db_conn) == 0


# --- 2. permanent problems are not transient, and no driver text leaks ---------------------


def test_a_very_long_jwt_subject_with_an_idempotency_key_gets_its_job(call, db_conn):
    # Given a caller whose `sub` is 10,000 characters, sending an Idempotency-Key
    claims = {"sub": LONG_SUB}
    headers = {"Idempotency-Key": "k-1"}
    # When it creates a job twice
    first = call("POST", "/v1/jobs", {"task": "trends"}, claims=claims, headers=headers)
    second = call("POST", "/v1/jobs", {"task": "trends"}, claims=claims, headers=headers)
    # Then the first creates it and the second replays it (no "index row requires ..." 503)
    assert (first.status, second.status) == (202, 202), (first.body, second.body)
    assert first.body["jobId"] == second.body["jobId"] and second.headers["Idempotent-Replay"] == "true"
    # And the caller sees its job
    assert call("GET", f"/v1/jobs/{first.body['jobId']}", claims=claims).status == 200


def test_data_the_database_refuses_is_permanent_and_says_nothing_of_the_database(database_env):
    # Given an idempotency key too long for its index (the same failure a huge scoped key met)
    from common import db, job_store
    from common.errors import PermanentError

    with pytest.raises(PermanentError) as refused, db.connection() as conn:
        job_store.create_job(conn, "trends", {}, idempotency_key=secrets.token_hex(5_000))
    # Then it is permanent, and its message (stored on jobs, answered by the API) holds no driver text
    assert refused.value.reason == "db_refused_data"
    assert "index" not in refused.value.message and "jobs" not in refused.value.message


def test_a_database_timeout_is_transient_and_says_nothing_of_the_database(database_env):
    from common import db
    from common.errors import TransientError

    with pytest.raises(TransientError) as timed_out, db.connection() as conn:
        conn.execute("SET LOCAL statement_timeout = '10ms'")
        conn.execute("SELECT pg_sleep(1)")
    assert timed_out.value.reason == "db_timeout"
    assert "canceling" not in timed_out.value.message and "statement timeout" not in timed_out.value.message


# --- 3. every bad field in one answer --------------------------------------------------------


def test_every_bad_field_is_named_in_one_answer(call):
    answer = call("POST", "/v1/ai/route", {"prompt": 5, "type": [], "temperature": 9, "model": "x"})
    assert answer.status == 400
    assert sorted(answer.body["errors"], key=lambda e: e["field"]) == [
        {"field": "model", "problem": "is not a known field"},
        {"field": "prompt", "problem": "must be a string, got integer"},
        {"field": "temperature", "problem": "must be at most 2"},
        {"field": "type", "problem": "must be a string, got array"},
    ]


def test_every_bad_payload_field_is_named_with_its_path(call):
    answer = call("POST", "/v1/jobs", {"task": "trends", "payload": {"sources": ["", 3], "x": 1}})
    assert answer.status == 400
    assert [e["field"] for e in answer.body["errors"]] == ["payload.x", "payload.sources[0]", "payload.sources[1]"]


# --- 4. base64-encoded bodies ------------------------------------------------------------------


def test_a_base64_encoded_body_is_decoded(call):
    # Given a body API Gateway base64-encoded (a content type it does not take for text)
    answer = call("POST", "/v1/jobs", {"task": "trends", "payload": {"sources": ["tiktok"]}}, base64_body=True)
    # Then it is read like plain JSON
    assert answer.status == 202, answer.body


def test_a_base64_body_that_is_not_utf8_is_a_400(call):
    answer = call("POST", "/v1/jobs", raw_body="/w==", base64_body="raw")
    assert (answer.status, answer.body["error"]) == (400, "invalid_encoding")


# --- 5. null means absent -----------------------------------------------------------------------


def test_null_is_an_absent_optional_field(call, router_env):
    answer = call("POST", "/v1/jobs", {"task": "trends", "payload": {"sources": None}})
    assert answer.status == 202, answer.body
    answer = call("POST", "/v1/jobs", {"task": "trends", "payload": None})
    assert answer.status == 202, answer.body


def test_null_is_a_missing_required_field(call):
    answer = call("POST", "/v1/uploads", {"filename": None, "contentType": "video/mp4", "size": 10})
    assert answer.body["errors"] == [{"field": "filename", "problem": "is required"}]


def test_the_document_says_the_same_about_null():
    # Every optional property is nullable; no required one is
    from router import contract, openapi

    # The answers' schemas say what the function sends; `Event` is the one request shape among them.
    answers = set(contract.RESPONSE_SCHEMAS) - {"Event"}
    for name, schema in openapi.build()["components"]["schemas"].items():
        if name in answers:
            continue
        required = set(schema.get("required", ()))
        for prop, spec in (schema.get("properties") or {}).items():
            assert spec.get("nullable", False) is (prop not in required), (name, prop)


# --- 6. one upload-key rule ------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["uploads/my clip.mp4", "uploads/a+b%20c.mp4", "uploads/vidéo 🎬.mp4"])
def test_a_key_s3_delivers_is_a_key_the_api_accepts(call, key):
    answer = call("POST", "/v1/jobs", {"task": "video", "payload": {"key": key}})
    assert answer.status == 202, answer.body


@pytest.mark.parametrize("char", ["\x1c", "\x1f", "\n", "\x7f"])
def test_a_key_with_a_control_character_is_refused(call, char):
    answer = call("POST", "/v1/jobs", {"task": "video", "payload": {"key": f"uploads/a{char}b.mp4"}})
    assert answer.status == 400 and answer.body["errors"][0]["field"] == "payload.key"


def test_the_rule_and_the_stack_agree_on_the_prefix():
    from common.payloads import UPLOADS_PREFIX
    from router.uploads import object_key
    from stacks.function_settings import UPLOADS_PREFIX as STACK_PREFIX

    assert UPLOADS_PREFIX == STACK_PREFIX
    assert object_key("a b.mp4", __import__("uuid").uuid4()).startswith(UPLOADS_PREFIX)


# --- 8. the 401 is API Gateway's ------------------------------------------------------------------


def test_a_request_without_a_jwt_gets_api_gateways_401_body(call):
    answer = call("POST", "/v1/jobs", {"task": "trends"}, claims=None)
    assert (answer.status, answer.body) == (401, {"message": "Unauthorized"})


def test_a_content_type_this_stage_does_not_take_is_a_415(call, monkeypatch):
    # Given a stage that narrows the documented content types
    from router import settings

    monkeypatch.setenv("UPLOAD_CONTENT_TYPES", "video/mp4")
    settings.reset()
    answer = call("POST", "/v1/uploads", {"filename": "a.webm", "contentType": "video/webm", "size": 10})
    assert (answer.status, answer.body["error"]) == (415, "unsupported_content_type")
    settings.reset()


def test_error_bodies_are_json_of_storable_text(call):
    # An unknown field named with a lone surrogate comes back escaped, not as text the client cannot decode
    answer = call("POST", "/v1/jobs", raw_body='{"task": "trends", "\\ud800x": 1}')
    assert answer.status == 400
    assert json.loads(json.dumps(answer.body))["errors"][0]["field"] == "\\ud800x"
