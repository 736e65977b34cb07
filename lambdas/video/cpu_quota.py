"""How many CPUs this process may really use: its affinity, capped by a cgroup CPU quota."""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path

_CPU_MAX_V2 = "/sys/fs/cgroup/cpu.max"
_CPU_QUOTA_V1 = "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"


def usable_cpus() -> int:
    """CPUs this process may run on, capped by a cgroup CPU quota (containers limit CPU that way, not by affinity)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    for path, parse in ((_CPU_MAX_V2, _quota_v2), (_CPU_QUOTA_V1, _quota_v1)):
        with contextlib.suppress(OSError, ValueError, ZeroDivisionError):
            quota = parse(Path(path))
            if quota is not None:
                return max(1, min(cpus, math.ceil(quota)))
    return max(1, cpus)


def _quota_v2(path: Path) -> float | None:
    quota, period = path.read_text().split()[:2]
    return None if quota == "max" else int(quota) / int(period)


def _quota_v1(path: Path) -> float | None:
    quota = int(path.read_text())
    return None if quota < 0 else quota / int((path.parent / "cpu.cfs_period_us").read_text())
