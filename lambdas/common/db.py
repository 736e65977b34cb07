"""One PostgreSQL connection per Lambda container, reused across invocations.

Each function logs in as its own role with an RDS IAM auth token
(`common.rds_auth`); only the migrate function uses the master secret. Against
RDS the server certificate is verified (sslmode=verify-full) with the RDS CA
bundle shipped beside this module.

Use it as a unit of work::

    with db.connection() as conn:
        with conn.transaction():
            ...

The connection has autocommit off and returns dict rows. Leaving the `with`
block commits whatever is still open (like psycopg's own ``with conn``) and an
exception rolls it back, so a frozen container never sits "idle in
transaction" holding locks. A dropped connection is replaced once when
detected before work starts; if it drops during work it surfaces as a
`TransientError` (so the message is retried) and the next call reconnects.

Every session carries server-side limits (statement, lock wait, idle in
transaction; see `DatabaseSettings`): a statement over its limit is cancelled
by the server and surfaces as a `TransientError` ("db_timeout") instead of
running until the Lambda is killed. A server that falls silent instead (packets
dropped, no reset: a failover, a network hiccup) is declared dead by the kernel
within the dead-peer bound (TCP keepalives and user timeout, see
`DatabaseSettings.tcp_parameters`): the connection is lost, as above.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from common.errors import ConfigurationError, PermanentError, TransientError
from common.settings import DatabaseSettings, database_settings

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)

# A connection used this recently is trusted without a round trip; after a
# longer pause (e.g. a frozen container) it is pinged before use.
PING_AFTER_IDLE_S = 2.0

_conn: psycopg.Connection | None = None
_last_used = 0.0


def conninfo(settings: DatabaseSettings, *, refresh_credentials: bool = False) -> str:
    """The libpq connection string for these settings (an IAM token or the master secret if needed)."""
    from psycopg.conninfo import make_conninfo

    common: dict[str, object] = {
        "connect_timeout": settings.connect_timeout_s,
        "application_name": settings.application_name,
        **settings.tcp_parameters(),
    }
    if settings.url:
        return make_conninfo(settings.url, **common, options=_options(settings, _url_options(settings.url)))
    # RDS: the server's certificate must chain to the RDS CAs and name the host.
    tls = {"sslmode": "verify-full", "sslrootcert": settings.ssl_root_cert}
    if settings.iam is not None:
        from common import rds_auth

        endpoint = settings.iam
        return make_conninfo(
            host=endpoint.host,
            port=endpoint.port,
            user=endpoint.user,
            password=rds_auth.auth_token(endpoint, refresh=refresh_credentials),
            dbname=endpoint.dbname,
            options=_options(settings, ""),
            **tls,
            **common,
        )

    from common import secrets

    assert settings.secret_arn is not None
    secret = secrets.get_secret_json(settings.secret_arn, refresh=refresh_credentials)
    try:
        return make_conninfo(
            host=secret["host"],
            port=secret.get("port", 5432),
            user=secret["username"],
            password=secret["password"],
            dbname=secret.get("dbname", "postgres"),
            options=_options(settings, ""),
            **tls,
            **common,
        )
    except KeyError as exc:
        raise ConfigurationError(f"database secret {settings.secret_arn} has no {exc.args[0]!r} field") from None


def connect(settings: DatabaseSettings | None = None, *, autocommit: bool = False) -> psycopg.Connection:
    """Open a new connection the caller owns (and closes); dict rows.

    A password rejected with cached credentials is retried once with fresh ones
    (the secret may have been rotated, the token may have expired).
    """
    import psycopg
    from psycopg.rows import dict_row

    settings = settings or database_settings()
    refresh = False
    while True:
        try:
            return psycopg.connect(
                conninfo(settings, refresh_credentials=refresh), autocommit=autocommit, row_factory=dict_row
            )
        except psycopg.OperationalError as exc:
            if (settings.secret_arn or settings.iam) and not refresh and _is_auth_failure(exc):
                logger.warning("database rejected the cached credentials; fetching fresh ones")
                refresh = True
                continue
            logger.warning("cannot connect to PostgreSQL: %s", _first_line(exc))
            raise TransientError("db_unavailable", "cannot connect to PostgreSQL") from exc


def get_connection() -> psycopg.Connection:
    """The container's connection, opened lazily and checked for liveness."""
    global _conn
    if _conn is not None and not _is_usable(_conn):
        logger.info("database connection was dropped; reconnecting")
        _discard()
    if _conn is None:
        _conn = connect()
    return _conn


@contextmanager
def connection() -> Iterator[psycopg.Connection]:
    """A unit of work on the container's connection: commit on success, roll back on error."""
    import psycopg
    import psycopg.errors

    global _last_used
    conn = get_connection()
    try:
        yield conn
        conn.commit()
    except (psycopg.DataError, psycopg.errors.ProgramLimitExceeded, UnicodeEncodeError) as exc:
        # The data, not the database: retrying cannot help.
        error = refused_data(exc)
        _rollback_or_discard(conn)
        raise error from exc
    except psycopg.OperationalError as exc:
        error = transient_error(exc, conn)
        _rollback_or_discard(conn)
        raise error from exc
    except BaseException:
        _rollback_or_discard(conn)
        raise
    finally:
        _last_used = time.monotonic()


def transient_error(exc: psycopg.OperationalError, conn: psycopg.Connection) -> TransientError:
    """What an OperationalError means for a job: a dropped connection, a cancelled
    statement (statement_timeout), a lock wait, a deadlock: all worth retrying later."""
    lost = conn.closed or conn.broken
    reason = "db_connection_lost" if lost else _TIMEOUT_REASONS.get(exc.sqlstate or "", "db_transient")
    # The driver's text names tables, indexes and values: logged, never stored on a job or answered.
    logger.warning("database error (%s): %s", reason, _first_line(exc))
    return TransientError(reason, _REASON_TEXT.get(reason, "the database could not complete the request"))


def refused_data(exc: Exception) -> PermanentError:
    """Data PostgreSQL will never store (a NUL, a lone surrogate, an index row over its size limit)."""
    logger.warning("database refused the data: %s", _first_line(exc))
    return PermanentError("db_refused_data", "a value cannot be stored (invalid text, or too large)")


def close() -> None:
    """Close the container's connection (tests; a graceful shutdown)."""
    _discard()


# query_canceled is what statement_timeout raises; lock_not_available, lock_timeout.
_TIMEOUT_REASONS = {"57014": "db_timeout", "55P03": "db_lock_timeout"}
_REASON_TEXT = {
    "db_connection_lost": "the database connection was lost",
    "db_timeout": "a database statement ran over its time limit",
    "db_lock_timeout": "a database lock was not granted in time",
}


def _options(settings: DatabaseSettings, existing: str) -> str:
    # Appended after anything the URL already asks for, so ours win.
    ours = " ".join(f"-c {name}={value}" for name, value in settings.server_options().items())
    return f"{existing} {ours}".strip()


def _url_options(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(url).get("options") or "")


def _is_usable(conn: psycopg.Connection) -> bool:
    import psycopg
    from psycopg.pq import TransactionStatus

    if conn.closed or conn.broken:
        return False
    if time.monotonic() - _last_used < PING_AFTER_IDLE_S:
        return True
    try:
        if conn.info.transaction_status != TransactionStatus.IDLE:
            conn.rollback()
        # An empty query is the cheapest round trip; autocommit keeps it from
        # opening a transaction (the same check psycopg_pool performs).
        conn.autocommit = True
        conn.execute("")
        conn.autocommit = False
        return True
    except psycopg.Error:
        return False


def _rollback_or_discard(conn: psycopg.Connection) -> None:
    import psycopg

    if conn.closed or conn.broken:
        _discard()
        return
    try:
        conn.rollback()
    except psycopg.Error:
        _discard()


def _discard() -> None:
    global _conn
    if _conn is not None:
        # Closing a dead socket may fail; the connection is gone either way.
        with contextlib.suppress(Exception):
            _conn.close()
    _conn = None


def _is_auth_failure(exc: Exception) -> bool:
    # libpq reports a rejected password at connect time without a SQLSTATE on
    # some versions, so the message is checked too.
    return getattr(exc, "sqlstate", None) in {"28P01", "28000"} or "password authentication failed" in str(exc)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
