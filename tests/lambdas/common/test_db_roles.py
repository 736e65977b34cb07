"""Each function's database role can do its job and nothing outside it.

The roles come from the migration (on RDS they log in with IAM tokens; here the
test becomes one with SET ROLE on the migrated database, which drops the
superuser's rights). Each role runs its function's real data-access code,
then tries something that belongs to another function or to the migrations.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from common import job_recovery, job_store
from stacks.db_roles import DB_ROLES

pytestmark = pytest.mark.pg

REFUSED = psycopg.errors.InsufficientPrivilege


@pytest.fixture
def as_role(database_url: str, db_conn) -> Iterator:
    """Opens connections that act as one function's role (db_conn has wiped the data first)."""
    opened: list[psycopg.Connection] = []

    def connect(function: str) -> psycopg.Connection:
        conn = psycopg.connect(database_url, row_factory=dict_row, autocommit=True)
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(DB_ROLES[function])))
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()


def _refused(conn: psycopg.Connection, statement: str, params: tuple = ()) -> bool:
    try:
        conn.execute(statement, params)
    except REFUSED:
        return True
    return False


def test_the_migration_creates_a_login_role_for_every_function_the_stacks_name(db_conn):
    rows = db_conn.execute(
        "SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = ANY(%s)",
        (list(DB_ROLES.values()),),
    ).fetchall()
    assert {r["rolname"]: (r["rolcanlogin"], r["rolsuper"], r["rolcreaterole"], r["rolcreatedb"]) for r in rows} == {
        role: (True, False, False, False) for role in DB_ROLES.values()
    }


@pytest.mark.parametrize("function", sorted(DB_ROLES))
def test_no_function_can_drop_alter_or_create_a_table(as_role, function):
    conn = as_role(function)
    assert _refused(conn, "DROP TABLE jobs")
    assert _refused(conn, "ALTER TABLE jobs ADD COLUMN x int")
    assert _refused(conn, "CREATE TABLE mine (id int)")
    assert _refused(conn, "TRUNCATE job_events")


def test_router_creates_jobs_and_records_spend_and_reads_outputs_it_cannot_write(as_role):
    from common import ai_spend
    from router.job_store import create_owned_job, delete_unsent_job, get_owned_job

    conn = as_role("router")
    found, created = create_owned_job(conn, "data", {}, owner="user-1", idempotency_key="api:user-1:k")
    assert created and get_owned_job(conn, found.job.id).owner == "user-1"
    delete_unsent_job(conn, found.job.id)
    _spend(conn, "user-1", "ai_route")
    assert ai_spend.spend_by_caller(conn, "user-1") == [{"caller": "user-1", "today": 15, "month": 15}]
    # GET /v1/jobs/{id} answers the stored analysis and snapshot; writing them is the workers' alone.
    from router.job_queries import job_output, job_webhooks, list_owned_jobs

    for task in ("video", "trends"):
        made, _ = create_owned_job(conn, task, {}, owner="user-1")
        assert job_output(conn, made.job) is None
    assert [j.task for j in list_owned_jobs(conn, "user-1", limit=5)[0]] == ["trends", "video"]
    assert job_webhooks(conn, made.job.id) == []
    assert _refused(conn, "DELETE FROM webhook_attempts")
    assert _refused(conn, "UPDATE video_analyses SET error = 'x'")
    assert _refused(conn, "INSERT INTO trend_snapshots (window_start) VALUES (now())")
    assert _refused(conn, "SELECT * FROM content_events")
    assert _refused(conn, "DELETE FROM job_events")


def _spend(conn, caller: str, task: str, job_id=None) -> None:
    """What every model-calling function does: reserve, settle, record the call."""
    from common import ai_spend

    budgets = [ai_spend.Budget("global", 1000), ai_spend.Budget(ai_spend.caller_scope(caller), 100)]
    held = ai_spend.reserve(conn, budgets, 40)
    call = ai_spend.Call(caller, task, "DeepSeek-V3", 10, 5, 0, 0, 15, job_id)
    assert ai_spend.settle(conn, held, call)
    assert conn.execute("SELECT spent FROM ai_spend WHERE scope = 'global'").fetchone()["spent"] == 15


def test_video_records_its_analysis_and_its_ai_spend_but_cannot_delete_jobs(as_role):
    from common import ai_spend
    from video import repository

    conn = as_role("video")
    job, _ = job_store.create_job(conn, "video", {"bucket": "b", "key": "uploads/a.mp4"}, idempotency_key="s3:b/a")
    assert job_store.start_job(conn, job.id, lease_seconds=60) is not None
    row = repository.claim(conn, job.id, "b", "uploads/a.mp4", "etag", 10)
    assert repository.find(conn, "b", "uploads/a.mp4", "etag").id == row.id
    assert ai_spend.job_owner(conn, job.id) is None
    _spend(conn, "system", "video", job.id)
    assert _refused(conn, "DELETE FROM ai_calls")
    assert _refused(conn, "DELETE FROM jobs WHERE id = %s", (job.id,))


def test_trends_writes_snapshots_but_cannot_touch_rollups(as_role):
    from cron import trends_store

    conn = as_role("trends")
    window = datetime(2026, 1, 1, tzinfo=UTC)
    snapshot = trends_store.insert_snapshot(
        conn,
        job_id=None,
        window_start=window,
        items=[{"name": "#a"}],
        growth={},
        source_errors=[],
        source_reports={},
    )
    trends_store.set_retry_after(conn, "feed", window + timedelta(hours=1), "retry_after")
    assert set(trends_store.retry_after(conn, window)) == {"feed"}
    trends_store.set_summary(conn, snapshot.id, "summary", "DeepSeek-V3")
    assert trends_store.get_snapshot(conn, window).summary == "summary"
    _spend(conn, "system", "trends")
    assert _refused(conn, "SELECT * FROM content_rollups_hourly")
    assert _refused(conn, "SELECT * FROM alert_rules")


def test_data_rolls_up_events_but_cannot_write_them(as_role, db_conn):
    from cron import rollups

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    db_conn.execute(
        "INSERT INTO content_events (account_id, content_id, event_type, occurred_at, ingested_at) "
        "VALUES ('a', 'c', 'view', %s, %s)",
        (now - timedelta(hours=2), now - timedelta(hours=2)),
    )
    db_conn.commit()
    conn = as_role("data")
    rollups.run_incremental(conn, window_end=now, lookback=timedelta(hours=48), settle=timedelta(0))
    assert conn.execute("SELECT count(*) AS n FROM content_rollups_hourly").fetchone()["n"] == 1
    # The rollup moved the account's analytics generation (GET /v1/analytics caches under it)
    assert (
        conn.execute("SELECT generation FROM analytics_generations WHERE account_id = 'a'").fetchone()["generation"]
        >= 1
    )
    assert _refused(
        conn,
        "INSERT INTO content_events (account_id, content_id, event_type, occurred_at) VALUES ('a', 'c', 'view', now())",
    )
    assert _refused(conn, "SELECT * FROM trend_snapshots")


def test_alerts_applies_its_rules_file_and_keeps_state_but_cannot_touch_other_data(as_role):
    from cron import alerts_store, rule_file
    from cron.alert_state import State

    conn = as_role("alerts")
    routes = {"critical": ["email", "slack"], "warning": ["slack"]}
    rules = rule_file.parse(
        {"routes": routes, "rules": [{"name": "views", "kind": "failed_jobs", "severity": "warning"}]}
    ).rules
    alerts_store.apply_rules(conn, rules)
    (rule,) = alerts_store.enabled_rules(conn)
    job, _ = job_store.create_job(conn, "alerts", {}, idempotency_key="alerts:1")
    now = datetime.now(UTC)
    firing = State(state="firing", since=now, firing_since=now, message="m")
    with alerts_store.locked_state(conn, rule.id) as found:
        assert found == (None, None)
        alerts_store.save_state(conn, rule.id, firing, job_id=job.id, now=now)
        alerts_store.record_event(
            conn,
            rule_id=rule.id,
            job_id=job.id,
            kind="firing",
            state=firing,
            channels=["slack"],
            firing_since=now,
            now=now,
        )
    with alerts_store.undelivered(conn, "slack") as pending:
        assert [e.rule for e in pending] == ["views"]
    assert conn.execute("SELECT count(*) AS n FROM video_analyses").fetchone()["n"] == 0
    assert _refused(conn, "DELETE FROM video_analyses")
    assert _refused(
        conn,
        "INSERT INTO alert_silences (starts_at, ends_at, reason, created_by) VALUES (now(), now() + interval '1 hour', 'r', 'me')",
    )
    assert _refused(conn, "SELECT * FROM ai_spend")


def test_ops_reads_history_and_requeues_but_cannot_create_jobs(as_role, db_conn):
    from ops import jobs as ops_jobs

    job, _ = job_store.create_job(db_conn, "data", {}, idempotency_key=f"data:{uuid.uuid4()}")
    db_conn.commit()
    conn = as_role("ops")
    assert ops_jobs.history(conn, job.id)["events"][0]["status"] == "queued"
    assert _refused(conn, "INSERT INTO jobs (task) VALUES ('data')")
    assert _refused(conn, "SELECT * FROM ai_usage_daily")


def test_router_writes_events_and_reads_trends_but_cannot_read_or_change_stored_events(as_role):
    from common import event_store
    from common.events import Event

    conn = as_role("router")
    event = Event("e1", "acct-1", "post-1", "view", 1, datetime.now(UTC))
    assert event_store.insert_events(conn, [event]) == {("acct-1", "e1")}
    assert event_store.insert_events(conn, [event]) == set()
    assert conn.execute("SELECT count(*) AS n FROM trend_snapshots").fetchone()["n"] == 0
    assert conn.execute("SELECT count(*) AS n FROM content_rollups_daily").fetchone()["n"] == 0
    assert _refused(conn, "SELECT value FROM content_events")
    assert _refused(conn, "UPDATE content_events SET value = 2")
    assert _refused(conn, "DELETE FROM content_events")
    assert _refused(
        conn,
        "INSERT INTO content_rollups_hourly (bucket_start, account_id, content_id, event_type) "
        "VALUES (date_trunc('hour', now()), 'a', 'c', 'view')",
    )


def test_sweeper_resends_and_settles_jobs_but_cannot_create_or_delete_them(as_role, db_conn):
    # Given a job queued an hour ago and one whose lease ran out an hour ago
    lost, _ = job_store.create_job(db_conn, "data", {})
    dead, _ = job_store.create_job(db_conn, "trends", {})
    job_store.start_job(db_conn, dead.id, lease_seconds=60)
    db_conn.execute("UPDATE jobs SET updated_at = now() - interval '1 hour' WHERE id = %s", (lost.id,))
    db_conn.execute("UPDATE jobs SET lease_until = now() - interval '1 hour' WHERE id = %s", (dead.id,))
    db_conn.commit()
    conn = as_role("sweeper")
    # Then its role runs the sweeper's own statements
    assert [j.id for j in job_recovery.claim_stale_queued(conn, grace_s=600, limit=10)] == [lost.id]
    assert [j.id for j in job_recovery.requeue_abandoned(conn, grace_s=600, max_attempts={"trends": 3})] == [dead.id]
    assert job_recovery.fail_abandoned(conn, grace_s=600) == []
    # And nothing that belongs to another function
    assert _refused(conn, "INSERT INTO jobs (task) VALUES ('data')")
    assert _refused(conn, "DELETE FROM jobs")
    assert _refused(conn, "SELECT * FROM video_analyses")


def test_ops_runs_the_audit(as_role):
    from ops import audit

    assert audit.audit(as_role("ops"), older_than_s=0) == {"olderThanSeconds": 0, "lost": [], "duplicated": []}


def test_webhooks_records_deliveries_and_attempts_but_cannot_change_jobs(as_role, db_conn):
    from webhooks import store

    job, _ = job_store.create_job(db_conn, "data", {})
    db_conn.commit()
    conn = as_role("webhooks")
    assert job_store.get_job(conn, job.id).id == job.id
    delivery = store.open_delivery(
        conn, message_id="msg_1", endpoint="app", job_id=job.id, event_type="job.succeeded", payload={"a": 1}
    )
    status = store.record_attempt(
        conn, delivery, job_id=job.id, status_code=500, error="500", duration_ms=3, last=False
    )
    assert status == "pending" and store.find_delivery(conn, "msg_1", "app").attempts == 1
    assert _refused(conn, "UPDATE jobs SET status = 'failed'")
    assert _refused(conn, "SELECT * FROM video_analyses")
    assert _refused(conn, "DELETE FROM webhook_attempts")


def test_router_reads_analytics_generations_but_cannot_move_them(as_role):
    from router import analytics_store

    conn = as_role("router")
    assert analytics_store.generation(conn, "acct-1") == 0
    assert _refused(conn, "INSERT INTO analytics_generations (account_id) VALUES ('acct-1')")


def test_imports_writes_events_and_runs_its_jobs_but_reads_nothing_else(as_role):
    from common import event_store
    from common.events import Event
    from imports import progress

    conn = as_role("imports")
    job, _ = job_store.create_job(conn, "imports", {"bucket": "b", "key": "events/f.ndjson"}, idempotency_key="k")
    attempt = job_store.start_job(conn, job.id)
    assert progress.save(conn, attempt, {"complete": False, "lines": 3})
    event = Event("e1", "acct-1", "post-1", "view", 1, datetime.now(UTC))
    assert event_store.insert_events(conn, [event]) == {("acct-1", "e1")}
    assert job_store.succeed_job(conn, attempt, {"complete": True}) is not None
    assert _refused(conn, "SELECT value FROM content_events")
    assert _refused(conn, "SELECT * FROM content_rollups_hourly")
    assert _refused(conn, "SELECT * FROM trend_snapshots")
    assert _refused(conn, "DELETE FROM jobs")
