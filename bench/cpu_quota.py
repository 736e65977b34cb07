"""A child process under a CPU quota (a CFS bandwidth limit), as Lambda gives a function CPU by its memory.

Works on cgroup v1 (a ``cpu`` hierarchy, as in this workplace's containers) and
v2 (the unified hierarchy of systemd hosts, GitHub's runners among them). A
cgroup is made by root: as root directly, otherwise through passwordless sudo.
The child is started by a shell that first moves itself into the group, so no
process outside it is ever limited; under sudo that shell then becomes this
user again (``setpriv``) before it runs the command.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

V1 = Path("/sys/fs/cgroup/cpu")
V2 = Path("/sys/fs/cgroup")
V2_PERIOD_US = 100_000
_ENTER = 'echo $$ > "$1" && shift && exec "$@"'
_ENTER_AS = 'echo $$ > "$1" && u=$2 g=$3 && shift 3 && exec setpriv --reuid="$u" --regid="$g" --init-groups "$@"'


class QuotaUnavailable(RuntimeError):
    """This machine cannot put a process under a CPU quota; the message says why."""


def _hierarchy() -> tuple[Path, bool]:
    """(where groups are made, whether it is cgroup v2)."""
    if (V1 / "cpu.cfs_quota_us").exists():
        return V1, False
    controllers = V2 / "cgroup.controllers"
    if controllers.exists() and "cpu" in controllers.read_text().split():
        return V2, True
    raise QuotaUnavailable("no cgroup cpu controller: neither v1 at /sys/fs/cgroup/cpu nor v2 offering `cpu`")


def _as_root() -> bool:
    return os.geteuid() == 0


def _root_run(*command: str, text: str | None = None) -> None:
    prefix = [] if _as_root() else ["sudo", "-n"]
    try:
        subprocess.run([*prefix, *command], input=text, check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        raise QuotaUnavailable(
            f"`{' '.join(command)}` failed ({exc.stderr.strip()}): a CPU quota needs root or passwordless sudo"
        ) from None


def _write(path: Path, value: str) -> None:
    _root_run("tee", str(path), text=value)


@contextlib.contextmanager
def cpu_quota(cpus: float) -> Iterator[list[str]]:
    """A fresh cgroup limited to ``cpus`` CPUs; yields the command prefix that runs a command inside it."""
    root, v2 = _hierarchy()
    group = root / f"huntaze-bench-{uuid.uuid4().hex[:8]}"
    _root_run("mkdir", str(group))
    try:
        if v2:
            if "cpu" not in (root / "cgroup.subtree_control").read_text().split():
                _write(root / "cgroup.subtree_control", "+cpu")
            _write(group / "cpu.max", f"{round(cpus * V2_PERIOD_US)} {V2_PERIOD_US}")
        else:
            period = int((group / "cpu.cfs_period_us").read_text())
            _write(group / "cpu.cfs_quota_us", str(round(cpus * period)))
        procs = str(group / "cgroup.procs")
        if _as_root():
            yield ["sh", "-c", _ENTER, "sh", procs]
        else:
            yield ["sudo", "-n", "sh", "-c", _ENTER_AS, "sh", procs, str(os.getuid()), str(os.getgid())]
    finally:
        _root_run("rmdir", str(group))  # empty again: its one process has exited
