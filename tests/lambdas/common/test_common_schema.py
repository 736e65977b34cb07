"""Constraints in the initial schema that make handlers idempotent."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.types.json import Jsonb

pytestmark = pytest.mark.pg


def test_video_analysis_is_unique_per_object_version(db_conn):
    # Given an analysis for one S3 object version
    insert = "INSERT INTO video_analyses (bucket, key, etag) VALUES (%s, %s, %s)"
    db_conn.execute(insert, ("uploads", "u/1.mp4", "etag-1"))
    db_conn.commit()
    # When the same bucket/key/etag is inserted again
    # Then the database refuses it
    with pytest.raises(psycopg.errors.UniqueViolation):
        db_conn.execute(insert, ("uploads", "u/1.mp4", "etag-1"))
    db_conn.rollback()
    # And a new version of the same key (new ETag) is a different analysis
    db_conn.execute(insert, ("uploads", "u/1.mp4", "etag-2"))
    db_conn.commit()
    assert db_conn.execute("SELECT count(*) AS n FROM video_analyses").fetchone()["n"] == 2


def test_job_idempotency_key_is_unique_but_optional(db_conn):
    # Given a job with a key and two without one
    insert = "INSERT INTO jobs (task, idempotency_key) VALUES ('video', %s)"
    db_conn.execute(insert, ("uploads/a.mp4",))
    db_conn.execute(insert, (None,))
    db_conn.execute(insert, (None,))
    db_conn.commit()
    # When the key is reused / Then it is refused
    with pytest.raises(psycopg.errors.UniqueViolation):
        db_conn.execute(insert, ("uploads/a.mp4",))
    db_conn.rollback()


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("INSERT INTO jobs (task) VALUES (%s)", ("email",)),
        ("INSERT INTO jobs (task, status) VALUES ('data', %s)", ("done",)),
        ("INSERT INTO jobs (task, payload) VALUES ('data', %s)", (Jsonb([1, 2]),)),
        ("INSERT INTO alert_rules (name, kind) VALUES ('r', %s)", ("sms",)),
        ("INSERT INTO alert_rules (name, kind, channels) VALUES ('r', 'threshold', %s)", (["pager"],)),
        (
            "INSERT INTO content_rollups_hourly (bucket_start, account_id, content_id, event_type) "
            "VALUES (%s, 'a', 'c', 'view')",
            ("2024-05-01T10:30:00Z",),
        ),
    ],
    ids=[
        "unknown-task",
        "unknown-status",
        "payload-not-object",
        "unknown-alert-kind",
        "unknown-channel",
        "hourly-bucket-not-aligned",
    ],
)
def test_check_constraints_reject_invalid_rows(db_conn, sql, params):
    # Given a row that breaks a CHECK constraint / When inserted / Then refused
    with pytest.raises(psycopg.errors.CheckViolation):
        db_conn.execute(sql, params)
    db_conn.rollback()


def test_one_trend_snapshot_per_window(db_conn):
    # Given a snapshot for a window
    insert = "INSERT INTO trend_snapshots (window_start) VALUES (%s)"
    db_conn.execute(insert, ("2024-05-01T00:00:00Z",))
    db_conn.commit()
    # When a retried run inserts the same window (spelled in another zone)
    # Then it is refused
    with pytest.raises(psycopg.errors.UniqueViolation):
        db_conn.execute(insert, ("2024-05-01T02:00:00+02:00",))
    db_conn.rollback()


def test_alert_event_is_unique_per_rule_and_evaluation_job(db_conn):
    # Given a rule and an event recorded by one evaluation job
    rule_id = db_conn.execute(
        "INSERT INTO alert_rules (name, kind) VALUES ('dlq', 'dlq_depth') RETURNING id"
    ).fetchone()["id"]
    job_id = db_conn.execute("INSERT INTO jobs (task) VALUES ('alerts') RETURNING id").fetchone()["id"]
    insert = "INSERT INTO alert_events (rule_id, job_id, state) VALUES (%s, %s, 'firing')"
    db_conn.execute(insert, (rule_id, job_id))
    db_conn.commit()
    # When the retried job records it again / Then refused
    with pytest.raises(psycopg.errors.UniqueViolation):
        db_conn.execute(insert, (rule_id, job_id))
    db_conn.rollback()
