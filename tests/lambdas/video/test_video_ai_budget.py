"""A video analysis over the day's AI budget waits for the next UTC day: deferred, not failed, then analysed.

The database's clock cannot be moved, so "the next day" is simulated by moving
the job's rows back a day: its `not_before` into the past, and today's spend
to yesterday.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from video_support import good_answer, run_handler, s3_event_body, upload

pytestmark = pytest.mark.pg
CHAT = "/models/chat/completions"


@pytest.fixture(autouse=True)
def queue_env(monkeypatch):
    monkeypatch.setenv("MAX_RECEIVE_COUNT", "3")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "HuntazeTest")


def _spend_the_day(db_conn) -> None:
    db_conn.execute(
        "INSERT INTO ai_spend (day, scope, spent) VALUES ((now() AT TIME ZONE 'UTC')::date, 'global', 1000000)"
    )
    db_conn.commit()


def _job(db_conn) -> dict:
    db_conn.rollback()
    return db_conn.execute("SELECT * FROM jobs").fetchone()


def test_an_analysis_over_the_days_budget_is_deferred_to_midnight_not_failed(video_env, db_conn, httpserver, clips):
    # Given an upload and a stage whose $1 AI day is spent
    upload(video_env, clips["landscape"].path, "uploads/a.mp4")
    _spend_the_day(db_conn)
    before = datetime.now(UTC)
    # When its S3 notification is handled
    result = run_handler(s3_event_body("uploads/a.mp4"))
    # Then the message is acknowledged (SQS cannot hold it until tomorrow) and the model was not asked
    assert result == {"batchItemFailures": []}
    assert httpserver.log == []
    # And the job waits, queued, until the next 00:00 UTC, saying why
    job = _job(db_conn)
    midnight = (before + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert (job["status"], job["error_reason"], job["not_before"]) == ("queued", "daily_budget_exceeded", midnight)
    assert job["finished_at"] is None and job["lease_until"] is None
    history = db_conn.execute("SELECT status, reason, detail FROM job_events ORDER BY id").fetchall()
    assert history[-1]["status"] == "queued" and history[-1]["reason"] == "daily_budget_exceeded"
    assert history[-1]["detail"].startswith(f"deferred to {midnight.isoformat()}")
    # And nothing was spent or is left held
    assert db_conn.execute("SELECT spent, reserved FROM ai_spend").fetchall() == [{"spent": 1000000, "reserved": 0}]


def test_a_deferred_analysis_is_sent_again_the_next_day_and_analysed(video_env, db_conn, httpserver, clips):
    from common import job_recovery, job_store

    # Given an analysis deferred for an over-budget day
    upload(video_env, clips["landscape"].path, "uploads/a.mp4")
    _spend_the_day(db_conn)
    run_handler(s3_event_body("uploads/a.mp4"))
    job_id = _job(db_conn)["id"]
    # When the sweeper runs the same day (the job untouched longer than its grace), it is not sent again
    db_conn.execute("UPDATE jobs SET updated_at = now() - interval '1 hour'")
    db_conn.commit()
    assert job_recovery.claim_stale_queued(db_conn, grace_s=600, limit=10) == []
    # And a stray delivery of its message before then does not start it
    again = run_handler(json.dumps(job_store.get_job(db_conn, job_id).to_envelope()))
    assert again == {"batchItemFailures": []} and httpserver.log == []
    assert _job(db_conn)["status"] == "queued"
    # When the next UTC day has come (the spend is yesterday's, the job's wait is over) and the sweeper runs
    db_conn.execute("UPDATE ai_spend SET day = day - 1")
    db_conn.execute("UPDATE jobs SET not_before = now() - interval '1 second', updated_at = now() - interval '1 hour'")
    db_conn.commit()
    resent = job_recovery.claim_stale_queued(db_conn, grace_s=600, limit=10)
    db_conn.commit()
    assert [j.id for j in resent] == [job_id]
    # Then its message runs the analysis, and the job succeeds on its second attempt
    httpserver.expect_request(CHAT, method="POST").respond_with_json(good_answer())
    assert run_handler(json.dumps(resent[0].to_envelope())) == {"batchItemFailures": []}
    job = _job(db_conn)
    assert (job["status"], job["attempts"], job["not_before"]) == ("succeeded", 2, None)
    # And the call is recorded for the job, priced: 900 x 0.08 + 60 x 0.32 = 91.2 micro-dollars, rounded up
    calls = db_conn.execute("SELECT caller, task, model, images, cost_micro_usd, job_id FROM ai_calls").fetchall()
    assert len(calls) == 1 and calls[0]["images"] >= 1
    assert {k: v for k, v in calls[0].items() if k != "images"} == {
        "caller": "system",
        "task": "video",
        "model": "Phi-4-multimodal-instruct",
        "cost_micro_usd": 92,
        "job_id": job_id,
    }
