"""The module -> tests table (targets.toml) and which modules a change touches."""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

TARGETS_FILE = Path(__file__).with_name("targets.toml")


@dataclass(frozen=True)
class Equivalent:
    """A mutant no test can kill, because the mutated code behaves the same."""

    operator: str
    line: str  # the source line, stripped, so the entry survives code moving up or down
    why: str


@dataclass(frozen=True)
class Target:
    module: str
    tests: tuple[str, ...]
    # Imported once by the warm server (tools/mutate/warm.py): the tests' heavy dependencies, never the module.
    preload: tuple[str, ...] = ()
    equivalent: tuple[Equivalent, ...] = ()


@dataclass(frozen=True)
class Targets:
    threshold: float
    timeout: float
    exclude_operators: tuple[str, ...]
    modules: tuple[Target, ...]

    def named(self, names: Iterable[str]) -> list[Target]:
        by_module = {t.module: t for t in self.modules}
        wanted = list(names)
        unknown = [n for n in wanted if n not in by_module]
        if unknown:
            raise ValueError(f"not in {TARGETS_FILE.name}: {', '.join(unknown)} (known: {', '.join(by_module)})")
        return [by_module[n] for n in wanted]

    def touched_by(self, changed: Iterable[str]) -> list[Target]:
        """The modules whose source or tests are among the changed paths (the table itself re-runs them all)."""
        paths = set(changed)
        if str(TARGETS_FILE.relative_to(TARGETS_FILE.parents[2])) in paths:
            return list(self.modules)
        return [t for t in self.modules if t.module in paths or paths.intersection(t.tests)]


def load(path: Path = TARGETS_FILE) -> Targets:
    raw = tomllib.loads(path.read_text())
    modules = tuple(
        Target(
            module=name,
            tests=tuple(entry["tests"]),
            preload=tuple(entry.get("preload", [])),
            equivalent=tuple(Equivalent(**e) for e in entry.get("equivalent", [])),
        )
        for name, entry in raw["modules"].items()
    )
    for target in modules:
        if not target.tests:
            raise ValueError(f"{path.name}: {target.module} lists no tests")
    return Targets(
        threshold=float(raw["threshold"]),
        timeout=float(raw["timeout"]),
        exclude_operators=tuple(raw["exclude-operators"]),
        modules=modules,
    )


def changed_since(ref: str, root: Path) -> list[str]:
    """Paths changed between the merge-base of ref and HEAD, plus uncommitted changes."""
    base = _git(root, "merge-base", ref, "HEAD").strip()
    committed = _git(root, "diff", "--name-only", base, "HEAD").split()
    uncommitted = _git(root, "diff", "--name-only", "HEAD").split()
    return sorted(set(committed) | set(uncommitted))


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def tracked_files(root: Path) -> Sequence[str]:
    return _git(root, "ls-files", "-z").split("\0")[:-1]
