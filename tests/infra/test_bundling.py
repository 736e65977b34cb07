"""Docker-free bundling: a function with a compiled dependency, bundled for real."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.constructs import bundling as pf
from stacks.constructs.python_function import code_for

EM_AARCH64 = 183
ELF_MAGIC = b"\x7fELF"


def _elf_machine(path: Path) -> int | None:
    with path.open("rb") as f:
        header = f.read(20)
    if header[:4] != ELF_MAGIC:
        return None
    little = header[5] == 1
    return struct.unpack("<H" if little else ">H", header[18:20])[0]


@pytest.fixture(scope="module")
def migrate_asset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("asset-migrate")
    pf.bundle("migrate", out)
    return out


def test_asset_holds_the_function_the_shared_package_and_its_wheels(migrate_asset):
    assert (migrate_asset / "migrate" / "handler.py").is_file()
    assert (migrate_asset / "common" / "__init__.py").is_file()
    assert any(migrate_asset.glob("migrate/migrations/0001_*.sql"))
    assert not (migrate_asset / "common" / "migrations").exists()
    assert (migrate_asset / "psycopg").is_dir()
    assert list(migrate_asset.glob("psycopg_binary*"))


def _pyc_header(path: Path) -> tuple[bytes, int]:
    """(magic number, flags) of a .pyc (PEP 552: flags bit 0 = hash-based, bit 1 = check the source)."""
    header = path.read_bytes()[:8]
    return header[:4], int.from_bytes(header[4:8], "little")


def test_every_module_ships_the_runtime_pythons_bytecode_unchecked(migrate_asset):
    # Given the bundled asset (its wheels and our packages)
    modules = sorted(migrate_asset.rglob("*.py"))
    magic = subprocess.run(
        [pf.runtime_python(), "-c", "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # Then each module has its .pyc for the runtime's Python, and no other interpreter's
    tag = f"cpython-{pf.PYTHON_VERSION.replace('.', '')}"
    missing = [str(m) for m in modules if not (m.parent / "__pycache__" / f"{m.stem}.{tag}.pyc").is_file()]
    assert modules and missing == []
    caches = list(migrate_asset.rglob("*.pyc"))
    assert {p.name.split(".")[-2] for p in caches} == {tag}
    # And each is hash-based without a source check: the zip's 1980 dates cannot invalidate it
    assert {_pyc_header(p) for p in caches} == {(bytes.fromhex(magic), 0b01)}


def test_compiled_bytecode_is_what_runs_whatever_the_source_dates(tmp_path):
    # Given a module compiled by the bundler (with this interpreter: the mechanism is the runtime's)
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "answer.py").write_text("VALUE = 'compiled'\n")
    pf.compile_bytecode(sys.executable, package)
    # When the source then reads otherwise and is dated 1980, as files unzipped from a CDK asset are
    (package / "answer.py").write_text("VALUE = 'recompiled from source'\n")
    os.utime(package / "answer.py", (315532800, 315532800))
    # Then a fresh, read-only-style import runs the shipped bytecode, not a compile of the source
    out = subprocess.run(
        [sys.executable, "-c", "import pkg.answer; print(pkg.answer.VALUE)"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "compiled"


def test_the_runtime_python_is_of_the_runtimes_version():
    found = subprocess.run(
        [pf.runtime_python(), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == pf.PYTHON_VERSION


@pytest.fixture
def runtime_3_99(monkeypatch):
    """The runtime made Python 3.99, which no interpreter here is; the lookup's cache is fresh before and after."""
    monkeypatch.setattr(pf, "PYTHON_VERSION", "3.99")
    pf.runtime_python.cache_clear()
    yield
    pf.runtime_python.cache_clear()


def test_an_interpreter_of_another_version_is_refused(runtime_3_99, monkeypatch):
    # Given LAMBDA_PYTHON naming this test's interpreter, which is not the runtime's version
    monkeypatch.setenv(pf.LAMBDA_PYTHON_ENV, sys.executable)
    # Then bundling refuses it, naming both versions
    with pytest.raises(pf.NoRuntimePython, match=r"is Python 3\.\d+; the functions run on Python 3\.99"):
        pf.runtime_python()


def test_without_an_interpreter_of_the_runtimes_version_bundling_says_how_to_get_one(
    runtime_3_99, tmp_path, monkeypatch
):
    # Given a machine where no interpreter reports the runtime's version (none on PATH, an empty pyenv)
    monkeypatch.delenv(pf.LAMBDA_PYTHON_ENV, raising=False)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    # Then the bundler stops before pip, saying what it needs and how to provide it
    with pytest.raises(pf.NoRuntimePython, match=r"Python 3\.99, the Lambda runtime's.*LAMBDA_PYTHON"):
        pf.runtime_python()


def test_every_shared_object_is_an_aarch64_elf(migrate_asset):
    shared_objects = [p for p in migrate_asset.rglob("*") if p.is_file() and (p.suffix == ".so" or ".so." in p.name)]
    assert shared_objects, "psycopg-binary should bring compiled modules"
    machines = {str(p.relative_to(migrate_asset)): _elf_machine(p) for p in shared_objects}
    assert {name: m for name, m in machines.items() if m != EM_AARCH64} == {}


def test_compiled_modules_target_the_lambda_python(migrate_asset):
    tags = {p.name.split(".")[-2] for p in migrate_asset.rglob("*.so") if "cpython" in p.name}
    assert tags and all(tag.startswith("cpython-313") for tag in tags), tags


def test_asset_hash_changes_with_the_code_and_not_otherwise(tmp_path, monkeypatch):
    # Given a copy of the lambdas tree
    import shutil

    lambdas = tmp_path / "lambdas"
    shutil.copytree(pf.LAMBDAS_DIR / "common", lambdas / "common", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(pf.LAMBDAS_DIR / "migrate", lambdas / "migrate", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(pf, "LAMBDAS_DIR", lambdas)
    before = pf.asset_hash("migrate")
    # When only a bytecode cache appears, Then the hash holds
    (lambdas / "migrate" / "__pycache__").mkdir(exist_ok=True)
    (lambdas / "migrate" / "__pycache__" / "x.pyc").write_bytes(b"junk")
    assert pf.asset_hash("migrate") == before
    # When a migration is added, Then the hash moves (so the deploy trigger re-runs)
    (lambdas / "migrate" / "migrations" / "9999_test.sql").write_text("select 1;")
    assert pf.asset_hash("migrate") != before


def test_unknown_package_is_refused():
    with pytest.raises(ValueError, match="no Lambda package lambdas/nope"):
        code_for("nope")


LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
PACKAGES = sorted(
    p.name
    for p in pf.LAMBDAS_DIR.iterdir()
    if p.is_dir() and p.name != pf.COMMON_PACKAGE and (p / "__init__.py").exists()
)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_function_asset_fits_lambda_and_is_aarch64(tmp_path, package):
    # Given the real bundle of each function (PyAV makes the video one large)
    pf.bundle(package, tmp_path)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    # Then it stays under Lambda's 250 MB unzipped limit, with arm64 binaries only
    assert sum(p.stat().st_size for p in files) < LAMBDA_UNZIPPED_LIMIT
    foreign = [str(p.relative_to(tmp_path)) for p in files if _elf_machine(p) not in (None, EM_AARCH64)]
    assert foreign == []
