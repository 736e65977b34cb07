"""``python -m tools.upgrade_check`` on two cloud assemblies: its report and its exit code."""

from __future__ import annotations

import json
from pathlib import Path

from tools.upgrade_check.__main__ import main


def assembly(path: Path, threshold: int) -> Path:
    path.mkdir()
    budget = {
        "Type": "AWS::Budgets::Budget",
        "Properties": {
            "Budget": {"BudgetName": "huntaze-dev-monthly", "BudgetType": "COST", "TimeUnit": "MONTHLY"},
            "NotificationsWithSubscribers": [{"Notification": {"Threshold": threshold}, "Subscribers": []}],
        },
    }
    template = {"Resources": {"MonthlyBudget": budget}}
    (path / "Huntaze-Dev-Monitoring.template.json").write_text(json.dumps(template))
    return path


def test_a_finding_prints_the_diff_and_exits_1(tmp_path, capsys):
    base, change = assembly(tmp_path / "base", 100), assembly(tmp_path / "change", 90)
    code = main(["--stage", "dev", "--base-dir", str(base), "--change-dir", str(change)])
    out = capsys.readouterr().out
    assert code == 1
    assert "Stack Huntaze-Dev-Monitoring\n[~] AWS::Budgets::Budget MonthlyBudget replace" in out
    assert "FAIL [fixed-name] Huntaze-Dev-Monitoring MonthlyBudget" in out


def test_no_change_exits_0(tmp_path, capsys):
    base, change = assembly(tmp_path / "base", 100), assembly(tmp_path / "change", 100)
    assert main(["--base-dir", str(base), "--change-dir", str(change)]) == 0
    assert "Upgrade check: no findings." in capsys.readouterr().out


def test_a_side_that_cannot_be_read_exits_2_with_the_reason(tmp_path, capsys):
    change = assembly(tmp_path / "change", 100)
    assert main(["--base-dir", str(tmp_path / "empty"), "--change-dir", str(change)]) == 2
    assert "no *.template.json in" in capsys.readouterr().err


def test_an_unknown_base_ref_exits_2_with_the_reason(tmp_path, capsys):
    change = assembly(tmp_path / "change", 100)
    assert main(["--base", "no-such-ref-xyz", "--change-dir", str(change)]) == 2
    assert "no-such-ref-xyz" in capsys.readouterr().err
