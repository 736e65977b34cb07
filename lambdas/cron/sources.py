"""Fetching and reading public trend pages: JSON feeds, RSS/Atom and HTML.

A JSON source gives counts (``items_path`` -> list of objects with name,
count and type fields); RSS and HTML pages are read as text and every
``#hashtag`` and ``♬ sound`` mention is counted. Every failure of one source
is a `SourceError` with a short reason, so the caller can record it and go on
with the other sources.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit
from xml.etree import ElementTree

if TYPE_CHECKING:
    import urllib3

Kind = Literal["hashtag", "sound"]
KINDS: tuple[Kind, ...] = ("hashtag", "sound")
MAX_NAME_CHARS = 120

_HASHTAG = re.compile(r"(?<![&\w])#(\w*[^\W\d_]\w*)")
_SOUND = re.compile(r"♬\s*([^\n#♬]+)")
_SPACES = re.compile(r"\s+")


MAX_REDIRECTS = 3


def _redirects_only() -> urllib3.Retry:
    from urllib3.util import Retry

    # Follow up to MAX_REDIRECTS redirects and retry nothing else (a failing
    # source is recorded and tried again next window). Not Retry(total=0,
    # redirect=3): `total` counts redirects too, so that refuses the first one;
    # and retries=False hands back the 3xx itself.
    return Retry(total=None, connect=0, read=0, status=0, other=0, redirect=MAX_REDIRECTS)


class SourceError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Source:
    """What this module needs to know about a source (stacks.config.TrendSourceConfig, as JSON)."""

    name: str
    url: str
    kind: Literal["json", "rss", "html"]
    timeout_seconds: float = 10.0
    min_interval_seconds: float = 1.0
    max_bytes: int = 2 * 1024 * 1024
    items_path: str = "items"
    name_field: str = "name"
    count_field: str = "count"
    type_field: str = "type"

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Source:
        known = set(cls.__dataclass_fields__)
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"trend source has unknown keys: {', '.join(sorted(unknown))}")
        source = cls(**raw)
        if source.kind not in ("json", "rss", "html"):
            raise ValueError(f"trend source {source.name}: unknown kind {source.kind!r}")
        return source


@dataclass(frozen=True)
class TrendCounts:
    counts: Counter[tuple[Kind, str]] = field(default_factory=Counter)
    skipped: int = 0


class Fetcher:
    """GETs source pages with a per-source timeout, size cap, user agent and per-host spacing."""

    def __init__(
        self,
        user_agent: str,
        *,
        http: urllib3.PoolManager | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.user_agent = user_agent
        self._http = http
        self._clock = clock
        self._sleep = sleep
        self._last_request: dict[str, float] = {}

    def fetch(self, source: Source) -> bytes:
        import urllib3

        self._wait_turn(source)
        try:
            response = self.http.request(
                "GET",
                source.url,
                headers={"User-Agent": self.user_agent, "Accept": _ACCEPT[source.kind]},
                timeout=urllib3.Timeout(total=source.timeout_seconds),
                retries=_redirects_only(),
                preload_content=False,
            )
        except urllib3.exceptions.MaxRetryError as exc:
            if isinstance(exc.reason, urllib3.exceptions.ResponseError):
                raise SourceError(
                    "too_many_redirects", f"{source.url} redirects more than {MAX_REDIRECTS} times"
                ) from exc
            raise _transport_error(source, exc.reason or exc) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise _transport_error(source, exc) from exc
        try:
            if response.status != 200:
                raise SourceError("http_error", f"{source.url} answered HTTP {response.status}")
            body = response.read(source.max_bytes + 1)
        except urllib3.exceptions.TimeoutError as exc:
            raise SourceError("timeout", f"{source.url} stopped sending within {source.timeout_seconds}s") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise SourceError("unreachable", f"reading {source.url} failed: {exc}") from exc
        finally:
            response.release_conn()
        if len(body) > source.max_bytes:
            raise SourceError("too_large", f"{source.url} is larger than {source.max_bytes} bytes")
        return body

    @property
    def http(self) -> urllib3.PoolManager:
        if self._http is None:
            import urllib3

            self._http = urllib3.PoolManager(num_pools=8, maxsize=1, retries=False)
        return self._http

    def _wait_turn(self, source: Source) -> None:
        host = urlsplit(source.url).netloc
        last = self._last_request.get(host)
        if last is not None:
            wait = source.min_interval_seconds - (self._clock() - last)
            if wait > 0:
                self._sleep(wait)
        self._last_request[host] = self._clock()


def _transport_error(source: Source, exc: Exception) -> SourceError:
    import urllib3

    if isinstance(exc, urllib3.exceptions.NewConnectionError):  # a subclass of the timeout error, but not one
        return SourceError("unreachable", f"cannot connect to {source.url}: {exc}")
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return SourceError("timeout", f"no answer from {source.url} within {source.timeout_seconds}s")
    return SourceError("unreachable", f"cannot fetch {source.url}: {exc}")


_ACCEPT = {
    "json": "application/json",
    "rss": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8",
    "html": "text/html, application/xhtml+xml;q=0.9",
}


def parse(source: Source, body: bytes) -> TrendCounts:
    """Hashtag and sound counts of one page."""
    if source.kind == "json":
        return _parse_json(source, body)
    if source.kind == "rss":
        return TrendCounts(mentions(_rss_texts(body)))
    return TrendCounts(mentions([_html_text(body)]))


def mentions(texts: Iterable[str]) -> Counter[tuple[Kind, str]]:
    counts: Counter[tuple[Kind, str]] = Counter()
    for text in texts:
        for tag in _HASHTAG.findall(text):
            counts[("hashtag", normalize(tag))] += 1
        for sound in _SOUND.findall(text):
            name = normalize(sound)
            if name:
                counts[("sound", name)] += 1
    return counts


def normalize(name: str) -> str:
    """The name items are keyed by: case-folded, single spaces, no leading '#'."""
    return _SPACES.sub(" ", name).strip().lstrip("#").casefold()[:MAX_NAME_CHARS]


def _parse_json(source: Source, body: bytes) -> TrendCounts:
    try:
        doc: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError("malformed_page", f"{source.name} did not return JSON ({exc})") from None
    for part in filter(None, source.items_path.split(".")):
        if not isinstance(doc, Mapping) or part not in doc:
            raise SourceError("malformed_page", f"{source.name}: no {source.items_path!r} in the JSON")
        doc = doc[part]
    if not isinstance(doc, list):
        raise SourceError("malformed_page", f"{source.name}: {source.items_path!r} is not a list")
    counts: Counter[tuple[Kind, str]] = Counter()
    skipped = 0
    for item in doc:
        entry = _json_item(source, item)
        if entry is None:
            skipped += 1
            continue
        kind, name, count = entry
        counts[(kind, name)] += count
    if doc and not counts:
        raise SourceError("malformed_page", f"{source.name}: none of {len(doc)} items has a name and a count")
    return TrendCounts(counts, skipped)


def _json_item(source: Source, item: Any) -> tuple[Kind, str, int] | None:
    if not isinstance(item, Mapping):
        return None
    raw_name, raw_count = item.get(source.name_field), item.get(source.count_field)
    if not isinstance(raw_name, str) or isinstance(raw_count, bool) or not isinstance(raw_count, int | float):
        return None
    if raw_count < 0:
        return None
    kind = item.get(source.type_field)
    if kind not in KINDS:
        kind = "hashtag" if raw_name.strip().startswith("#") else None
    name = normalize(raw_name)
    if kind is None or not name:
        return None
    return kind, name, int(raw_count)


def _rss_texts(body: bytes) -> list[str]:
    try:
        # Python's expat refuses entity-expansion bombs; feeds have no DTDs we need.
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise SourceError("malformed_page", f"not a well-formed feed ({exc})") from None
    tag = _local(root.tag)
    if tag not in ("rss", "feed", "RDF"):
        raise SourceError("malformed_page", f"not an RSS or Atom feed (root element <{tag}>)")
    texts = []
    for element in root.iter():
        if _local(element.tag) in ("item", "entry"):
            texts.append(" \n".join(_html_text((child.text or "").encode()) for child in element))
    return texts


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _html_text(body: bytes) -> str:
    parser = _TextOnly()
    parser.feed(body.decode("utf-8", "replace"))
    parser.close()
    # Block elements end lines, so one sound name never runs into the next.
    return "\n".join(parser.parts)
