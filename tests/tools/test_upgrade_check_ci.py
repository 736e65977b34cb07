"""The upgrade check runs on every pull request, for both stages, against the pull request's base commit."""

from __future__ import annotations

import re

import yaml

from tests.test_workflows import WORKFLOWS

STAGES = ("dev", "prod")


def _job() -> dict:
    workflow = yaml.safe_load((WORKFLOWS / "ci.yml").read_text())
    return workflow["jobs"]["upgrade-check"]


def test_it_runs_on_pull_requests_including_forks():
    job = _job()
    assert job["if"] == "github.event_name == 'pull_request'"
    # Offline: it needs no AWS role, hence no token either.
    assert "permissions" not in job


def test_the_clone_holds_the_base_commit():
    (checkout,) = [s for s in _job()["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["fetch-depth"] == 0


def test_every_stage_is_checked_against_the_base_sha_passed_through_the_environment():
    (step,) = [s for s in _job()["steps"] if "make upgrade-check" in s.get("run", "")]
    assert step["env"] == {"BASE": "${{ github.event.pull_request.base.sha }}"}
    assert "${{" not in step["run"]
    assert re.search(r"for stage in (\w+) (\w+); do", step["run"]).groups() == STAGES
    assert 'make upgrade-check STAGE="$stage" BASE="$BASE"' in step["run"]
