"""A cold start's imports from the function's asset, with the bytecode the bundler ships and without it.

Lambda's code directory is read-only: a module shipped without its ``.pyc``
is compiled again at every cold start, and nothing is cached for the next one.
Until the bundler compiled the assets (``stacks/constructs/bundling.py``,
``compile_bytecode``) every function paid that. Here each function's asset is
laid out twice, the same files with and without their bytecode, and a fresh
process of the runtime's Python (the one the bundler compiles with) imports
from it what a cold invocation loads: the handler module, then the libraries
of the function's requirements, which its first request loads. Powertools and
boto3 sit on the path compiled in both layouts, as the managed layer and the
runtime ship them. Wheels are this machine's (the assets' are aarch64), so the
imports really run; the two layouts alternate, so load from elsewhere lands on
both. The figure is the median import time; the peer is the same asset as it
was deployed before, without bytecode.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stacks.constructs import bundling  # noqa: E402 (the bundler only: no CDK, no Node)

CACHE = ROOT / ".cache" / "bench-cold-imports"
# What the managed Powertools layer and the Python runtime provide, at the versions the tests pin.
RUNTIME_PACKAGES = ("aws-lambda-powertools", "boto3")
# A requirement's import name where it differs from its distribution's.
IMPORT_NAMES = {"psycopg[binary]": "psycopg", "charset-normalizer": "charset_normalizer"}
TARGET = 0.6
TIMER = """
import importlib, json, sys, time
start = time.perf_counter()
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(time.perf_counter() - start))
"""


def _pinned(name: str) -> str:
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        if line.split("[")[0].split("==")[0].strip() == name:
            return line.strip()
    raise SystemExit(f"{name} is not pinned in requirements-dev.txt")


def _requirement_lines(package: str) -> list[str]:
    lines = []
    for req in bundling.requirement_files(package):
        lines += [ln.strip() for ln in req.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    return lines


def _install(python: str, requirements: list[str], name: str, *, compiled: bool) -> Path:
    """pip-installs ``requirements`` for ``python`` on this machine once (cached by their text)."""
    key = hashlib.sha256("|".join([python, bundling.BYTECODE, str(compiled), *requirements]).encode()).hexdigest()
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--root-user-action=ignore"]
    return bundling.cached_install(
        CACHE / f"{name}-{key[:16]}",
        (lambda staging: [*pip, "--no-compile", "--target", str(staging), *requirements]) if requirements else None,
        python if compiled else None,
    )


def layouts(python: str, package: str, tmp: Path) -> dict[str, Path]:
    """The function's asset (its requirements' wheels for this machine, ``common`` and its package), with and
    without the bytecode the bundler adds."""
    reqs = _requirement_lines(package)
    out = {}
    for variant, compiled in (("without bytecode", False), ("with bytecode", True)):
        root = tmp / f"{package}-{'pyc' if compiled else 'src'}"
        shutil.copytree(_install(python, reqs, package, compiled=compiled), root)
        bundling.add_sources(package, root, python if compiled else None)
        out[variant] = root
    return out


def modules(package: str) -> list[str]:
    libs = [IMPORT_NAMES.get(r.split("==")[0], r.split("==")[0].split("[")[0]) for r in _requirement_lines(package)]
    return [f"{package}.handler", *libs]


def cold_import(python: str, asset: Path, runtime: Path, names: list[str]) -> float:
    env = {"PYTHONPATH": f"{asset}:{runtime}", "PYTHONDONTWRITEBYTECODE": "1", "AWS_DEFAULT_REGION": "us-east-2"}
    out = subprocess.run([python, "-c", TIMER, *names], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"importing {names} from {asset} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh processes per layout (default 9)")
    parser.add_argument(
        "--functions",
        default="router,cron,video",
        help="comma-separated function packages; the first gives the ratio line",
    )
    args = parser.parse_args()
    python = bundling.runtime_python()
    runtime = _install(python, [_pinned(p) for p in RUNTIME_PACKAGES], "runtime", compiled=True)
    print(f"runtime Python: {python} ({bundling.PYTHON_VERSION}); median of {args.runs} fresh processes each")
    ratios = {}
    with tempfile.TemporaryDirectory() as tmp:
        for package in args.functions.split(","):
            variants = layouts(python, package, Path(tmp))
            names = modules(package)
            times: dict[str, list[float]] = {v: [] for v in variants}
            for _ in range(args.runs):
                for variant, asset in variants.items():
                    times[variant].append(cold_import(python, asset, runtime, names))
            median = {v: statistics.median(t) * 1000 for v, t in times.items()}
            ratios[package] = median["with bytecode"] / median["without bytecode"]
            print(
                f"  {package:8s} imports {', '.join(names)}: {median['with bytecode']:.0f} ms with bytecode,"
                f" {median['without bytecode']:.0f} ms without ({ratios[package]:.2f}x)"
            )
    first = args.functions.split(",")[0]
    print(
        f"cold imports: {ratios[first]:.2f}x the same asset without bytecode, {first} handler and libraries"
        f" (target <= {TARGET:g})"
    )


if __name__ == "__main__":
    main()
