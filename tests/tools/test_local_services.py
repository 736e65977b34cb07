"""tools/local/services: the embedded PostgreSQL and Valkey, and the harness falling back to them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from tools.local import services

ROOT = Path(__file__).resolve().parents[2]


def test_the_embedded_postgresql_takes_the_real_migrations() -> None:
    from migrate import runner as migrate

    # Given an embedded PostgreSQL / When the app's migrations are applied to it
    with services.embedded_postgres() as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        applied = migrate.apply_migrations(conn)
        version = conn.execute("SHOW server_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}

    # Then every migration is in, on PostgreSQL 16
    assert [m.version for m in applied] == [m.version for m in migrate.discover()]
    assert version.startswith("16.")
    assert {"jobs", "job_events", "video_analyses"} <= tables


def test_the_embedded_valkey_answers_and_is_valkey_8() -> None:
    import redis

    with services.embedded_valkey() as (host, port):
        client = redis.Redis(host=host, port=port, decode_responses=True)
        client.set("k", "v")
        info = client.info("server")

        assert client.get("k") == "v"
        assert info["server_name"] == "valkey"
        assert str(info["valkey_version"]).startswith("8.")
        client.close()


def test_the_harness_runs_database_tests_on_embedded_servers_when_none_answers() -> None:
    # Given nothing listening on the configured PostgreSQL and Redis addresses
    closed = services.free_port()
    env = {
        **os.environ,
        "TEST_PG_ADMIN_DSN": f"host=127.0.0.1 port={closed} user=postgres dbname=postgres connect_timeout=1",
        "TEST_REDIS_HOST": "127.0.0.1",
        "TEST_REDIS_PORT": str(closed),
    }
    env.pop("PYTEST_XDIST_WORKER", None)

    # When the harness' own tests run
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-rs",
            "tests/lambdas/common/test_common_harness.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    # Then they ran on the embedded servers: all passed, none skipped
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "passed" in summary
    assert "skipped" not in summary
