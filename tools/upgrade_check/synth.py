"""Templates of one stage, synthesized from a git commit or from the working tree.

A commit is exported with ``git archive`` into a temp dir (no worktree
bookkeeping left in the repository if the run is killed) and its own
``app.py`` is run by this venv's Python, with its own ``cdk.json`` context, as
the CDK CLI would pass it, and bundling skipped: asset hashes are masked in
the comparison anyway. About 10 s per stage and side.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from stacks.synth import cdk_context

ROOT = Path(__file__).resolve().parents[2]


class SynthError(RuntimeError):
    pass


def git(*args: str, cwd: Path = ROOT) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    if result.returncode:
        raise SynthError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def use_project_node() -> None:
    """jsii on the Node.js that package.json pins, as the Makefile and the tests run it."""
    node = ROOT / "node_modules" / ".bin" / "node"
    if node.exists():
        os.environ.setdefault("JSII_NODE", str(node))


def default_base(repo: Path = ROOT) -> str:
    """The commit the repository last accepted, as a sha.

    The merge-base with origin/main (else main) on a branch; on main itself the
    previous commit, unless the working tree holds uncommitted changes (then
    HEAD). A shallow clone without that history falls back to HEAD.
    """
    head = git("rev-parse", "HEAD", cwd=repo).strip()
    for main in ("origin/main", "main"):
        try:
            base = git("merge-base", "HEAD", main, cwd=repo).strip()
        except SynthError:
            continue
        if base != head:
            return base
        break
    if git("status", "--porcelain", "--untracked-files=no", cwd=repo).strip():
        return head
    try:
        return git("rev-parse", "--verify", "HEAD~1^{commit}", cwd=repo).strip()
    except SynthError:
        return head


def synth_commit(ref: str, stage: str) -> dict[str, dict]:
    """The stage's templates as the commit ``ref`` synthesizes them."""
    sha = git("rev-parse", "--verify", f"{ref}^{{commit}}").strip()
    archive = subprocess.run(["git", "archive", sha], cwd=ROOT, capture_output=True, timeout=120)
    if archive.returncode:
        raise SynthError(f"git archive {sha}: {archive.stderr.decode(errors='replace').strip()}")
    with tempfile.TemporaryDirectory(prefix="upgrade-base-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        return synth_tree(Path(tmp), stage)


def synth_tree(tree: Path, stage: str) -> dict[str, dict]:
    """The stage's templates as the source tree at ``tree`` synthesizes them."""
    context = cdk_context(tree)
    context.update({"stage": stage, "aws:cdk:bundling-stacks": []})
    with tempfile.TemporaryDirectory(prefix="upgrade-out-") as out:
        use_project_node()
        env = {**os.environ, "CDK_OUTDIR": out, "CDK_CONTEXT_JSON": json.dumps(context)}
        result = subprocess.run(
            [sys.executable, "app.py"], cwd=tree, env=env, capture_output=True, text=True, timeout=900
        )
        if result.returncode:
            raise SynthError(f"synth of {tree} (stage {stage}) failed:\n{result.stderr[-4000:]}")
        return read_assembly(Path(out))


def read_assembly(cdk_out: Path) -> dict[str, dict]:
    """Every template of a cloud assembly, keyed by stack name."""
    templates = {
        p.name.removesuffix(".template.json"): json.loads(p.read_text()) for p in cdk_out.glob("*.template.json")
    }
    if not templates:
        raise SynthError(f"no *.template.json in {cdk_out}")
    return templates
