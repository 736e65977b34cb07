"""The database connection budget, enforced at synth.

Every function that logs in to PostgreSQL holds one connection per warm
container (``lambdas/common/db.py``), and Lambda runs as many containers as
its concurrency allows. So the sum over those functions of (maximum
concurrency x connections per container) must fit in the instance's
``max_connections`` less a reserve for the master user (migrations, an
operator's psql) and RDS's own superuser slots. A function with no
concurrency cap at all could take every slot, so it is refused too.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds

from stacks.config import ConfigError, StageConfig
from stacks.data import DataStack
from stacks.monitoring import max_db_connections

# common/db.py keeps exactly one connection per container.
CONNECTIONS_PER_CONTAINER = 1


class ConnectionBudgetError(ConfigError):
    """The functions' worst case needs more connections than the database allows."""


def max_concurrency(fn: lambda_.Function) -> int | None:
    """The most containers ``fn`` can run at once: its reserved concurrency, else the
    sum of its SQS event sources' maximum concurrency; None when nothing caps it."""
    cfn = fn.node.default_child
    assert isinstance(cfn, lambda_.CfnFunction)
    reserved = fn.stack.resolve(cfn.reserved_concurrent_executions)
    if reserved is not None:
        return int(reserved)
    caps = []
    for child in fn.node.find_all():
        if isinstance(child, lambda_.CfnEventSourceMapping):
            scaling = fn.stack.resolve(child.scaling_config) or {}
            if "maximumConcurrency" not in scaling:
                return None
            caps.append(int(scaling["maximumConcurrency"]))
    return sum(caps) if caps else None


def check(cfg: StageConfig, data: DataStack, clients: Mapping[str, lambda_.Function] | None = None) -> int:
    """The connections the functions may hold at most; raises when over the budget."""
    clients = data.database_clients if clients is None else clients
    cfn = data.db.node.default_child
    assert isinstance(cfn, rds.CfnDBInstance)
    db_class = str(data.resolve(cfn.db_instance_class))
    uncapped = sorted(name for name, fn in clients.items() if max_concurrency(fn) is None)
    if uncapped:
        raise ConnectionBudgetError(
            f"database connection budget: {', '.join(uncapped)} use PostgreSQL with no concurrency cap "
            "(reserved concurrency or an SQS maximum concurrency)"
        )
    used = {name: (max_concurrency(fn) or 0) * CONNECTIONS_PER_CONTAINER for name, fn in sorted(clients.items())}
    total = sum(used.values())
    max_connections = max_db_connections(db_class, cfg.monitoring)
    available = max_connections - cfg.data.db_connection_reserve
    if total > available:
        parts = " + ".join(f"{name} {n}" for name, n in used.items())
        raise ConnectionBudgetError(
            f"database connection budget: {parts} = {total} connections at full concurrency "
            f"({CONNECTIONS_PER_CONTAINER} per container), over {db_class}'s max_connections {max_connections} "
            f"less the reserve {cfg.data.db_connection_reserve} = {available}. Lower router.reserved_concurrency "
            "or a worker's max_concurrency, or pick a larger data.db_instance_class."
        )
    return total
