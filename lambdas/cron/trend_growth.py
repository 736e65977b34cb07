"""Honest growth: per source, per scale, against the last window where that source answered.

A source's counts are compared only with its own counts from its own last
answered window; the changes of the sources that have such a baseline are
then added up per item and scale. So a source that was down is neither a
fall while it is away nor a rise when it returns, and views are never added
to blog mentions. A source seen for the first time is a baseline: it adds no
growth. An item a source listed before and no longer lists counts as 0 now
(a fall) for that source.

Confidence (0..1) reflects the sample behind a change:

- ``mentions`` are counts of documents, roughly Poisson: the confidence is
  P(|Z| < z) for z = |now - before| / sqrt(now + before). 1 -> 2 mentions is
  0.44, 10 -> 30 is 0.998.
- ``views``, ``posts`` and ``searches`` are totals a platform reports; the
  sample is the number of sources that saw the item move at least
  `MIN_TOTAL_MOVE` in that direction: 1 - 0.5 ** n (one source 0.5, two 0.75).

Only moves with at least `MIN_CONFIDENCE` are reported as rising or falling.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from common.trend_movers import MIN_CONFIDENCE, item_key, movers

__all__ = ["MIN_CONFIDENCE", "compute_growth", "confidence", "item_key", "movers", "source_counts"]

Key = tuple[str, str, str]  # kind, name, scale

MIN_TOTAL_MOVE = 0.05


@dataclass
class _Move:
    previous: int = 0
    current: int = 0
    sources: list[str] = field(default_factory=list)
    up: int = 0
    down: int = 0


def compute_growth(
    current: Mapping[str, Mapping[Key, int]], baselines: Mapping[str, Mapping[Key, int]]
) -> dict[str, dict[str, Any]]:
    """Per item and scale, over the sources with a baseline: before, now, change, ratio, confidence."""
    moves: dict[Key, _Move] = {}
    for source in sorted(set(current) & set(baselines)):
        now, before = current[source], baselines[source]
        for key in set(now) | set(before):
            move = moves.setdefault(key, _Move())
            p, c = before.get(key, 0), now.get(key, 0)
            move.previous += p
            move.current += c
            move.sources.append(source)
            if c > p * (1 + MIN_TOTAL_MOVE):
                move.up += 1
            elif c < p * (1 - MIN_TOTAL_MOVE):
                move.down += 1
    return {item_key(*key): _growth(key, move) for key, move in moves.items()}


def _growth(key: Key, move: _Move) -> dict[str, Any]:
    kind, name, scale = key
    change = move.current - move.previous
    return {
        "kind": kind,
        "name": name,
        "scale": scale,
        "previous": move.previous,
        "current": move.current,
        "change": change,
        "ratio": round(change / move.previous, 4) if move.previous else None,
        "confidence": round(confidence(scale, move.previous, move.current, move.up if change > 0 else move.down), 4),
        "sources": move.sources,
    }


def confidence(scale: str, previous: int, current: int, sources_moved: int) -> float:
    if previous == current:
        return 0.0
    if scale == "mentions":
        z = abs(current - previous) / math.sqrt(current + previous)
        return math.erf(z / math.sqrt(2))
    return 1 - 0.5**sources_moved


def source_counts(items: Sequence[Mapping[str, Any]], source: str) -> dict[Key, int]:
    """One source's counts in a snapshot's items."""
    return {
        (i["kind"], i["name"], i["scale"]): int(i["sources"][source]) for i in items if source in i.get("sources", {})
    }
