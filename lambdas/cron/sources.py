"""A trend source: its configuration, what reading one page gives, and the one error a source fails with.

Supported kinds (docs/trends.md): ``json`` (counts given by the source, at
one scale), ``rss`` (RSS 1/2 and Atom, including Google Trends' daily feed)
and ``html`` (server-rendered pages). Pages that need JavaScript to show
their content (real TikTok and Instagram pages) are not supported: fetched
as HTML they hold no trends, and such a source fails with ``no_items``
instead of pretending to work.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from cron.trend_names import KINDS, Kind

SourceKind = Literal["json", "rss", "html"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("json", "rss", "html")
# What a count measures. Counts of different scales are never added or compared.
Scale = Literal["mentions", "views", "posts", "searches"]
SCALES: tuple[Scale, ...] = ("mentions", "views", "posts", "searches")
# Skipped rows kept per source in the snapshot (the total is always kept).
MAX_SKIPPED_REPORTED = 20


class SourceError(Exception):
    """One source failed; ``retry_after_s`` is set when the source asked us to come back later."""

    def __init__(self, reason: str, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Source:
    """What the worker needs to know about a source: stacks.config.TrendSourceConfig, every
    field as the Cron stack dumps it (the defaults live there, not here)."""

    name: str
    url: str
    kind: SourceKind
    timeout_seconds: float
    min_interval_seconds: float
    max_bytes: int
    # JSON only: where the list is, which (dotted) fields hold what, the kind of
    # a row without a type, and what the counts measure.
    items_path: str
    name_field: str
    count_field: str
    type_field: str
    artist_field: str | None
    default_type: Kind | None
    count_scale: Scale | None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Source:
        known = {f.name for f in fields(cls)}
        unknown, missing = set(raw) - known, known - set(raw)
        if unknown:
            raise ValueError(f"trend source has unknown keys: {', '.join(sorted(unknown))}")
        if missing:
            raise ValueError(f"trend source {raw.get('name')!r} lacks {', '.join(sorted(missing))}")
        source = cls(**raw)
        if source.kind not in SOURCE_KINDS:
            raise ValueError(f"trend source {source.name}: unknown kind {source.kind!r}")
        if source.default_type is not None and source.default_type not in KINDS:
            raise ValueError(f"trend source {source.name}: default_type must be one of {', '.join(KINDS)}")
        if source.kind == "json" and source.count_scale not in SCALES:
            raise ValueError(f"trend source {source.name}: a json source needs count_scale ({', '.join(SCALES)})")
        return source


@dataclass(frozen=True)
class Page:
    """A fetched page: its body (decompressed) and the headers that say how to read it."""

    url: str
    body: bytes
    content_type: str = ""


@dataclass
class TrendCounts:
    """What one page gave: counts by (kind, name, scale) and the rows it skipped, with why."""

    counts: Counter[tuple[Kind, str, Scale]] = field(default_factory=Counter)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    skipped_total: int = 0

    def skip(self, row: int | str, reason: str) -> None:
        self.skipped_total += 1
        if len(self.skipped) < MAX_SKIPPED_REPORTED:
            self.skipped.append({"row": row, "reason": reason})

    def report(self) -> dict[str, Any]:
        return {"items": len(self.counts), "skipped": self.skipped_total, "skippedRows": self.skipped}


def parse(source: Source, page: Page) -> TrendCounts:
    """The counts of one page; a page that yields nothing is a `SourceError` (``no_items``)."""
    if source.kind == "json":
        from cron.trend_json import read_json

        counts = read_json(source, page)
    elif source.kind == "rss":
        from cron.trend_feeds import read_feed

        counts = read_feed(page)
    else:
        from cron.trend_html import read_html

        counts = read_html(page)
    if not counts.counts:
        why = f" ({counts.skipped_total} rows skipped, first: {counts.skipped[0]['reason']})" if counts.skipped else ""
        raise SourceError("no_items", f"{source.name} yielded no trends{why}")
    return counts
