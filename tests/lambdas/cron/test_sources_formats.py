"""Trend pages in their real formats, served by a local HTTP server and read end to end (fetch + parse)."""

from __future__ import annotations

import pytest
from trend_fixtures import (
    ATOM_XHTML,
    CREATIVE_CENTER,
    CREATIVE_CENTER_FIELDS,
    GOOGLE_TRENDS_RSS,
    HTML_PAGE,
    LATIN1_META_PAGE,
    LATIN1_PAGE,
    LOOPBACK,
    UA,
    WORDPRESS_RSS,
    source,
)

from cron.sources import SourceError, parse
from cron.trend_fetch import Fetcher


def _read(httpserver, kind, body, content_type, **extra):
    httpserver.expect_request("/t").respond_with_data(body, content_type=content_type)
    src = source(httpserver, kind, **extra)
    return parse(src, Fetcher(UA, allowed=LOOPBACK).fetch(src))


def test_google_trends_feed_gives_topics_with_their_traffic_and_the_news_items_hashtags(httpserver):
    # Given Google Trends' daily feed with approximate traffic and two nested news items in one entry
    counts = _read(httpserver, "rss", GOOGLE_TRENDS_RSS, "application/rss+xml; charset=UTF-8").counts

    # Then each trending search is a topic counted at its traffic, and both news items' tags are kept
    assert counts[("topic", "sabrina carpenter", "searches")] == 50_000
    assert counts[("topic", "weather tomorrow", "searches")] == 2_000
    assert counts[("hashtag", "espresso", "mentions")] == 1  # first news item, inside escaped <b>
    assert counts[("hashtag", "booktok", "mentions")] == 1
    assert counts[("hashtag", "grwm", "mentions")] == 1  # second news item


def test_wordpress_feed_counts_each_tag_once_per_post_and_skips_fragments_and_colours(httpserver):
    counts = _read(httpserver, "rss", WORDPRESS_RSS, "application/rss+xml; charset=UTF-8").counts

    # #BookTok five times in post one, split by <b> in post two: one mention per post
    assert counts[("hashtag", "booktok", "mentions")] == 2
    assert counts[("hashtag", "grwm", "mentions")] == 1
    # Two spellings of one sound are one sound, keyed on title and artist
    assert counts[("sound", "espresso - sabrina carpenter", "mentions")] == 2
    names = {name for _, name, _ in counts}
    assert not names & {"respond", "fff", "8230", "8211"}


def test_atom_xhtml_content_and_media_group_are_read(httpserver):
    counts = _read(httpserver, "rss", ATOM_XHTML, "application/atom+xml").counts

    assert counts == {
        ("hashtag", "dancechallenge", "mentions"): 1,
        ("hashtag", "fyp", "mentions"): 1,  # "#fyp" in the content and full-width "#Ｆｙｐ" in media:group
        ("sound", "espresso - sabrina carpenter", "mentions"): 1,
    }


def test_creative_center_json_is_read_with_its_field_mapping_and_bad_rows_are_reported(httpserver):
    # Given a Creative Center-shaped answer, with rows holding a count string, null, 1e400 and a negative
    httpserver.expect_request("/t").respond_with_json(CREATIVE_CENTER)
    src = source(httpserver, "json", **CREATIVE_CENTER_FIELDS)

    result = parse(src, Fetcher(UA, allowed=LOOPBACK).fetch(src))

    # Then the good rows are views of hashtags (no type field: the source's default kind)
    assert result.counts == {
        ("hashtag", "booktok", "views"): 1_200_000,
        ("hashtag", "fyp", "views"): 1_200_000,
        ("hashtag", "grwm", "views"): 4_200,
    }
    # And every skipped row is reported with its own reason, the source still answered
    assert [(r["row"], r["reason"]) for r in result.skipped] == [
        (3, "video_views: no count"),
        (4, "video_views: count is not a finite number (inf)"),
        (5, "video_views: count is negative (-3)"),
    ]
    assert result.report() == {"items": 3, "skipped": 3, "skippedRows": result.skipped}


def test_html_gives_only_visible_text_and_joins_inline_tags(httpserver):
    counts = _read(httpserver, "html", HTML_PAGE, "text/html; charset=utf-8").counts

    assert counts == {
        ("hashtag", "booktok", "mentions"): 1,
        ("hashtag", "grwm", "mentions"): 1,
        ("hashtag", "cafe", "mentions"): 1,
        ("sound", "espresso - sabrina carpenter", "mentions"): 1,
    }


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(LATIN1_PAGE, "text/html; charset=ISO-8859-1"), (LATIN1_META_PAGE, "text/html")],
    ids=["header", "meta"],
)
def test_latin1_page_is_decoded_by_its_declared_charset(httpserver, body, content_type):
    counts = _read(httpserver, "html", body, content_type).counts

    assert ("hashtag", "cafe", "mentions") in counts  # not "caf"
    assert not any(name == "caf" for _, name, _ in counts)


def test_undeclared_latin1_is_detected(httpserver):
    page = ("<p>" + "Le café est prêt, à bientôt. " * 20 + "#café</p>").encode("latin-1")
    counts = _read(httpserver, "html", page, "text/html").counts
    assert ("hashtag", "cafe", "mentions") in counts


def test_feed_that_is_not_well_formed_is_read_leniently(httpserver):
    # feedparser falls back to its loose parser, as feed readers do
    counts = _read(httpserver, "rss", b"<rss><channel><item><title>#x &amp; #y</title></channel>", "text/xml").counts
    assert counts == {("hashtag", "x", "mentions"): 1, ("hashtag", "y", "mentions"): 1}


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("rss", b"<html><body>#tag</body></html>"),
        ("rss", b""),
        ("json", b"<html>not json</html>"),
    ],
    ids=["html-as-feed", "empty", "not-json"],
)
def test_malformed_page_is_a_source_error(httpserver, kind, body):
    with pytest.raises(SourceError) as err:
        _read(httpserver, kind, body, "application/octet-stream")
    assert err.value.reason == "malformed_page"


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("rss", b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'),
        ("html", b"<html><body><div id='app'></div><script>render('#fyp')</script></body></html>"),
        ("json", b'{"items": [{"title": "x"}, 3]}'),
    ],
    ids=["feed-without-entries", "javascript-rendered-page", "json-without-usable-rows"],
)
def test_page_that_yields_nothing_is_reported_not_silent(httpserver, kind, body):
    # A page that needs JavaScript (like real TikTok or Instagram pages) gives nothing: the source says so
    with pytest.raises(SourceError) as err:
        _read(httpserver, kind, body, "text/html")
    assert err.value.reason == "no_items"
