"""One snapshot per stack, asset hashes masked: a diff here is an infrastructure change."""

from __future__ import annotations

import pytest

from tests.infra.conftest import mask_asset_hashes

STACKS = ["Network", "Data", "Video", "Cron", "Router", "Monitoring", "DeployAccess"]


@pytest.mark.parametrize("name", STACKS)
def test_stack_matches_snapshot(templates, snapshot, name):
    assert mask_asset_hashes(templates[name].to_json()) == snapshot
