"""Running the TypeScript client's own checks (clients/typescript) from pytest, on the pinned Node.

The Node is the one package.json pins at the repository root (the Makefile's JSII_NODE),
22.x, whose type stripping runs the client's .ts files and tests without a build step.
`make setup` installs the client's packages (npm ci from its own lockfile).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLIENT_DIR = REPO / "clients" / "typescript"
NODE = REPO / "node_modules" / ".bin" / "node"
TSC = CLIENT_DIR / "node_modules" / "typescript" / "bin" / "tsc"


def run_node(*args: str, env: Mapping[str, str] | None = None, timeout_s: float = 600) -> subprocess.CompletedProcess:
    """`node <args>` in clients/typescript; fails the test with a clear reason if setup has not run."""
    assert NODE.exists(), f"{NODE} missing: run `make setup`"
    assert (CLIENT_DIR / "node_modules" / ".installed").exists(), "clients/typescript not installed: run `make setup`"
    return subprocess.run(
        [str(NODE), *args],
        cwd=CLIENT_DIR,
        env={**os.environ, "NODE_NO_WARNINGS": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def output(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-8000:]}\n--- stderr\n{result.stderr[-4000:]}"
