"""The container's PostgreSQL connection: reuse, reconnect, failure mapping."""

from __future__ import annotations

import json
import os
import socket
import threading

import boto3
import psycopg
import pytest

from common import db, settings
from common.errors import TransientError
from common.settings import DatabaseSettings

# Server-side limits and the dead-peer bound for settings built by hand (any values: these tests are about the connection string).
LIMITS = {
    "statement_timeout_ms": 60_000,
    "lock_timeout_ms": 10_000,
    "idle_in_transaction_timeout_ms": 60_000,
    "dead_peer_timeout_s": 10,
}

pytestmark = pytest.mark.pg


def _url_settings(url: str = "postgresql://postgres@127.0.0.1:5432/x", **overrides) -> DatabaseSettings:
    """Settings of a plain-URL database (tests, local), the stage's limits unless overridden."""
    fields = {"connect_timeout_s": 5, "application_name": "t", **LIMITS, **overrides}
    return DatabaseSettings(url=url, secret_arn=None, **fields)


def _terminate(admin, pid: int) -> None:
    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    admin.commit()


def test_connection_is_reused_across_invocations(database_env):
    # Given one unit of work / When a second one runs
    with db.connection() as conn:
        first = conn.info.backend_pid
    with db.connection() as conn:
        second = conn.info.backend_pid
        row = conn.execute("SELECT 1 AS one").fetchone()
    # Then the same server session serves both, returning dict rows
    assert first == second
    assert row == {"one": 1}


def test_unit_of_work_commits_on_success_and_rolls_back_on_error(database_env, db_conn):
    # Given a write that completes and one whose block raises
    with db.connection() as conn:
        conn.execute("INSERT INTO rollup_watermarks (name) VALUES ('kept')")
    with pytest.raises(ValueError), db.connection() as conn:
        conn.execute("INSERT INTO rollup_watermarks (name) VALUES ('dropped')")
        raise ValueError("boom")
    # Then only the first is in the database, and the connection is idle again
    names = [r["name"] for r in db_conn.execute("SELECT name FROM rollup_watermarks")]
    assert names == ["kept"]
    with db.connection() as conn:
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_reconnects_after_the_server_dropped_an_idle_connection(database_env, db_conn, monkeypatch):
    # Given a container connection that the server then terminates while idle
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    with db.connection() as conn:
        old_pid = conn.info.backend_pid
    _terminate(db_conn, old_pid)
    # When the next invocation asks for the connection
    with db.connection() as conn:
        new_pid = conn.info.backend_pid
        value = conn.execute("SELECT 41 + 1 AS v").fetchone()["v"]
    # Then it transparently got a new one
    assert new_pid != old_pid
    assert value == 42


def test_connection_dropped_during_work_is_transient_then_recovers(database_env, db_conn, monkeypatch):
    # Given a connection trusted without a ping (used moments ago)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 3600.0)
    with db.connection() as conn:
        old_pid = conn.info.backend_pid
    # When the server drops it while work is running
    with pytest.raises(TransientError) as info, db.connection() as conn:
        _terminate(db_conn, old_pid)
        conn.execute("SELECT 1")
    # Then the work fails as a transient error (the message will be retried)
    assert info.value.reason == "db_connection_lost"
    # And the next unit of work gets a fresh connection
    with db.connection() as conn:
        assert conn.info.backend_pid != old_pid
        assert conn.execute("SELECT 1 AS one").fetchone() == {"one": 1}


def test_unreachable_database_is_a_transient_error(monkeypatch):
    # Given settings pointing at a port nobody listens on
    settings = _url_settings("postgresql://postgres@127.0.0.1:1/postgres", connect_timeout_s=1)
    # When connecting / Then the failure is transient
    with pytest.raises(TransientError) as info:
        db.connect(settings)
    assert info.value.reason == "db_unavailable"


def test_conninfo_from_rds_secret_verifies_the_server_certificate(aws):
    # Given the RDS-style secret in Secrets Manager
    arn = boto3.client("secretsmanager").create_secret(
        Name="db",
        SecretString=json.dumps(
            {"host": "db.internal", "port": 5432, "username": "app", "password": "p@ss w0rd", "dbname": "huntaze"}
        ),
    )["ARN"]
    settings = DatabaseSettings(url=None, secret_arn=arn, connect_timeout_s=7, application_name="video", **LIMITS)
    # When the connection string is built
    info = psycopg.conninfo.conninfo_to_dict(db.conninfo(settings))
    # Then it uses the secret's fields and verifies the server against the shipped RDS CAs
    assert info == {
        "host": "db.internal",
        "port": "5432",
        "user": "app",
        "password": "p@ss w0rd",
        "dbname": "huntaze",
        "sslmode": "verify-full",
        "sslrootcert": settings.ssl_root_cert,
        "connect_timeout": "7",
        "application_name": "video",
        "options": "-c statement_timeout=60000 -c lock_timeout=10000 -c idle_in_transaction_session_timeout=60000",
        "keepalives": "1",
        "keepalives_idle": "2",
        "keepalives_interval": "2",
        "keepalives_count": "3",
        "tcp_user_timeout": "8000",
    }


def test_conninfo_from_database_url_is_plain():
    settings = _url_settings()
    info = psycopg.conninfo.conninfo_to_dict(db.conninfo(settings))
    assert "sslmode" not in info
    assert info["connect_timeout"] == "5"


@pytest.mark.parametrize(
    ("bound_s", "idle", "interval", "user_timeout_ms"),
    [(5, 1, 1, 4000), (10, 2, 2, 8000), (60, 13, 13, 52000)],
)
def test_conninfo_declares_a_silent_server_dead_within_the_bound(bound_s, idle, interval, user_timeout_ms):
    # Given a dead-peer bound
    settings = _url_settings(dead_peer_timeout_s=bound_s)
    # When the connection string is built
    info = psycopg.conninfo.conninfo_to_dict(db.conninfo(settings))
    # Then keepalives are on, three probes end an eighth short of the bound (the kernel's timers run
    # late by up to that), and unacknowledged data is given up at that same time
    tcp = {k: int(info[k]) for k in ("keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout")}
    assert info["keepalives"] == "1"
    assert tcp == {
        "keepalives_idle": idle,
        "keepalives_interval": interval,
        "keepalives_count": 3,
        "tcp_user_timeout": user_timeout_ms,
    }
    assert idle + 3 * interval == user_timeout_ms / 1000 <= bound_s * 7 / 8


def test_the_container_connection_socket_carries_the_stage_keepalives(database_env, monkeypatch):
    from psycopg.conninfo import make_conninfo

    from tests.silent_path import upstream_of
    from tools.local.faults import TcpFaultProxy

    # Given the stage's settings (database_env) and a TCP way to the server, which may listen only on a
    # Unix socket (the embedded PostgreSQL), where TCP options do not exist
    proxy = TcpFaultProxy(upstream_of(database_env), "tcp-to-postgres")
    monkeypatch.setenv("DATABASE_URL", make_conninfo(database_env, host="127.0.0.1", port=proxy.port))
    settings.reset()
    db.close()
    # When the container connection is opened
    try:
        with db.connection() as conn:
            sock = socket.socket(fileno=os.dup(conn.pgconn.socket))
    finally:
        db.close()
        proxy.close()
    # Then the kernel holds the derived keepalive and user-timeout options for its socket
    with sock:
        options = {
            "keepalive": sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            "idle": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
            "interval": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
            "count": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
            "user_timeout_ms": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT),
        }
    tcp = settings.database_settings().tcp_parameters()
    assert options == {
        "keepalive": 1,
        "idle": tcp["keepalives_idle"],
        "interval": tcp["keepalives_interval"],
        "count": tcp["keepalives_count"],
        "user_timeout_ms": tcp["tcp_user_timeout"],
    }


def test_url_options_are_kept_and_server_limits_added():
    settings = DatabaseSettings(
        url="postgresql://postgres@127.0.0.1:5432/x?options=-c%20search_path%3Dapp",
        secret_arn=None,
        connect_timeout_s=5,
        application_name="t",
        statement_timeout_ms=1500,
        lock_timeout_ms=0,
        idle_in_transaction_timeout_ms=60_000,
        dead_peer_timeout_s=10,
    )
    options = psycopg.conninfo.conninfo_to_dict(db.conninfo(settings))["options"]
    assert options == (
        "-c search_path=app -c statement_timeout=1500 -c lock_timeout=0 -c idle_in_transaction_session_timeout=60000"
    )


def test_sessions_carry_the_configured_server_limits(database_env, monkeypatch):
    # Given limits set through the environment
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "2500")
    monkeypatch.setenv("DB_LOCK_TIMEOUT_MS", "700")
    monkeypatch.setenv("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", "30000")
    settings.reset()
    db.close()
    # When the container connection is opened
    with db.connection() as conn:
        shown = {
            name: conn.execute(f"SHOW {name}").fetchone()[name]
            for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")
        }
    # Then the server enforces them for the session
    assert shown == {
        "statement_timeout": "2500ms",
        "lock_timeout": "700ms",
        "idle_in_transaction_session_timeout": "30s",
    }


def test_statement_over_the_timeout_is_a_transient_error_not_a_hang(database_env, monkeypatch):
    # Given a 200 ms statement limit
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "200")
    settings.reset()
    db.close()
    # When a statement would run for 5 s
    with pytest.raises(TransientError) as info, db.connection() as conn:
        conn.execute("SELECT pg_sleep(5)")
    # Then the server cancelled it and the work is retryable; the connection stays usable
    assert info.value.reason == "db_timeout"
    with db.connection() as conn:
        assert conn.execute("SELECT 1 AS one").fetchone() == {"one": 1}


def test_lock_wait_over_the_limit_is_a_transient_error(database_env, db_conn, monkeypatch):
    # Given another session holding a row lock, and a 100 ms lock limit
    monkeypatch.setenv("DB_LOCK_TIMEOUT_MS", "100")
    settings.reset()
    db.close()
    db_conn.execute("INSERT INTO rollup_watermarks (name) VALUES ('held')")
    db_conn.commit()
    db_conn.execute("SELECT 1 FROM rollup_watermarks WHERE name = 'held' FOR UPDATE")
    # (released after 5 s whatever happens, so a missing limit fails the test instead of hanging it)
    release = threading.Timer(5, db_conn.rollback)
    release.start()
    try:
        # When this container's work needs the same row
        with pytest.raises(TransientError) as info, db.connection() as conn:
            conn.execute("UPDATE rollup_watermarks SET value = 1 WHERE name = 'held'")
    finally:
        release.cancel()
        db_conn.rollback()
    # Then it gives up as a retryable lock timeout instead of queueing behind the holder
    assert info.value.reason == "db_lock_timeout"
