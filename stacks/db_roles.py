"""The PostgreSQL role each database-using function logs in as.

The migration ``lambdas/migrate/migrations/*_function_roles.sql`` creates these
roles and their grants; the Data stack gives each function ``rds-db:connect``
for exactly its own role and passes the name as DB_USER. A test keeps the
migration and this table equal. No CDK import here, so tests of the roles
themselves stay light.
"""

from __future__ import annotations

from common.names import APP
from common.tasks import TASKS

# Every task's worker, the API, the ops function, the sweeper and the webhook notifier.
DB_ROLES: dict[str, str] = {
    function: f"{APP}_{function}" for function in ("router", *TASKS, "ops", "sweeper", "webhooks")
}

# Functions a stage builds only when its config asks for them: the webhook notifier needs an endpoint
# (stacks/webhooks.py). Their roles exist in every database all the same (the migration makes them).
OPTIONAL_FUNCTIONS: frozenset[str] = frozenset({"webhooks"})
