"""Schema migrations: ordering, idempotence, checksum guard, concurrency."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import psycopg
import pytest

from migrate import runner as migrate

pytestmark = pytest.mark.pg

APP_TABLES = {
    "jobs", "job_events", "video_analyses", "trend_snapshots", "content_events",
    "content_rollups_hourly", "content_rollups_daily", "rollup_watermarks",
    "alert_rules", "alert_events", "ai_usage_daily",
}  # fmt: skip


def _tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in rows}


def _write(directory: Path, name: str, sql: str) -> Path:
    path = directory / name
    path.write_text(sql)
    return path


def test_applies_shipped_migrations_to_an_empty_database(fresh_database):
    # Given an empty database
    # When the shipped migrations are applied
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        applied = migrate.apply_migrations(conn)
        recorded = migrate.applied_versions(conn)
    # Then every file is applied in order, recorded with its checksum, and the tables exist
    on_disk = migrate.discover()
    assert [m.version for m in applied] == [m.version for m in on_disk]
    assert recorded == {m.version: m.checksum for m in on_disk}
    assert APP_TABLES | {"schema_migrations"} <= _tables(fresh_database)


def test_reapplying_is_a_no_op(fresh_database):
    # Given a database that is up to date
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        migrate.apply_migrations(conn)
        before = conn.execute("SELECT version, applied_at FROM schema_migrations").fetchall()
        # When migrate runs again
        again = migrate.apply_migrations(conn)
        after = conn.execute("SELECT version, applied_at FROM schema_migrations").fetchall()
    # Then nothing is applied and nothing recorded changes
    assert again == []
    assert after == before


def test_applies_only_new_files_in_version_order(fresh_database, tmp_path):
    # Given a database with 0001 applied and two new files added out of name order
    _write(tmp_path, "0001_a.sql", "CREATE TABLE a (id int);")
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        migrate.apply_migrations(conn, tmp_path)
        _write(tmp_path, "0003_c.sql", "INSERT INTO a VALUES (3);")
        _write(tmp_path, "0002_b.sql", "INSERT INTO a VALUES (2);")
        # When migrate runs
        applied = migrate.apply_migrations(conn, tmp_path)
        values = [r[0] for r in conn.execute("SELECT id FROM a ORDER BY ctid")]
    # Then only the new ones run, 0002 before 0003
    assert [m.version for m in applied] == [2, 3]
    assert values == [2, 3]


def test_a_pending_migration_older_than_the_newest_applied_is_refused(fresh_database, tmp_path):
    # Given 0001 and 0003 applied, then a 0002 added later (e.g. from a merged branch)
    _write(tmp_path, "0001_a.sql", "CREATE TABLE a (id int);")
    _write(tmp_path, "0003_c.sql", "INSERT INTO a VALUES (3);")
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        migrate.apply_migrations(conn, tmp_path)
        _write(tmp_path, "0002_b.sql", "INSERT INTO a VALUES (2);")
        # When migrate runs, Then it refuses rather than apply it out of order
        with pytest.raises(migrate.MigrationError, match=r"older than the newest applied \(0003\): 0002_b.sql"):
            migrate.apply_migrations(conn, tmp_path)
        assert [r[0] for r in conn.execute("SELECT id FROM a")] == [3]


def test_a_failing_migration_rolls_back_and_is_not_recorded(fresh_database, tmp_path):
    # Given a migration whose second statement fails
    _write(tmp_path, "0001_ok.sql", "CREATE TABLE ok (id int);")
    _write(tmp_path, "0002_bad.sql", "CREATE TABLE half (id int); SELECT * FROM missing_table;")
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        # When migrate runs
        with pytest.raises(psycopg.errors.UndefinedTable):
            migrate.apply_migrations(conn, tmp_path)
        recorded = migrate.applied_versions(conn)
    # Then the earlier migration stays applied and the failed one left nothing behind
    assert set(recorded) == {1}
    assert "ok" in _tables(fresh_database)
    assert "half" not in _tables(fresh_database)


def test_an_edited_applied_migration_is_refused(fresh_database, tmp_path):
    # Given an applied migration whose file is then edited
    shutil.copy(migrate.MIGRATIONS_DIR / "0001_initial.sql", tmp_path / "0001_initial.sql")
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        migrate.apply_migrations(conn, tmp_path)
        with (tmp_path / "0001_initial.sql").open("a") as f:
            f.write("\n-- an innocent-looking edit\n")
        _write(tmp_path, "0002_next.sql", "CREATE TABLE next_one (id int);")
        # When migrate runs again
        with pytest.raises(migrate.MigrationError, match="0001_initial.sql"):
            migrate.apply_migrations(conn, tmp_path)
    # Then it fails loudly before applying anything new
    assert "next_one" not in _tables(fresh_database)


@pytest.mark.parametrize("bad_name", ["1_short.sql", "0002-dash.sql", "0002_Upper.sql"])
def test_misnamed_files_are_rejected(tmp_path, bad_name):
    # Given a migrations folder with a file that does not follow NNNN_name.sql
    _write(tmp_path, bad_name, "SELECT 1;")
    # When the files are discovered / Then the name is reported
    with pytest.raises(migrate.MigrationError, match=bad_name.replace(".", r"\.")):
        migrate.discover(tmp_path)


def test_duplicate_versions_are_rejected(tmp_path):
    # Given two files with the same version number (two branches merged)
    _write(tmp_path, "0002_a.sql", "SELECT 1;")
    _write(tmp_path, "0002_b.sql", "SELECT 1;")
    # When / Then
    with pytest.raises(migrate.MigrationError, match="used twice"):
        migrate.discover(tmp_path)


def test_concurrent_runs_do_not_race(fresh_database, tmp_path):
    # Given slow migrations, so two unsynchronised runs would overlap and both
    # try to create the same table
    _write(tmp_path, "0001_slow.sql", "SELECT pg_sleep(0.3); CREATE TABLE raced (id int);")
    _write(tmp_path, "0002_more.sql", "INSERT INTO raced VALUES (1);")
    barrier = threading.Barrier(2)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with psycopg.connect(fresh_database, autocommit=True) as conn:
                barrier.wait()
                results.append([m.version for m in migrate.apply_migrations(conn, tmp_path)])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    # When two runs start at the same moment
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    # Then neither fails, one applies everything, the other finds nothing to do
    assert errors == []
    assert sorted(results) == [[], [1, 2]]
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM raced").fetchone()[0] == 1
