"""The PostgreSQL role each database-using function logs in as.

The migration ``lambdas/common/migrations/*_function_roles.sql`` creates these
roles and their grants; the Data stack gives each function ``rds-db:connect``
for exactly its own role and passes the name as DB_USER. A test keeps the
migration and this table equal. No CDK import here, so tests of the roles
themselves stay light.
"""

from __future__ import annotations

DB_ROLES: dict[str, str] = {
    function: f"huntaze_{function}"
    for function in ("router", "video", "trends", "data", "alerts", "ops", "sweeper", "imports")
}
