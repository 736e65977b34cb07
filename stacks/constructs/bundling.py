"""Docker-free bundling of a Lambda asset: pure Python, no CDK import.

pip installs the function's requirements (plus the shared package's) as
aarch64 manylinux wheels for the Lambda Python, cached by the requirements'
hash; then the function's package and ``common`` are copied beside them.
Benchmarks and tests call this directly; the CDK construct calls it from
local bundling.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAMBDAS_DIR = ROOT / "lambdas"
COMMON_PACKAGE = "common"
# The Lambda runtime the wheels are chosen for; python_function.RUNTIME must match.
PYTHON_VERSION = "3.13"
# pip matches platform tags exactly: psycopg-binary 3.3 ships only
# manylinux_2_28 for aarch64, older wheels only manylinux2014.
PLATFORMS = ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64")
DEPS_CACHE = Path(os.environ.get("HUNTAZE_DEPS_CACHE", ROOT / ".cache" / "lambda-deps"))
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "requirements.txt")


def requirement_files(package: str) -> list[Path]:
    """The shared package's requirements plus the function's own."""
    return [
        p
        for p in (LAMBDAS_DIR / COMMON_PACKAGE / "requirements.txt", LAMBDAS_DIR / package / "requirements.txt")
        if p.is_file()
    ]


def _source_files(package: str) -> list[Path]:
    files: list[Path] = []
    for top in (LAMBDAS_DIR / COMMON_PACKAGE, LAMBDAS_DIR / package):
        files += [p for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return sorted(files)


def _requirements_key(package: str) -> str:
    digest = hashlib.sha256(f"{PYTHON_VERSION}|{','.join(PLATFORMS)}".encode())
    for req in requirement_files(package):
        digest.update(req.read_bytes())
    return digest.hexdigest()[:24]


def asset_hash(package: str) -> str:
    """Changes exactly when the deployed code or its dependencies change."""
    digest = hashlib.sha256(_requirements_key(package).encode())
    for path in _source_files(package):
        digest.update(str(path.relative_to(LAMBDAS_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def install_requirements(package: str) -> Path:
    """pip-install the function's requirements for Lambda arm64, cached by their hash."""
    reqs = requirement_files(package)
    target = DEPS_CACHE / _requirements_key(package)
    if target.is_dir():
        return target
    DEPS_CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=DEPS_CACHE, prefix="tmp-"))
    if reqs:
        cmd = pip_install_command(staging, reqs)
        try:
            subprocess.run(cmd, check=True)
        except subprocess.CalledProcessError:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        # Entry-point scripts are useless in Lambda and point at this machine's Python.
        shutil.rmtree(staging / "bin", ignore_errors=True)
        for cache in staging.rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)
    try:
        staging.rename(target)
    except OSError:  # another synth filled the cache first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def bundle(package: str, output_dir: str | Path) -> None:
    """Write the complete asset of ``package`` into ``output_dir``."""
    out = Path(output_dir)
    shutil.copytree(install_requirements(package), out, dirs_exist_ok=True)
    shutil.copytree(LAMBDAS_DIR / COMMON_PACKAGE, out / COMMON_PACKAGE, ignore=_IGNORE, dirs_exist_ok=True)
    shutil.copytree(LAMBDAS_DIR / package, out / package, ignore=_IGNORE, dirs_exist_ok=True)


def pip_install_command(target: Path, requirements: Iterable[Path]) -> list[str]:
    """pip installing binary wheels for Lambda's Python on arm64 into ``target``
    (every platform tag: psycopg-binary ships only manylinux_2_28 for aarch64)."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--target",
        str(target),
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--only-binary=:all:",
        "--upgrade",
    ]
    for platform in PLATFORMS:
        cmd += ["--platform", platform]
    for req in requirements:
        cmd += ["-r", str(req)]
    return cmd
