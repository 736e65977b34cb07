"""The migrate Lambda: the CDK Trigger target that applies migrations on deploy."""

from __future__ import annotations

from functools import partial

import psycopg
import pytest

from common import db, settings
from migrate import runner as migrate
from tests.fakes import LambdaContext as FakeLambdaContext

pytestmark = pytest.mark.pg


_Context = partial(FakeLambdaContext, function_name="migrate", memory_limit_in_mb=256)


@pytest.fixture
def migrate_env(fresh_database, monkeypatch):
    from tools import function_env

    for name, value in function_env.database("migrate").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", fresh_database)
    monkeypatch.delenv("DB_SECRET_ARN", raising=False)
    settings.reset()
    yield fresh_database
    db.close()
    settings.reset()


def test_handler_applies_pending_migrations_then_reports_none(migrate_env):
    from migrate.handler import lambda_handler as handler

    # Given an empty database / When the trigger invokes the function twice
    first = handler({}, _Context())
    second = handler({"RequestType": "Create"}, _Context())
    # Then the first run applies every file and the second finds nothing to do
    assert first == {"applied": [f"{m.version:04d}_{m.name}" for m in migrate.discover()]}
    assert second == {"applied": []}
    with psycopg.connect(migrate_env) as conn:
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(migrate.discover())


def test_handler_raises_when_migrations_cannot_apply(migrate_env, tmp_path, monkeypatch):
    from migrate.handler import lambda_handler as handler

    # Given a migration that fails
    (tmp_path / "0001_bad.sql").write_text("SELECT * FROM nowhere;")
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", tmp_path)
    monkeypatch.setattr(migrate.apply_migrations, "__defaults__", (tmp_path,))
    # When invoked / Then it raises, so the deploy fails
    with pytest.raises(psycopg.errors.UndefinedTable):
        handler({}, _Context())
