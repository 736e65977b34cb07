"""One trends window: fetch every source (or the ones the job names), merge counts, compute growth, summarise, save.

A failing source is recorded in the snapshot's ``source_errors`` and the
others are kept; only when every source fails is the window retried (an
empty snapshot would make everything look "new" next time). The snapshot is
saved before the summary is asked for, so a retry after an AI failure does
not fetch the sources again.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from common.errors import TransientError
from common.payloads import unknown_names
from cron import trends_store
from cron.sources import Fetcher, Kind, Source, SourceError, parse

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)

# Bounds the snapshot row; the long tail of one-mention tags is noise.
MAX_ITEMS = 500

Summarizer = Callable[[Sequence[dict[str, Any]]], tuple[str, str]]


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


def collect(
    sources: Sequence[Source], fetcher: Fetcher, *, remaining_s: Callable[[], float] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Merged items (most mentioned first) and one error per failed or skipped source.

    A source is fetched only while ``remaining_s()`` leaves room for its
    worst case (spacing + timeout); the ones left are skipped with an
    ``out_of_time`` error, so a slow source cannot push the run past its deadline.
    """
    totals: Counter[tuple[Kind, str]] = Counter()
    seen_in: dict[tuple[Kind, str], list[str]] = {}
    errors: list[dict[str, str]] = []
    for index, source in enumerate(sources):
        left = remaining_s() if remaining_s is not None else None
        if left is not None and left < source.min_interval_seconds + source.timeout_seconds:
            logger.warning("out of time: %d trend sources skipped", len(sources) - index)
            errors += [
                {"source": s.name, "reason": "out_of_time", "error": f"skipped: {max(left, 0):.1f}s left in the run"}
                for s in sources[index:]
            ]
            break
        try:
            counts = parse(source, fetcher.fetch(source)).counts
        except SourceError as exc:
            logger.warning("trend source %s failed: %s", source.name, exc)
            errors.append({"source": source.name, "reason": exc.reason, "error": exc.message})
            continue
        except Exception as exc:  # a parser bug on one page must not lose the others
            logger.exception("trend source %s failed unexpectedly", source.name)
            errors.append(
                {"source": source.name, "reason": "unexpected_error", "error": f"{type(exc).__name__}: {exc}"}
            )
            continue
        totals.update(counts)
        for key in counts:
            seen_in.setdefault(key, []).append(source.name)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_ITEMS]
    items = [{"kind": k, "name": n, "count": c, "sources": seen_in[(k, n)]} for (k, n), c in ranked]
    return items, errors


def item_key(item: dict[str, Any]) -> str:
    return f"{item['kind']}:{item['name']}"


def compute_growth(items: Sequence[dict[str, Any]], previous: Sequence[dict[str, Any]] | None) -> dict[str, Any]:
    """Per item: previous and current count, change and relative change (None when new)."""
    before = {item_key(i): int(i["count"]) for i in previous or ()}
    growth: dict[str, Any] = {}
    for item in items:
        key = item_key(item)
        prev = before.get(key, 0)
        current = int(item["count"])
        growth[key] = {
            "previous": prev,
            "current": current,
            "change": current - prev,
            "ratio": round((current - prev) / prev, 4) if prev else None,
        }
    return growth


def rising(items: Sequence[dict[str, Any]], growth: dict[str, Any], top_n: int) -> list[dict[str, Any]]:
    """The items that grew most since the previous snapshot (new items included)."""
    grown = [{**item, **growth[item_key(item)]} for item in items if growth[item_key(item)]["change"] > 0]
    grown.sort(key=lambda i: (-i["change"], -i["current"], i["name"]))
    return grown[:top_n]


def run(
    conn: psycopg.Connection,
    *,
    job_id: uuid.UUID | None,
    window_start: datetime,
    sources: Sequence[Source],
    fetcher: Fetcher,
    summarize: Summarizer,
    top_n: int,
    remaining_s: Callable[[], float] | None = None,
) -> dict[str, Any]:
    snapshot = trends_store.get_snapshot(conn, window_start)
    if snapshot is None:
        if not sources:
            return {"skipped": "no trend sources configured"}
        items, errors = collect(sources, fetcher, remaining_s=remaining_s)
        if not items and len(errors) == len(sources):
            reasons = ", ".join(f"{e['source']}: {e['reason']}" for e in errors)
            raise TransientError("trend_sources_unavailable", f"every trend source failed ({reasons})")
        previous = trends_store.previous_snapshot(conn, window_start)
        growth = compute_growth(items, previous.items if previous else None)
        snapshot = trends_store.insert_snapshot(
            conn, job_id=job_id, window_start=window_start, items=items, growth=growth, source_errors=errors
        )
    top = rising(snapshot.items, snapshot.growth, top_n)
    summary, model = snapshot.summary, snapshot.model
    if summary is None and top:
        summary, model = summarize(top)
        trends_store.set_summary(conn, snapshot.id, summary, model)
    return {
        "snapshotId": snapshot.id,
        "items": len(snapshot.items),
        "rising": [item_key(i) for i in top],
        "sourceErrors": snapshot.source_errors,
        "summarized": summary is not None,
    }
