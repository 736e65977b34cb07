"""Synth refuses a stage whose functions could open more connections than PostgreSQL allows."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from stacks import connection_budget
from stacks.config import ConfigError
from stacks.db_roles import DB_ROLES, OPTIONAL_FUNCTIONS
from stacks.monitoring import max_db_connections
from tests.infra.conftest import synth_app


def test_every_database_function_is_counted_with_its_cap(stacks, cfg):
    # Given the dev stage (no webhook endpoint) / Then each role's function is counted at its configured cap
    clients = stacks.data.database_clients
    assert set(clients) == set(DB_ROLES) - OPTIONAL_FUNCTIONS
    caps = {name: connection_budget.max_concurrency(fn) for name, fn in clients.items()}
    assert caps == {
        "router": cfg.router.reserved_concurrency,
        "ops": cfg.monitoring.ops_reserved_concurrency,
        "video": cfg.video.worker.max_concurrency,
        "imports": cfg.events.imports.max_concurrency,
        **{task: getattr(cfg.cron, task).max_concurrency for task in ("trends", "data", "alerts", "sweeper")},
    }
    total = connection_budget.check(cfg, stacks.data)
    assert total == sum(caps.values())
    assert (
        total <= max_db_connections(f"db.{cfg.data.db_instance_class}", cfg.monitoring) - cfg.data.db_connection_reserve
    )


def test_prod_fits_its_budget_too(prod_stacks):
    assert connection_budget.check(prod_stacks.cfg, prod_stacks.data) > 0


def test_a_router_concurrency_over_the_budget_stops_synth_naming_the_numbers(tmp_path):
    # Given a router allowed 100 containers on a db.t4g.micro (79 connections by RDS's formula)
    # When the stage is synthesized / Then it stops with the sum, the limit and the reserve
    with pytest.raises(ConfigError) as err:
        synth_app("dev", overrides={"router": {"reserved_concurrency": 100}}, outdir=str(tmp_path))
    message = str(err.value)
    assert "router 100 + " in message and "= 114 connections" in message
    assert "max_connections 79 less the reserve 10 = 69" in message


def test_a_database_function_without_a_concurrency_cap_is_refused(stacks, cfg):
    # Given a function that may scale without limit
    stack = cdk.Stack(cdk.App(), "Loose")
    loose = lambda_.Function(
        stack,
        "Loose",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="x.h",
        code=lambda_.Code.from_inline("def h(e, c): pass"),
    )
    # Then the budget refuses to count it
    with pytest.raises(ConfigError, match="loose use PostgreSQL with no concurrency cap"):
        connection_budget.check(cfg, stacks.data, {"loose": loose})
