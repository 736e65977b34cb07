"""Versioned SQL migrations, applied identically in tests and on deploy.

Files are ``migrations/NNNN_name.sql`` (four digits, lower-case snake name),
applied in version order, each in its own transaction, and recorded with a
sha256 checksum in ``schema_migrations``. A session advisory lock serialises
concurrent runs (two deploys, parallel test workers): the second waits, then
finds nothing left to do. Editing an applied file is refused.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Arbitrary but fixed: every migrate run in every process must use the same key.
ADVISORY_LOCK_KEY = 0x6875_6E74_617A_65  # "huntaze"

_FILENAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9][a-z0-9_]*)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(RuntimeError):
    """The migrations on disk and in the database disagree, or a file is misnamed."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path
    checksum: str

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; misnamed or duplicate files are errors."""
    migrations: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILENAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files must be named NNNN_name.sql")
        version = int(match["version"])
        if version in migrations:
            raise MigrationError(f"{path.name}: version {version:04d} is used twice")
        checksum = hashlib.sha256(path.read_bytes()).hexdigest()
        migrations[version] = Migration(version, match["name"], path, checksum)
    return [migrations[v] for v in sorted(migrations)]


def apply_migrations(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Apply every pending migration; returns those applied (empty when up to date).

    `conn` must not be inside a transaction; it is switched to autocommit for
    the run (so each migration is its own real transaction) and restored after.
    """
    from psycopg.pq import TransactionStatus

    if conn.info.transaction_status != TransactionStatus.IDLE:
        raise MigrationError("apply_migrations needs a connection that is not inside a transaction")
    migrations = discover(directory)
    previous_autocommit = conn.autocommit
    conn.autocommit = True
    try:
        conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        try:
            return _apply_locked(conn, migrations)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
    finally:
        conn.autocommit = previous_autocommit


def applied_versions(conn: psycopg.Connection) -> dict[int, str]:
    """Version -> checksum of what the database has recorded."""
    rows = conn.execute("SELECT version, checksum FROM schema_migrations ORDER BY version").fetchall()
    return {_col(row, 0, "version"): _col(row, 1, "checksum") for row in rows}


def _apply_locked(conn: psycopg.Connection, migrations: list[Migration]) -> list[Migration]:
    conn.execute(_CREATE_TABLE)
    applied = applied_versions(conn)
    on_disk = {m.version: m for m in migrations}

    changed = [m for m in migrations if m.version in applied and applied[m.version] != m.checksum]
    if changed:
        names = ", ".join(m.path.name for m in changed)
        raise MigrationError(
            f"applied migrations were edited after being applied: {names}. "
            "Revert the edit and add a new migration instead."
        )
    unknown = sorted(set(applied) - set(on_disk))
    if unknown:
        # A rollback to older code is allowed; the newer schema stays as it is.
        logger.warning("database has migrations this code does not know: %s", unknown)

    newest = max(applied, default=0)
    late = [m.path.name for m in migrations if m.version not in applied and m.version < newest]
    if late:
        # Fresh databases would apply it before the newer ones, deployed ones after:
        # two different schemas from the same files.
        raise MigrationError(
            f"pending migrations are older than the newest applied ({newest:04d}): {', '.join(late)}. "
            "Renumber them after it."
        )

    done: list[Migration] = []
    for migration in migrations:
        if migration.version in applied:
            continue
        logger.info("applying migration %s", migration.path.name)
        with conn.transaction():
            conn.execute(migration.sql)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                (migration.version, migration.name, migration.checksum),
            )
        done.append(migration)
    return done


def _col(row: object, index: int, name: str) -> object:
    # Works with the default tuple rows and with dict rows.
    return row[name] if isinstance(row, dict) else row[index]  # type: ignore[index]
