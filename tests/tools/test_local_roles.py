"""The local system's functions log in as their own database roles, as they do on RDS."""

from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict

from tools.local.system import _as_role


def test_a_function_with_a_role_connects_as_that_role_without_the_admin_password():
    # Given the local system's admin DSN and the role the template gives the router
    admin = "host=127.0.0.1 port=5432 user=postgres password=secret dbname=huntaze_local"
    # When the router's DATABASE_URL is built
    dsn = conninfo_to_dict(_as_role(admin, "huntaze_router"))
    # Then it names the role, the same server and database, and no password
    assert dsn == {"host": "127.0.0.1", "port": "5432", "user": "huntaze_router", "dbname": "huntaze_local"}


def test_a_function_without_a_role_keeps_the_dsn():
    # Given the migrate function, which the template gives the master secret, not a role
    admin = "postgresql://postgres@127.0.0.1:5432/huntaze_local"
    # When its DATABASE_URL is built / Then it is the admin DSN itself
    assert _as_role(admin, None) == admin
