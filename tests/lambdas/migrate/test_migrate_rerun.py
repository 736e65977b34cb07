"""Running the migrations again changes nothing: the Schema stack's trigger may run them twice.

A redeploy whose function did not change re-runs nothing, but a stack update
that rolls back re-invokes the previous function version (older files, a
database that already has the newer ones). Both must leave the schema exactly
as it was, and neither may fail: a failing rollback leaves the stack in
UPDATE_ROLLBACK_FAILED.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from migrate import runner as migrate

pytestmark = pytest.mark.pg

_SCHEMA = {
    "columns": """SELECT table_name, column_name, data_type, is_nullable, column_default
                  FROM information_schema.columns WHERE table_schema = 'public'""",
    "constraints": """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                      FROM pg_constraint WHERE connamespace = 'public'::regnamespace""",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "functions": """SELECT proname, pg_get_function_identity_arguments(oid), md5(prosrc)
                    FROM pg_proc WHERE pronamespace = 'public'::regnamespace""",
    "triggers": "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal",
    "ledger": "SELECT version, name, checksum, applied_at FROM schema_migrations",
}


def _schema(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    return {what: sorted(map(tuple, conn.execute(sql).fetchall()), key=repr) for what, sql in _SCHEMA.items()}


def test_running_the_migrations_twice_changes_nothing(fresh_database):
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        # Given a database migrated once
        assert migrate.apply_migrations(conn)
        before = _schema(conn)
        # When the same migrations run again (a retried or repeated trigger)
        again = migrate.apply_migrations(conn)
        # Then nothing is applied and the schema, to the last index and default, is unchanged
        assert again == []
        assert _schema(conn) == before
    assert before["columns"] and before["indexes"], "no schema found: the comparison would pass vacuously"


def test_the_previous_version_re_run_on_rollback_changes_nothing(fresh_database, tmp_path: Path):
    # Given a database migrated by the current files
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        migrate.apply_migrations(conn)
        before = _schema(conn)
        # When UPDATE_ROLLBACK re-invokes the previous function version, which lacks the newest file
        previous = tmp_path / "previous"
        previous.mkdir()
        on_disk = migrate.discover()
        assert len(on_disk) >= 2, "needs two migrations to model an older version"
        for m in on_disk[:-1]:
            shutil.copy(m.path, previous / m.path.name)
        applied = migrate.apply_migrations(conn, previous)
        # Then it succeeds, applies nothing, and keeps the newer schema as it is
        assert applied == []
        assert _schema(conn) == before
