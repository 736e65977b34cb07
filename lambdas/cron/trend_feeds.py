"""RSS and Atom feeds, read with feedparser; Google Trends' daily feed gives searched topics with their traffic.

Every entry is one document: its title, summary and content (HTML or xhtml,
as visible text) and the text of its ``media:`` and ``ht:`` extension
elements. feedparser flattens repeated nested extensions (only the last
``ht:news_item`` of an entry, no ``media:group`` title survive), so those
are read from the same bytes with ElementTree (expat refuses entity
expansion bombs) and joined to the entry at the same position.
Google Trends' ``ht:approx_traffic`` ("50K+") is the topic's count, at the
``searches`` scale; hashtags and sounds in the text are counted as mentions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

from cron.sources import Page, SourceError, TrendCounts
from cron.trend_counts import parse_count
from cron.trend_html import html_text
from cron.trend_names import mentions, normalize

EXTENSION_NAMESPACES = ("http://search.yahoo.com/mrss/", "https://trends.google.com/")
TRAFFIC_KEY = "ht_approx_traffic"
_TEXT_TYPES = ("text/plain",)


def read_feed(page: Page) -> TrendCounts:
    import feedparser

    feed = feedparser.parse(page.body, response_headers={"content-type": page.content_type or "application/xml"})
    if not feed.get("version") and not feed.entries:
        problem = feed.get("bozo_exception") or "no RSS or Atom root element"
        raise SourceError("malformed_page", f"not an RSS or Atom feed ({problem})")
    extensions = _extension_texts(page.body)
    if len(extensions) != len(feed.entries):
        extensions = [""] * len(feed.entries)
    counts = TrendCounts()
    documents = []
    for index, (entry, extra) in enumerate(zip(feed.entries, extensions, strict=True)):
        documents.append("\n".join((*_entry_texts(entry), extra)))
        if TRAFFIC_KEY in entry:
            _count_topic(counts, index, entry)
    counts.counts.update({(kind, name, "mentions"): n for (kind, name), n in mentions(documents).items()})
    return counts


def _entry_texts(entry: Mapping[str, Any]) -> list[str]:
    texts = []
    details = [entry.get("title_detail"), entry.get("summary_detail"), *entry.get("content", ())]
    for detail in filter(None, details):
        value = detail.get("value", "")
        texts.append(value if detail.get("type") in _TEXT_TYPES else html_text(value))
    return texts


def _count_topic(counts: TrendCounts, index: int, entry: Mapping[str, Any]) -> None:
    name = normalize(entry.get("title", ""))
    if not name:
        counts.skip(index, "topic without a title")
        return
    try:
        traffic = parse_count(entry[TRAFFIC_KEY])
    except ValueError as exc:
        counts.skip(index, f"approx_traffic: {exc}")
        return
    counts.counts[("topic", name, "searches")] += traffic


def _extension_texts(body: bytes) -> list[str]:
    """Per item/entry, in order: the visible text of its media: and ht: elements."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return []
    texts = []
    for element in root.iter():
        if _local(element.tag) in ("item", "entry"):
            parts = [
                html_text("\n".join(child.itertext()))
                for child in element
                if _namespace(child.tag).startswith(EXTENSION_NAMESPACES)
            ]
            texts.append("\n".join(parts))
    return texts


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
