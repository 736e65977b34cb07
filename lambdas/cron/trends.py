"""One trends window: fetch the sources (or the ones the job names), merge counts, measure growth, summarise, save.

A failing source is recorded in the snapshot's ``source_errors`` and the
others are kept; only when every source fails is the window retried. A
source that asked to be left alone (``Retry-After``) is not fetched before
then. Growth is per source and scale (`cron.trend_growth`). The snapshot is
saved before the summary is asked for, so a retry after an AI failure does
not fetch the sources again.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from common.errors import TransientError
from common.payloads import unknown_names
from cron import trends_store
from cron.sources import Source, SourceError, parse
from cron.trend_growth import Key, compute_growth, item_key, movers, source_counts

if TYPE_CHECKING:
    import psycopg

    from cron.summary import Summary
    from cron.trend_fetch import Fetcher

logger = logging.getLogger(__name__)

# Bounds the snapshot row per scale; the long tail of one-mention tags is noise.
MAX_ITEMS_PER_SCALE = 500
# A fetch with less time than this left is not started.
MIN_FETCH_S = 2.0

Summarizer = Callable[[Sequence[dict[str, Any]], Sequence[dict[str, Any]]], "Summary"]


def select(configured: Sequence[Source], names: Sequence[str] | None) -> tuple[Source, ...]:
    """The configured sources a job asks for (all when it names none), in configuration order.

    A name no configured source has is `bad_payload` naming it: the API
    cannot check it (it does not have the trends configuration).
    """
    if names is None:
        return tuple(configured)
    unknown_names(list(names), {s.name for s in configured}, "trend sources", "payload.sources")
    wanted = set(names)
    return tuple(s for s in configured if s.name in wanted)


@dataclass
class Collected:
    counts: dict[str, Counter[Key]] = field(default_factory=dict)
    reports: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    retry_after: dict[str, float] = field(default_factory=dict)

    def fail(self, source: str, reason: str, message: str) -> None:
        self.errors.append({"source": source, "reason": reason, "error": message})


def collect(
    sources: Sequence[Source],
    fetcher: Fetcher,
    *,
    remaining_s: Callable[[], float] | None = None,
    waiting: Mapping[str, datetime] | None = None,
) -> Collected:
    """Each source's counts and report, or its error; sources in ``waiting`` are not fetched."""
    out = Collected()
    for index, source in enumerate(sources):
        if waiting and source.name in waiting:
            out.fail(source.name, "retry_after", f"asked not to be fetched before {waiting[source.name].isoformat()}")
            continue
        left = remaining_s() if remaining_s is not None else None
        if left is not None and left < source.min_interval_seconds + MIN_FETCH_S:
            logger.warning("out of time: %d trend sources skipped", len(sources) - index)
            for skipped in sources[index:]:
                out.fail(skipped.name, "out_of_time", f"skipped: {max(left, 0):.1f}s left in the run")
            break
        try:
            counts = parse(source, fetcher.fetch(source, remaining_s=remaining_s))
        except SourceError as exc:
            logger.warning("trend source %s failed: %s", source.name, exc)
            out.fail(source.name, exc.reason, exc.message)
            if exc.retry_after_s:
                out.retry_after[source.name] = exc.retry_after_s
            continue
        except Exception as exc:  # a parser bug on one page must not lose the others
            logger.exception("trend source %s failed unexpectedly", source.name)
            out.fail(source.name, "unexpected_error", f"{type(exc).__name__}: {exc}")
            continue
        out.counts[source.name] = counts.counts
        out.reports[source.name] = counts.report()
    return out


def merge(per_source: Mapping[str, Counter[Key]]) -> list[dict[str, Any]]:
    """Items per (kind, name, scale) with each source's count, biggest first within a scale."""
    merged: dict[Key, dict[str, int]] = {}
    for source, counts in per_source.items():
        for key, count in counts.items():
            merged.setdefault(key, {})[source] = count
    items = [
        {"kind": k, "name": n, "scale": s, "count": sum(by.values()), "sources": by} for (k, n, s), by in merged.items()
    ]
    items.sort(key=lambda i: (i["scale"], -i["count"], i["kind"], i["name"]))
    kept: Counter[str] = Counter()
    out = []
    for item in items:
        kept[item["scale"]] += 1
        if kept[item["scale"]] <= MAX_ITEMS_PER_SCALE:
            out.append(item)
    return out


def run(
    conn: psycopg.Connection,
    *,
    job_id: uuid.UUID | None,
    window_start: datetime,
    sources: Sequence[Source],
    fetcher: Fetcher,
    summarize: Summarizer,
    top_n: int,
    now: datetime,
    remaining_s: Callable[[], float] | None = None,
) -> dict[str, Any]:
    snapshot = trends_store.get_snapshot(conn, window_start)
    if snapshot is None:
        if not sources:
            return {"skipped": "no trend sources configured"}
        found = collect(sources, fetcher, remaining_s=remaining_s, waiting=trends_store.retry_after(conn, now))
        for name, seconds in found.retry_after.items():
            trends_store.set_retry_after(conn, name, now + timedelta(seconds=seconds), "retry_after")
        if not found.counts and all(e["reason"] == "retry_after" for e in found.errors):
            # Not an outage: the sources asked us to wait; retrying the window now would only ask again.
            return {"skipped": "every trend source asked to be fetched later", "sourceErrors": found.errors}
        if not found.counts:
            reasons = ", ".join(f"{e['source']}: {e['reason']}" for e in found.errors)
            raise TransientError("trend_sources_unavailable", f"every trend source failed ({reasons})")
        items = merge(found.counts)
        baselines = {
            name: source_counts(before, name)
            for name, before in trends_store.last_answered(conn, list(found.counts), window_start).items()
        }
        current = {name: source_counts(items, name) for name in found.counts}
        snapshot = trends_store.insert_snapshot(
            conn,
            job_id=job_id,
            window_start=window_start,
            items=items,
            growth=compute_growth(current, baselines),
            source_errors=found.errors,
            source_reports=found.reports,
        )
    rising, falling = movers(snapshot.growth, top_n)
    result: dict[str, Any] = {
        "snapshotId": snapshot.id,
        "items": len(snapshot.items),
        "baseline": not snapshot.growth,
        "rising": [_ref(g) for g in rising],
        "falling": [_ref(g) for g in falling],
        "sourceErrors": snapshot.source_errors,
        "summarized": snapshot.summary is not None,
    }
    if snapshot.summary is None and (rising or falling):
        answer = summarize(rising, falling)
        if answer.rejected is not None:
            logger.warning("trends summary rejected: %s", answer.rejected)
            result["summaryRejected"] = answer.rejected
        else:
            trends_store.set_summary(conn, snapshot.id, answer.text, answer.model)
            result["summarized"] = True
    return result


def _ref(growth: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "item": item_key(growth["kind"], growth["name"], growth["scale"]),
        "change": growth["change"],
        "confidence": growth["confidence"],
    }
