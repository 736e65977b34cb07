"""PostgreSQL falling silent (packets dropped, nothing reset) under the container's connection.

The network between the function and the database drops everything (an RDS
failover, a NAT or ENI hiccup, a security group change): no reset arrives, and
the statement timeout's error would be lost too. The kernel must declare the
server dead within the stage's dead-peer bound (`DatabaseSettings.tcp_parameters`),
which `common.db` turns into the `TransientError` a worker retries and the
router answers 503 with; the next unit of work reconnects.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import psycopg
import pytest

from common import db, settings
from common.errors import TransientError
from tests.e2e.faults.conftest import observed
from tests.silent_path import SilentPath

pytestmark = pytest.mark.pg

# The stage's bound is 10 s; the cases that do not need the stage's own value run on the
# shortest (5 s) to take less time.
SHORT_BOUND_S = 5


@pytest.fixture
def through_path(silent_database_env: SilentPath, monkeypatch: pytest.MonkeyPatch) -> SilentPath:
    """The container's connection through the silent path, used without a liveness ping first,
    so the statement itself meets the silence."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 3600.0)
    return silent_database_env


@contextmanager
def _watchdog(conn: psycopg.Connection, after_s: float) -> Iterator[None]:
    """Should the kernel never give up, shut the socket after ``after_s`` so the test fails on time
    (on the duration it asserts) instead of hanging."""
    sock = socket.socket(fileno=os.dup(conn.pgconn.socket))

    def cut() -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(after_s, cut)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        sock.close()


def _silence_once_running(path: SilentPath, dsn: str, pid: int) -> float:
    """Wait (directly, not through the path) until backend ``pid`` runs its statement, then silence the path."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        deadline = time.monotonic() + 10
        query = "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND state = 'active' AND query LIKE 'SELECT pg_sleep%%'"
        while not admin.execute(query, (pid,)).fetchone():
            assert time.monotonic() < deadline, f"backend {pid} never ran its statement"
            time.sleep(0.02)
    path.silence()
    return time.monotonic()


def _terminate(dsn: str, pid: int) -> None:
    """The server never learns the client left: end the backend still sleeping."""
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_server_falling_silent_mid_statement_is_dead_within_the_bound_then_replaced(
    through_path: SilentPath, database_env: str
) -> None:
    # Given the container's connection through the path, with the stage's dead-peer bound
    bound = settings.database_settings().dead_peer_timeout_s
    with db.connection() as conn:
        old_pid = conn.info.backend_pid
    try:
        # When the network drops everything while a long statement runs (the statement timeout,
        # 60 s, is far off, and its error could not arrive anyway)
        with ThreadPoolExecutor(1) as pool:
            started = time.monotonic()
            silenced = pool.submit(_silence_once_running, through_path, database_env, old_pid)
            with pytest.raises(TransientError) as info, db.connection() as conn, _watchdog(conn, 3 * bound):
                conn.execute("SELECT pg_sleep(60)")
            took = time.monotonic() - started
            silent_for = time.monotonic() - silenced.result()
        observed.info("silent server: dead after %.2f s (silent for %.2f s), bound %d s", took, silent_for, bound)
        # Then the work fails as a lost connection (retried; 503 + Retry-After in the router) within
        # the bound, after the keepalive probes went unanswered (a reset would end it at once)
        assert info.value.reason == "db_connection_lost"
        assert bound / 2 < took < bound
        # And once the network is back, the next unit of work has a new connection
        through_path.restore()
        with db.connection() as conn:
            assert conn.info.backend_pid != old_pid
            assert conn.execute("SELECT 1 AS one").fetchone() == {"one": 1}
    finally:
        _terminate(database_env, old_pid)


def test_a_statement_sent_into_the_silence_is_dead_within_the_bound(
    through_path: SilentPath, database_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the container's connection through the path, then a network that drops everything
    monkeypatch.setenv("DB_DEAD_PEER_TIMEOUT_S", str(SHORT_BOUND_S))
    settings.reset()
    with db.connection() as conn:
        conn.execute("SELECT 1")
    through_path.silence()
    # When a statement is sent: it is never acknowledged (no keepalive runs while data is unacknowledged;
    # without tcp_user_timeout the kernel would retransmit for about 15 minutes)
    started = time.monotonic()
    with pytest.raises(TransientError) as info, db.connection() as conn, _watchdog(conn, 3 * SHORT_BOUND_S):
        conn.execute("SELECT 1")
    took = time.monotonic() - started
    observed.info("statement into the silence: dead after %.2f s, bound %d s", took, SHORT_BOUND_S)
    # Then it fails as a lost connection within the bound
    assert info.value.reason == "db_connection_lost"
    assert SHORT_BOUND_S / 2 < took < SHORT_BOUND_S


def test_a_statement_longer_than_the_bound_on_a_live_path_is_not_cut(
    through_path: SilentPath, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the container's connection through the path, with the shortest bound
    monkeypatch.setenv("DB_DEAD_PEER_TIMEOUT_S", str(SHORT_BOUND_S))
    settings.reset()
    with db.connection() as conn:
        pid = conn.info.backend_pid
    # When a statement runs longer than the bound, the server silent but its kernel answering the probes
    with db.connection() as conn, _watchdog(conn, 6 * SHORT_BOUND_S):
        row = conn.execute("SELECT pg_sleep(%s), 'done' AS outcome", (SHORT_BOUND_S + 2,)).fetchone()
    # Then it completes on the same connection
    assert row["outcome"] == "done"
    with db.connection() as conn:
        assert conn.info.backend_pid == pid
