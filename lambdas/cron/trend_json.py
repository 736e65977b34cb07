"""JSON trend sources: a list found at ``items_path``, its fields mapped by the source's configuration.

A TikTok Creative Center-shaped answer (``data.list[].hashtag_name``,
``video_views``) is read with ``items_path="data.list"``,
``name_field="hashtag_name"``, ``count_field="video_views"``,
``default_type="hashtag"``, ``count_scale="views"``. Field paths are dotted
(``stats.views``). Every row that cannot be read is skipped with its reason;
the source fails only when the page itself is unusable.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from cron.sources import Page, Source, SourceError, TrendCounts
from cron.trend_counts import parse_count
from cron.trend_names import KINDS, Kind, normalize, sound_identity

_MISSING = object()
_MAX_INT_DIGITS = 30


def read_json(source: Source, page: Page) -> TrendCounts:
    try:
        doc = json.loads(page.body, parse_int=_int_or_infinite)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError("malformed_page", f"{source.name} did not return JSON ({exc})") from None
    rows = lookup(doc, source.items_path)
    if rows is _MISSING:
        raise SourceError("malformed_page", f"{source.name}: no {source.items_path!r} in the JSON")
    if not isinstance(rows, list):
        raise SourceError("malformed_page", f"{source.name}: {source.items_path!r} is not a list")
    counts = TrendCounts()
    assert source.count_scale is not None  # Source.from_dict requires it of a json source
    for index, row in enumerate(rows):
        try:
            kind, name, count = _row(source, row)
        except ValueError as exc:
            counts.skip(index, str(exc))
            continue
        counts.counts[(kind, name, source.count_scale)] += count
    return counts


def _int_or_infinite(digits: str) -> int | float:
    # Past Python's int-parsing limit json.loads would fail the whole page; such a row is skipped instead.
    return int(digits) if len(digits) <= _MAX_INT_DIGITS else math.inf


def lookup(doc: Any, path: str) -> Any:
    """``doc`` at a dotted path (list positions are numbers); ``_MISSING`` when absent."""
    for part in filter(None, path.split(".")):
        if isinstance(doc, Mapping) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            return _MISSING
    return doc


def _row(source: Source, row: Any) -> tuple[Kind, str, int]:
    if not isinstance(row, Mapping):
        raise ValueError(f"row is a {type(row).__name__}, not an object")
    raw_name = lookup(row, source.name_field)
    if not isinstance(raw_name, str) or not raw_name.strip():
        raise ValueError(f"{source.name_field} is missing or not text")
    kind = _kind(source, row, raw_name)
    count = lookup(row, source.count_field)
    try:
        value = parse_count(None if count is _MISSING else count)
    except ValueError as exc:
        raise ValueError(f"{source.count_field}: {exc}") from None
    if kind == "sound":
        artist = lookup(row, source.artist_field) if source.artist_field else None
        name = sound_identity(raw_name, artist if isinstance(artist, str) else None)
    else:
        name = normalize(raw_name)
    if not name:
        raise ValueError(f"{source.name_field} is empty once normalised")
    return kind, name, value


def _kind(source: Source, row: Mapping[str, Any], raw_name: str) -> Kind:
    given = lookup(row, source.type_field)
    if given is not _MISSING and given is not None:
        if given not in KINDS:
            raise ValueError(f"{source.type_field} {str(given)[:40]!r} is not one of {', '.join(KINDS)}")
        return given  # type: ignore[no-any-return]
    if source.default_type is not None:
        return source.default_type
    if raw_name.strip().startswith("#"):
        return "hashtag"
    raise ValueError(f"no {source.type_field} and the source has no default_type")
