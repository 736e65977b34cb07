"""The shipped price table: one value per key, each with its unit, source and date."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_TABLE = Path(__file__).with_name("prices_us_east_2.json")


class PriceError(LookupError):
    """A resource needs a price the table does not have."""


@dataclass(frozen=True)
class PriceTable:
    region: str
    hours_per_month: float
    entries: Mapping[str, Mapping[str, Any]]

    def __getitem__(self, key: str) -> float:
        try:
            return float(self.entries[key]["value"])
        except KeyError:
            raise PriceError(f"no price '{key}' in the {self.region} price table") from None

    def has(self, key: str) -> bool:
        return key in self.entries

    def monthly(self, hourly_key: str, count: float = 1) -> float:
        return self[hourly_key] * self.hours_per_month * count


def load(path: Path = DEFAULT_TABLE) -> PriceTable:
    raw = json.loads(path.read_text())
    for key, entry in raw["prices"].items():
        missing = {"value", "unit", "source", "checked"} - set(entry)
        if missing:
            raise ValueError(f"{path.name}: price '{key}' lacks {', '.join(sorted(missing))}")
    return PriceTable(region=raw["region"], hours_per_month=float(raw["hours_per_month"]), entries=raw["prices"])
