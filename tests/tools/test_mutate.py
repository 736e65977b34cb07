"""The mutation runner (tools/mutate): its module table, which modules a change touches, and a real scored run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tools.mutate import runner, targets
from tools.mutate.targets import Equivalent, Target, Targets

ROOT = Path(__file__).resolve().parents[2]


def test_every_module_and_test_file_in_the_table_exists():
    table = targets.load()
    assert table.modules
    for target in table.modules:
        assert (ROOT / target.module).is_file(), target.module
        for test in target.tests:
            assert (ROOT / test).is_file(), test
    assert 0 < table.threshold <= 1


def _table(*modules: Target) -> Targets:
    return Targets(threshold=0.8, timeout=60, exclude_operators=(), modules=modules)


SCENES = Target("lambdas/video/scenes.py", ("tests/lambdas/video/test_video_scenes.py",))
MODEL = Target("tools/cost/model.py", ("tests/tools/test_cost_model.py",))


def test_a_change_to_a_module_or_its_tests_selects_that_module_only():
    table = _table(SCENES, MODEL)
    assert table.touched_by(["lambdas/video/scenes.py", "README.md"]) == [SCENES]
    assert table.touched_by(["tests/tools/test_cost_model.py"]) == [MODEL]
    assert table.touched_by(["README.md", "lambdas/video/probe.py"]) == []


def test_a_change_to_the_table_selects_every_module():
    assert _table(SCENES, MODEL).touched_by(["tools/mutate/targets.toml"]) == [SCENES, MODEL]


def test_an_unknown_module_is_a_clear_error():
    # bad input tried: a module that is not in the table
    with pytest.raises(ValueError, match=r"not in targets.toml: lambdas/nope.py \(known: lambdas/video/scenes.py\)"):
        _table(SCENES).named(["lambdas/nope.py"])


def _tiny_project(tmp_path: Path, boundary_tested: bool) -> Target:
    (tmp_path / "limits.py").write_text("def over(x, limit):\n    return x > limit\n")
    boundary = "    assert not over(2, 2)\n" if boundary_tested else ""
    (tmp_path / "test_limits.py").write_text(
        "from limits import over\n\n\ndef test_over():\n    assert over(3, 2)\n    assert not over(1, 2)\n" + boundary
    )
    return Target("limits.py", ("test_limits.py",))


ONLY_GT_MUTANTS = (r"core/(?!ReplaceComparisonOperator_Gt_(GtE|LtE)$)",)


def test_a_run_scores_the_module_names_the_survivor_and_takes_written_down_equivalents(tmp_path):
    # Given a module whose tests never sit on the boundary (> vs >=)
    target = _tiny_project(tmp_path, boundary_tested=False)
    table = Targets(0.8, 60, ONLY_GT_MUTANTS, (target,))
    # When it is mutated (only > -> >= and > -> <=, one run: each run is a few pytest processes)
    result = runner.run(target, table, tmp_path)
    # Then one of two mutants survives, and the report shows it under the threshold
    assert (result.count("killed"), result.count("survived"), result.score) == (1, 1, 0.5)
    text = runner.report(result, table.threshold)
    assert "limits.py: 50.0% (1 killed, 1 survived, 0 equivalent, 2 mutants) BELOW 80%" in text
    assert "survived  line 2  core/ReplaceComparisonOperator_Gt_GtE: return x > limit" in text
    # And the mutated file is restored
    assert (tmp_path / "limits.py").read_text().endswith("return x > limit\n")
    # And once the survivor is written down as equivalent, it leaves the score; a stale entry is reported
    written = Equivalent("core/ReplaceComparisonOperator_Gt_GtE", "return x > limit", "for the test's sake")
    stale = Equivalent("core/AddNot", "return x > limit", "no longer survives")
    rescored = runner.score(
        Target(target.module, target.tests, equivalent=(written, stale)),
        (tmp_path / "limits.py").read_text().splitlines(),
        tmp_path / ".mutate" / "limits.sqlite",
    )
    assert (rescored.count("killed"), rescored.count("equivalent"), rescored.score) == (1, 1, 1.0)
    assert "stale equivalent (no such survivor any more): core/AddNot" in runner.report(rescored, table.threshold)


def test_failing_tests_before_mutation_stop_the_run(tmp_path):
    # bad input tried: a module whose own tests fail unmutated (every mutant would look killed)
    target = _tiny_project(tmp_path, boundary_tested=True)
    (tmp_path / "limits.py").write_text("def over(x, limit):\n    return x >= limit\n")
    with pytest.raises(runner.BaselineError, match="limits.py: its tests fail unmutated"):
        runner.run(target, _table(target), tmp_path)


def test_changed_since_is_what_changed_after_the_merge_base_plus_uncommitted(tmp_path):
    def git(*args):
        subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=tmp_path, check=True)

    git("init", "-q", "-b", "main")
    (tmp_path / "a.py").write_text("a = 1\n")
    (tmp_path / "b.py").write_text("b = 1\n")
    git("add", "-A")
    git("commit", "-qm", "base")
    git("checkout", "-qb", "change")
    (tmp_path / "a.py").write_text("a = 2\n")
    git("commit", "-qam", "change a")
    # main moves on after the branch point: its changes are not this branch's
    git("checkout", "-q", "main")
    (tmp_path / "c.py").write_text("c = 1\n")
    git("add", "-A")
    git("commit", "-qm", "main moves")
    git("checkout", "-q", "change")
    (tmp_path / "b.py").write_text("b = 2\n")
    assert targets.changed_since("main", tmp_path) == ["a.py", "b.py"]
