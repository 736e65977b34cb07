"""What the fixed cost cannot go below, and what sits above that.

The design mandates the data tier (RDS db.t4g.micro with gp3 storage and a
generated master secret, an ElastiCache node) and a NAT for the functions'
way out; every alarm has a runbook, and issue 16 asks to keep each of them.
Those lines are the floor of the fixed cost: a fixed-cost target below it can
only be met by dropping something the design or the runbooks require. The
report prints the floor so that a target is argued against the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.cost.model import CostReport, LineItem

# What each part of the floor is, by the pricer's line descriptions (tools/cost/model.py). The
# alarms' part includes their free-tier credit ("10 alarm metrics free"); no other credit matches.
_FLOOR_PARTS: dict[str, tuple[str, ...]] = {
    "data tier": ("RDS ", "ElastiCache "),
    "NAT": ("EC2 ", "EBS gp3 root volume", "public IPv4 address", "NAT gateway"),
    "database secret": ("Secrets Manager secret",),
    "alarms (each has a runbook)": ("alarm metrics",),
}


@dataclass(frozen=True)
class Floor:
    parts: dict[str, float]
    fixed: float

    @property
    def total(self) -> float:
        return round(sum(self.parts.values()), 2)

    @property
    def above(self) -> float:
        """The fixed cost the design and the runbooks do not require (idle polls, ...)."""
        return round(self.fixed - self.total, 2)


def _part(item: LineItem) -> str | None:
    return next((part for part, marks in _FLOOR_PARTS.items() if any(m in item.what for m in marks)), None)


def floor(report: CostReport) -> Floor:
    parts = dict.fromkeys(_FLOOR_PARTS, 0.0)
    for item in report.items:
        part = _part(item)
        if part is not None:
            parts[part] += item.fixed
    return Floor({k: round(v, 2) for k, v in parts.items()}, round(report.fixed, 2))


def floor_line(report: CostReport, target: float | None) -> str:
    f = floor(report)
    parts = " + ".join(f"{name} {value:.2f}" for name, value in f.parts.items())
    line = f"fixed-cost floor: {parts} = {f.total:.2f}; the rest of the fixed cost: {f.above:.2f}"
    if target is not None and target < f.total:
        line += f"\nthe target {target:.2f} is below this floor: it needs a cut the design or the runbooks forbid"
    return line
