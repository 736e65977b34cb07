"""checkov over the synthesized templates of every stage and over .github/workflows: 0 failures.

Every skip is written on the resource (template metadata ``checkov.skip``, or a
``checkov:skip`` comment in a workflow) with its reason; this test also holds
each reason to a real sentence. checkov lives in its own venv (``make setup``
builds .venv-checkov from requirements-checkov.lock): its pins clash with the app's.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import ROOT, STACK_NAMES

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def checkov(directory: Path | str, framework: str) -> dict[str, Any]:
    assert CHECKOV.exists(), f"checkov is not installed at {CHECKOV}: run make setup"
    result = subprocess.run(
        [str(CHECKOV), "-d", str(directory), "--framework", framework, "-o", "json", "--compact", "--skip-download"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.stdout.strip(), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    (report,) = reports if isinstance(reports, list) else [reports]
    return report


def _summary(report: dict[str, Any]) -> tuple[int, int, int]:
    s = report["summary"]
    return s["passed"], s["failed"], s["skipped"]


def _failures(report: dict[str, Any]) -> list[str]:
    return [f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in report["results"]["failed_checks"]]


def _reasons(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (f"{c['check_id']} {c['resource']}", (c.get("check_result") or {}).get("suppress_comment") or "")
        for c in report["results"]["skipped_checks"]
    ]


@pytest.fixture(scope="module")
def stage_reports(dev_app, prod_stacks) -> dict[str, dict[str, Any]]:
    reports = {}
    for stage, app in (("dev", dev_app[0]), ("prod", prod_stacks.network.node.root)):
        assembly = app.synth()
        reports[stage] = checkov(assembly.directory, "cloudformation")
    return reports


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_stage_template_passes_checkov(stage_reports, stage):
    report = stage_reports[stage]
    passed, failed, skipped = _summary(report)
    print(f"checkov cloudformation {stage}: {passed} passed, {failed} failed, {skipped} skipped with reason")
    assert _failures(report) == []
    # Every stack's template was scanned.
    scanned = {c["file_path"] for c in report["results"]["passed_checks"]}
    assert {f"/Huntaze-{stage.capitalize()}-{name}.template.json" for name in STACK_NAMES} <= scanned


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_template_skip_carries_its_reason(stage_reports, stage):
    reasons = _reasons(stage_reports[stage])
    assert reasons, "no skip at all: the metadata did not reach checkov"
    assert [what for what, reason in reasons if len(reason.strip()) < 20] == []


def test_workflows_pass_checkov_and_each_skip_has_a_reason():
    report = checkov(ROOT / ".github" / "workflows", "github_actions")
    passed, failed, skipped = _summary(report)
    print(f"checkov github_actions: {passed} passed, {failed} failed, {skipped} skipped with reason")
    assert _failures(report) == []
    assert passed > 0
    assert [what for what, reason in _reasons(report) if len(reason.strip()) < 20] == []
