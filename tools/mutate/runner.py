"""Run cosmic-ray on one module against its own tests, in a copy of the tree, and score it."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

from tools.mutate.targets import Equivalent, Target, Targets, tracked_files

BIN = Path(sys.executable).parent
WARM = Path(__file__).with_name("warm.py")


class BaselineError(RuntimeError):
    """The module's tests fail before any mutation: every mutant would look killed."""


@dataclass(frozen=True)
class Mutant:
    operator: str
    line_no: int
    line: str
    outcome: str  # killed | survived | equivalent (incompetent mutants count as killed)
    diff: str = ""
    why: str = ""


@dataclass(frozen=True)
class ModuleScore:
    module: str
    mutants: tuple[Mutant, ...]
    unused_equivalents: tuple[Equivalent, ...] = ()

    def count(self, outcome: str) -> int:
        return sum(1 for m in self.mutants if m.outcome == outcome)

    @property
    def score(self) -> float:
        """Killed share of the mutants a test could kill (equivalent ones left out)."""
        judged = self.count("killed") + self.count("survived")
        return self.count("killed") / judged if judged else 1.0


PYTEST_ARGS = ("-x", "-q", "-p", "no:xdist", "-p", "no:cacheprovider")


def test_command(target: Target, socket_path: Path) -> str:
    """The module's tests through the warm server. -x: the first failure kills the mutant; no xdist."""
    client = [sys.executable, str(WARM), "run", str(socket_path), "--"]
    return shlex.join([*client, *PYTEST_ARGS, *target.tests])


@contextmanager
def warm_server(target: Target, tree: Path, socket_path: Path, timeout: float) -> Iterator[None]:
    (tree / socket_path).unlink(missing_ok=True)
    command = [sys.executable, str(WARM), "serve", str(socket_path), target.module, "--timeout", str(timeout)]
    server = subprocess.Popen(
        [*command, "--preload", *target.preload], cwd=tree, stdout=subprocess.PIPE, text=True, env=_env()
    )
    try:
        if server.stdout.readline().strip() != "ready":
            raise BaselineError(f"{target.module}: the warm test server did not start (exit {server.wait()})")
        yield
    finally:
        server.terminate()
        server.wait()


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


def copy_tree(root: Path, dest: Path) -> None:
    """The tracked files only: cosmic-ray writes each mutant to disk, never in the working tree."""
    for name in tracked_files(root):
        src, out = root / name, dest / name
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, out, follow_symlinks=False)


def cosmic_ray_config(target: Target, targets: Targets, socket_path: Path) -> str:
    """The session's config (TOML; JSON strings are TOML strings); the operators are filtered by skip_excluded."""
    return "\n".join(
        [
            "[cosmic-ray]",
            f"module-path = {json.dumps(target.module)}",
            f"timeout = {float(targets.timeout)}",
            "excluded-modules = []",
            f"test-command = {json.dumps(test_command(target, socket_path))}",
            "",
            "[cosmic-ray.distributor]",
            'name = "local"',
            "",
        ]
    )


def run(target: Target, targets: Targets, tree: Path) -> ModuleScore:
    """Mutate target.module inside tree (a copy made by copy_tree) and score what its tests caught."""
    work = tree / ".mutate"
    work.mkdir(exist_ok=True)
    stem = target.module.replace("/", "_").removesuffix(".py")
    config, session = work / f"{stem}.toml", work / f"{stem}.sqlite"
    # A Unix socket path is short (about 100 bytes): the server's cwd is the tree, so a relative one.
    socket_path = Path(".mutate") / f"{stem}.sock"
    config.write_text(cosmic_ray_config(target, targets, socket_path))
    session.unlink(missing_ok=True)
    with warm_server(target, tree, socket_path, targets.timeout):
        command = shlex.split(test_command(target, socket_path))
        baseline = subprocess.run(command, cwd=tree, capture_output=True, text=True, env=_env())
        if baseline.returncode != 0:
            raise BaselineError(
                f"{target.module}: its tests fail unmutated:\n{baseline.stdout[-3000:]}{baseline.stderr}"
            )
        subprocess.run([str(BIN / "cosmic-ray"), "init", str(config), str(session)], cwd=tree, check=True)
        print(f"mutate: {skip_excluded(session, targets.exclude_operators)} mutants to run", flush=True)
        subprocess.run([str(BIN / "cosmic-ray"), "exec", str(config), str(session)], cwd=tree, check=True)
    return score(target, (tree / target.module).read_text().splitlines(), session)


def skip_excluded(session: Path, exclude_operators: tuple[str, ...]) -> int:
    """Mark the excluded operators' mutants skipped, in one write (cr-filter-operators writes one by one).

    Returns how many mutants are left to run.
    """
    excluded = re.compile("|".join(f"(?:{e})" for e in exclude_operators))
    with use_db(str(session), WorkDB.Mode.open) as db:
        items = list(db.pending_work_items)
        skip = [i.job_id for i in items if any(excluded.match(m.operator_name) for m in i.mutations)]
        db.set_multiple_results(skip, WorkResult(output="excluded operator", worker_outcome=WorkerOutcome.SKIPPED))
    return len(items) - len(skip)


def score(target: Target, source: list[str], session: Path) -> ModuleScore:
    """Read a finished session: every mutant judged, survivors matched against the written-down equivalents."""
    mutants, used = [], set()
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.test_outcome is None:  # filtered out (skipped) operators
                continue
            spec = item.mutations[0]
            line_no = spec.start_pos[0]
            line = source[line_no - 1].strip()
            outcome = "survived" if result.test_outcome == TestOutcome.SURVIVED else "killed"
            why = ""
            if outcome == "survived":
                match = next(
                    (e for e in target.equivalent if e.operator == spec.operator_name and e.line == line), None
                )
                if match is not None:
                    outcome, why = "equivalent", match.why
                    used.add(match)
            mutants.append(Mutant(spec.operator_name, line_no, line, outcome, result.diff or "", why))
    mutants.sort(key=lambda m: (m.line_no, m.operator))
    unused = tuple(e for e in target.equivalent if e not in used)
    return ModuleScore(target.module, tuple(mutants), unused)


def report(result: ModuleScore, threshold: float) -> str:
    verdict = "ok" if result.score >= threshold else f"BELOW {threshold:.0%}"
    lines = [
        f"{result.module}: {result.score:.1%} ({result.count('killed')} killed, {result.count('survived')} survived, "
        f"{result.count('equivalent')} equivalent, {len(result.mutants)} mutants) {verdict}"
    ]
    for m in result.mutants:
        if m.outcome == "survived":
            lines.append(f"  survived  line {m.line_no}  {m.operator}: {m.line}")
            lines.extend(f"      {d}" for d in m.diff.splitlines() if d[:1] in "+-" and d[:3] not in ("+++", "---"))
    for e in result.unused_equivalents:
        lines.append(f"  stale equivalent (no such survivor any more): {e.operator}: {e.line}")
    return "\n".join(lines)
