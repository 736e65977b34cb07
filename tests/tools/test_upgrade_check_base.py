"""Where the upgrade check's base comes from: the default git ref, and templates read back from snapshots."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from syrupy.extensions.amber.serializer import AmberDataSerializer

from tests.infra import test_snapshots
from tools.upgrade_check.snapshots import parse
from tools.upgrade_check.synth import SynthError, default_base, git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with two commits on main."""

    def run(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    run("init", "-q", "-b", "main")
    run("config", "user.email", "t@example.com")
    run("config", "user.name", "t")
    for n in (1, 2):
        (tmp_path / "f.txt").write_text(f"{n}\n")
        run("add", "f.txt")
        run("commit", "-qm", f"c{n}")
    return tmp_path


def sha(repo: Path, ref: str) -> str:
    return git("rev-parse", ref, cwd=repo).strip()


def test_a_branch_is_checked_against_its_merge_base_with_main(repo):
    # Given a branch off main with a commit of its own, and main moved on
    subprocess.run(["git", "checkout", "-qb", "feature", "HEAD~1"], cwd=repo, check=True)
    (repo / "g.txt").write_text("x\n")
    subprocess.run(["git", "add", "g.txt"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "feature"], cwd=repo, check=True)
    # Then the base is where the branch left main, not main's tip
    assert default_base(repo) == sha(repo, "main~1")


def test_main_with_a_clean_tree_is_checked_against_its_previous_commit(repo):
    assert default_base(repo) == sha(repo, "HEAD~1")


def test_main_with_uncommitted_changes_is_checked_against_head(repo):
    (repo / "f.txt").write_text("changed\n")
    assert default_base(repo) == sha(repo, "HEAD")


def test_a_clone_without_history_falls_back_to_head(tmp_path, repo):
    # Given a shallow clone: one commit, no main branch of its own history
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True)
    subprocess.run(["git", "checkout", "-q", "--detach"], cwd=clone, check=True)
    assert default_base(clone) == sha(clone, "HEAD")


def test_git_errors_name_the_command(repo):
    with pytest.raises(SynthError, match="git rev-parse no-such-ref"):
        git("rev-parse", "no-such-ref", cwd=repo)


def test_amber_text_reads_back_into_what_syrupy_serialized():
    # Given a template-like value with a multi-line string holding backslashes and quotes, as syrupy writes it
    value = {
        "Code": {"ZipFile": "import re\nPATTERN = re.compile(r\"\\d+ 'x'\")\n\n  indented\n"},
        "Memory": 128,
        "Ratio": -0.5,
        "Tags": ["a'b", True, None, [], {}],
        "UserData": {"Fn::Base64": "#!/bin/bash\necho done"},
    }
    text = AmberDataSerializer.serialize(value)
    # Then it reads back as the same value
    assert parse(text) == value


def test_the_snapshot_test_still_writes_what_the_reader_expects():
    # The reader depends on this test's name and file; a rename must fail here, not silently.
    path = Path(test_snapshots.__file__).parent / "__snapshots__" / "test_snapshots.ambr"
    assert f"# name: {test_snapshots.test_stack_matches_snapshot.__name__}[Network]" in path.read_text()
