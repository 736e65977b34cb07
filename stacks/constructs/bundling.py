"""Docker-free bundling of a Lambda asset: pure Python, no CDK import.

pip installs the function's requirements (plus the shared package's) as
aarch64 manylinux wheels for the Lambda Python, cached by the requirements'
hash; then the function's package and ``common`` are copied beside them.
Benchmarks and tests call this directly; the CDK construct calls it from
local bundling.

Every module ships with its bytecode, compiled by an interpreter of the
runtime's Python version: Lambda's code directory is read-only, so a module
without a ``.pyc`` is compiled again at every cold start (the router's
import took 2.3x as long that way: ``bench/bench_cold_imports.py``). The
bytecode is ``unchecked-hash`` (PEP 552): the CDK zips assets with every file
dated 1980, so a timestamp-checked ``.pyc`` would never match its source and
would be ignored.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
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
# Names the interpreter that compiles the assets' bytecode when it is not found by itself.
LAMBDA_PYTHON_ENV = "LAMBDA_PYTHON"
# Part of every asset's hash: bytecode made another way is another asset.
BYTECODE = f"cpython-{PYTHON_VERSION.replace('.', '')} unchecked-hash"


class NoRuntimePython(RuntimeError):
    """No interpreter of the Lambda runtime's Python version to compile the assets' bytecode with."""


def _python_version(python: str) -> str | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _candidates() -> Iterator[str]:
    yield sys.executable
    yield from filter(None, [shutil.which(f"python{PYTHON_VERSION}")])
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    yield from (str(p) for p in sorted(pyenv.glob(f"{PYTHON_VERSION}*/bin/python{PYTHON_VERSION}"), reverse=True))


@functools.cache
def runtime_python() -> str:
    """An interpreter of the Lambda runtime's Python version: ``$LAMBDA_PYTHON`` if set, else this
    one, ``python3.13`` on PATH or a pyenv install, whichever answers with that version first."""
    named = os.environ.get(LAMBDA_PYTHON_ENV)
    if named:
        found = _python_version(named)
        if found != PYTHON_VERSION:
            raise NoRuntimePython(
                f"{LAMBDA_PYTHON_ENV}={named} is Python {found or '(not runnable)'}; the functions run on"
                f" Python {PYTHON_VERSION}, whose interpreter must compile their bytecode"
            )
        return named
    for python in _candidates():
        if _python_version(python) == PYTHON_VERSION:
            return python
    raise NoRuntimePython(
        f"bundling compiles each function's bytecode with Python {PYTHON_VERSION}, the Lambda runtime's,"
        f" and none was found (python{PYTHON_VERSION} on PATH, pyenv, or ${LAMBDA_PYTHON_ENV}): install it"
        f" (e.g. `uv python install {PYTHON_VERSION}`, `pyenv install {PYTHON_VERSION}`,"
        f" actions/setup-python) or set {LAMBDA_PYTHON_ENV} to its path"
    )


def compile_bytecode(python: str, *directories: Path) -> None:
    """Write every module's ``.pyc`` beside it (``__pycache__``), valid whatever the files' dates."""
    cmd = [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", *map(str, directories)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"compiling the bytecode of {directories} failed:\n{result.stdout}{result.stderr}")


def cached_install(target: Path, pip_command: Callable[[Path], list[str]] | None, python: str | None) -> Path:
    """``target``, made once: ``pip_command(staging)`` run (None: nothing to install), console scripts
    dropped, the bytecode compiled by ``python`` (None: none), then moved into place whole."""
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix="tmp-"))
    try:
        if pip_command is not None:
            subprocess.run(pip_command(staging), check=True)
            # Entry-point scripts are useless in Lambda and point at this machine's Python.
            shutil.rmtree(staging / "bin", ignore_errors=True)
        if python is not None:
            compile_bytecode(python, staging)
    except (subprocess.CalledProcessError, RuntimeError):
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        staging.rename(target)
    except OSError:  # another process filled the cache first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def add_sources(package: str, out: Path, python: str | None) -> None:
    """Copy ``common`` and the function's package into ``out``, compiled by ``python`` (None: as source)."""
    for source in (COMMON_PACKAGE, package):
        shutil.copytree(LAMBDAS_DIR / source, out / source, ignore=_IGNORE, dirs_exist_ok=True)
    if python is not None:
        compile_bytecode(python, out / COMMON_PACKAGE, out / package)


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
    digest = hashlib.sha256(f"{PYTHON_VERSION}|{','.join(PLATFORMS)}|{BYTECODE}".encode())
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
    """pip-install the function's requirements for Lambda arm64, compiled, cached by their hash."""
    reqs = requirement_files(package)
    target = DEPS_CACHE / _requirements_key(package)
    if target.is_dir():
        return target
    python = runtime_python()  # before pip: a machine without it fails at once, with the reason
    return cached_install(target, (lambda staging: pip_install_command(staging, reqs)) if reqs else None, python)


def bundle(package: str, output_dir: str | Path) -> None:
    """Write the complete asset of ``package`` into ``output_dir``."""
    out = Path(output_dir)
    shutil.copytree(install_requirements(package), out, dirs_exist_ok=True)
    add_sources(package, out, runtime_python())


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
        # This interpreter's bytecode would be of no use: the runtime's compiles it (compile_bytecode).
        "--no-compile",
    ]
    for platform in PLATFORMS:
        cmd += ["--platform", platform]
    for req in requirements:
        cmd += ["-r", str(req)]
    return cmd
