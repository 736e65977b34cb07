"""Which items of a trends snapshot rose and fell: read by the trends worker (its summary) and GET /v1/trends.

The growth entries are `cron.trend_growth`'s; this only ranks them, so the
worker's summary and the API name the same movers in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# Only moves at least this confident are reported as rising or falling.
MIN_CONFIDENCE = 0.5


def item_key(kind: str, name: str, scale: str) -> str:
    return f"{kind}:{name}@{scale}"


def movers(growth: Mapping[str, Mapping[str, Any]], top_n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rising, falling): confident moves, most confident first, then the largest relative change."""
    confident = [g for g in growth.values() if g["change"] and g["confidence"] >= MIN_CONFIDENCE]

    def rank(g: Mapping[str, Any]) -> tuple[float, float, str]:
        relative = math.inf if g["ratio"] is None else abs(g["ratio"])
        return (-g["confidence"], -relative, item_key(g["kind"], g["name"], g["scale"]))

    rising = sorted((g for g in confident if g["change"] > 0), key=rank)[:top_n]
    falling = sorted((g for g in confident if g["change"] < 0), key=rank)[:top_n]
    return rising, falling
