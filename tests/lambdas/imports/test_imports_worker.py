"""The imports worker: an NDJSON (or gzip) file under events/ -> content_events, with a per-line report on its job.

Bad inputs tried: a line that is not JSON, not UTF-8, over the line limit, a
JSON value that is not an object, an event that breaks the rules (unknown
type, too old), a repeated event id; a file over the size limit, a gzip bomb
(text past the limit), a truncated gzip, binary garbage, a key outside
events/, a deleted file, an unreadable queue message.
"""

from __future__ import annotations

import os

import pytest
from imports_support import at, event, gz, job_of, ndjson, run_handler, s3_event_body, stored


def _mixed_file() -> bytes:
    return ndjson(
        event("e1"),
        event("e2", eventType="like", value=2),
        "",
        "{not json",
        event("e3", eventType="purchase"),
        event("e1"),
        b"\xff\xfe{}",
        "[1, 2]",
        event("e4", occurredAt=at(hours_ago=100)),
        '{"eventId": "' + "x" * 70_000 + '"}',
        event("e5", accountId="acct-2"),
    )


def test_a_file_is_imported_and_each_bad_line_reported_by_number(upload, db_conn):
    # Given a file mixing good events, bad lines and a repeat, uploaded under events/
    key = upload("events/2026-11-30/batch.ndjson", _mixed_file())
    # When its notification reaches the worker
    assert run_handler(s3_event_body(key)) == {"batchItemFailures": []}
    # Then the good events are stored once, and the job's report names each bad line
    assert stored(db_conn) == [("acct-1", "e1"), ("acct-1", "e2"), ("acct-2", "e5")]
    job = job_of(db_conn, key)
    report = job["result"]
    assert job["status"] == "succeeded" and report["complete"] is True
    assert (report["accepted"], report["duplicates"], report["rejected"], report["lines"]) == (3, 1, 6, 11)
    by_line = {r["line"]: r["errors"] for r in report["rejectedLines"]}
    assert sorted(by_line) == [4, 5, 7, 8, 9, 10]
    assert by_line[4][0]["problem"].startswith("is not JSON")
    assert by_line[5] == [{"field": "line 5.eventType", "problem": "must be one of view, like"}]
    assert by_line[7] == [{"field": "line 7", "problem": "is not UTF-8 text"}]
    assert by_line[8][0]["problem"] == "must be a JSON object, got array"
    assert "look-back" in by_line[9][0]["problem"]
    assert by_line[10] == [{"field": "line 10", "problem": "is longer than 65536 bytes"}]
    assert report["file"]["gzip"] is False and report["file"]["key"] == key


def test_a_gzip_file_of_several_members_is_read_as_one(upload, db_conn):
    data = gz(ndjson(event("g1"), event("g2"))) + gz(ndjson(event("g3")))
    key = upload("events/backfill.json.gz", data)
    run_handler(s3_event_body(key))
    report = job_of(db_conn, key)["result"]
    assert report["accepted"] == 3 and report["file"]["gzip"] is True
    assert stored(db_conn) == [("acct-1", "g1"), ("acct-1", "g2"), ("acct-1", "g3")]


def test_the_same_events_in_another_file_are_all_duplicates(upload, db_conn):
    data = ndjson(event("d1"), event("d2"))
    run_handler(s3_event_body(upload("events/a.ndjson", data)))
    run_handler(s3_event_body(upload("events/b.ndjson", data)))
    report = job_of(db_conn, "events/b.ndjson")["result"]
    assert (report["accepted"], report["duplicates"]) == (0, 2)
    assert len(stored(db_conn)) == 2


def test_a_redelivered_notification_finds_the_file_done(upload, db_conn):
    key = upload("events/once.ndjson", ndjson(event("o1")))
    run_handler(s3_event_body(key))
    run_handler(s3_event_body(key))
    assert job_of(db_conn, key)["attempts"] == 1 and len(stored(db_conn)) == 1


def test_a_gzip_bomb_stops_at_the_limit_keeping_what_came_before(upload, db_conn, monkeypatch):
    # Given a 4 KB text limit and a gzip file of good events followed by megabytes of zeros
    from imports import settings

    monkeypatch.setenv("IMPORT_MAX_TEXT_BYTES", "4096")
    settings.reset()
    data = gz(ndjson(*(event(f"b{i}") for i in range(6))) + b"0" * (8 * 1024 * 1024))
    assert len(data) < 20_000
    key = upload("events/bomb.ndjson.gz", data)
    run_handler(s3_event_body(key))
    # Then the job failed saying why, its report counts the events before the stop, and they are stored
    job = job_of(db_conn, key)
    assert job["status"] == "failed" and job["error_reason"] == "text_too_large"
    report = job["result"]
    assert report["complete"] is False and report["accepted"] == 6
    assert report["stoppedAt"]["reason"] == "text_too_large" and report["stoppedAt"]["line"] == report["lines"] + 1
    assert len(stored(db_conn)) == 6


def test_a_truncated_gzip_is_a_clear_error(upload, db_conn):
    data = gz(ndjson(*(event(f"t{i}") for i in range(50))))
    key = upload("events/cut.ndjson.gz", data[: len(data) // 2])
    run_handler(s3_event_body(key))
    job = job_of(db_conn, key)
    assert job["status"] == "failed" and job["error_reason"] == "corrupt_gzip"
    assert job["result"]["accepted"] == len(stored(db_conn))


def test_a_file_over_the_size_limit_is_refused_unread(upload, db_conn, monkeypatch):
    from imports import settings

    monkeypatch.setenv("IMPORT_MAX_OBJECT_BYTES", "100")
    settings.reset()
    key = upload("events/big.ndjson", ndjson(*(event(f"s{i}") for i in range(5))))
    run_handler(s3_event_body(key))
    job = job_of(db_conn, key)
    assert (job["status"], job["error_reason"]) == ("failed", "file_too_large") and "limit is 100" in job["error"]
    assert stored(db_conn) == []


def test_binary_garbage_is_not_ndjson(upload, db_conn):
    key = upload("events/garbage.bin", os.urandom(64 * 1024).replace(b"{", b"(") + b"\n".join([b"x"] * 1200))
    run_handler(s3_event_body(key))
    job = job_of(db_conn, key)
    assert (job["status"], job["error_reason"]) == ("failed", "not_ndjson")
    assert job["result"]["accepted"] == 0 and stored(db_conn) == []


def test_a_key_outside_events_is_refused_without_reading_it(upload, db_conn):
    key = upload("uploads/clip.ndjson", ndjson(event("u1")))
    run_handler(s3_event_body(key))
    job = job_of(db_conn, key)
    assert (job["status"], job["error_reason"]) == ("failed", "outside_events") and stored(db_conn) == []


def test_a_deleted_file_fails_its_job(imports_env, db_conn):
    run_handler(s3_event_body("events/gone.ndjson"))
    assert job_of(db_conn, "events/gone.ndjson")["error_reason"] == "object_not_found"


@pytest.mark.parametrize("body", ["not json", "[]", '{"Records": "x"}'])
def test_an_unreadable_message_is_dropped_without_a_retry(imports_env, body):
    assert run_handler(body) == {"batchItemFailures": []}


def test_s3s_test_event_is_ignored(imports_env, db_conn):
    assert run_handler('{"Event": "s3:TestEvent"}') == {"batchItemFailures": []}
    assert db_conn.execute("SELECT count(*) AS n FROM jobs").fetchone()["n"] == 0


def test_an_attempt_out_of_time_saves_its_progress_and_the_next_continues(upload, db_conn, monkeypatch):
    # Given a file of 7 events in batches of 3, and a first attempt that runs out of time after one batch
    from imports import worker

    key = upload("events/slow.ndjson", ndjson(*(event(f"p{i}") for i in range(7)), "oops"))
    monkeypatch.setattr(worker, "MIN_BATCH_S", 10_000.0)
    answer = run_handler(s3_event_body(key))
    # Then the message goes back, the job is queued again with the progress saved
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    job = job_of(db_conn, key)
    assert job["status"] == "queued" and job["result"]["lines"] == 3 and job["result"]["accepted"] == 3
    # When the next delivery has time
    monkeypatch.setattr(worker, "MIN_BATCH_S", 0.0)
    run_handler(s3_event_body(key))
    # Then it continues after line 3 and the report counts every line once
    report = job_of(db_conn, key)["result"]
    assert (report["accepted"], report["duplicates"], report["rejected"], report["lines"]) == (7, 0, 1, 8)
    assert len(stored(db_conn)) == 7
