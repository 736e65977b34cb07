"""The visible text of a page: decoded by its declared or detected charset, scripts and styles left out.

The charset comes from, in the HTML standard's order: a byte order mark, the
``Content-Type`` header, a ``<meta>`` declaration in the first bytes, and
finally charset-normalizer's detection. Text is taken with selectolax (the
lexbor HTML5 parser, as lenient as a browser); inline elements join without
a gap (``#<b>BookTok</b>`` is one tag) and block elements start and end a line, so
one sound never runs into the next.
"""

from __future__ import annotations

import codecs
import re
from email.message import Message
from typing import TYPE_CHECKING

from cron.sources import Page, TrendCounts
from cron.trend_names import mentions

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_META_SNIFF_BYTES = 1024
# The web's meaning of these labels (WHATWG Encoding): windows-1252, not strict ISO-8859-1.
_WEB_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252"}
HIDDEN = "script, style, noscript, template, svg, iframe, object, head > :not(title)"
BLOCKS = (
    "address, article, aside, blockquote, br, dd, div, dl, dt, figcaption, figure, footer, form, h1, h2, h3, h4, "
    "h5, h6, header, hr, li, main, nav, ol, p, pre, section, table, td, th, title, tr, ul"
)


def read_html(page: Page) -> TrendCounts:
    """Mentions in a page; each outermost ``<article>`` is one document, else the whole page is."""
    counts = TrendCounts()
    documents = visible_texts(decode(page.body, page.content_type))
    counts.counts.update({(kind, name, "mentions"): n for (kind, name), n in mentions(documents).items()})
    return counts


def html_text(markup: str) -> str:
    """The text a reader sees in an HTML document or fragment."""
    return _text(_visible_tree(markup).root)


def visible_texts(markup: str) -> list[str]:
    tree = _visible_tree(markup)
    articles = [node for node in tree.css("article") if not _inside_article(node)]
    return [_text(node) for node in articles] if articles else [_text(tree.root)]


def _visible_tree(markup: str) -> LexborHTMLParser:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(markup)
    for node in tree.css(HIDDEN):
        node.decompose()
    for node in tree.css(BLOCKS):
        node.insert_before("\n")
        node.insert_after("\n")
    return tree


def _inside_article(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == "article":
            return True
        parent = parent.parent
    return False


def _text(node: LexborNode | None) -> str:
    return node.text(separator="") if node is not None else ""


def decode(body: bytes, content_type: str = "") -> str:
    return body.decode(charset_of(body, content_type), "replace")


def charset_of(body: bytes, content_type: str = "") -> str:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    declared = _header_charset(content_type) or _meta_charset(body)
    if declared is not None:
        return declared
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    return best.encoding if best is not None else "utf-8"


def _header_charset(content_type: str) -> str | None:
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    return _known(message.get_param("charset"))


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_META_SNIFF_BYTES])
    return _known(match.group(1).decode("ascii")) if match else None


def _known(name: object) -> str | None:
    if not isinstance(name, str):
        return None
    try:
        found = codecs.lookup(name).name
    except LookupError:
        return None
    return _WEB_ALIASES.get(found, found)
