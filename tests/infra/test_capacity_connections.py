"""The capacity model counts the database connections as synth's budget does (stacks/connection_budget.py)."""

from __future__ import annotations

from stacks import connection_budget
from stacks.monitoring import max_db_connections
from tools.capacity.model import load_assumptions, plan, workers
from tools.cost.prices import load


def test_the_capacity_models_connections_at_1x_are_the_synthesized_budget(stacks, cfg):
    # Given the dev stage as synthesized, and the capacity model's plan for its own workload (no change needed)
    step = plan(cfg, load(), 1, workers(cfg), load_assumptions())
    assert step.changes == []
    # Then the model counts the connections synth counts, against the same limit
    assert step.connections == connection_budget.check(cfg, stacks.data)
    assert step.max_connections == (
        max_db_connections(f"db.{cfg.data.db_instance_class}", cfg.monitoring) - cfg.data.db_connection_reserve
    )
