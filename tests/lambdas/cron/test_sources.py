"""Trend pages fetched from a real local HTTP server: good, malformed, slow, failing."""

from __future__ import annotations

import json
import threading

import pytest
from werkzeug import Response

from cron.sources import Fetcher, Source, SourceError, parse

UA = "HuntazeTrendsBot/test (+https://huntaze.com/bot)"

RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Trends</title>
<item><title>Dance challenge #FYP #DanceChallenge</title><description>&lt;p&gt;Use &#9836; Espresso - Sabrina&lt;/p&gt; #fyp</description></item>
<item><title>Cooking #foodtok</title><description>&#9836; original sound - chef #FoodTok &amp;#39;</description></item>
</channel></rss>"""

HTML = b"""<html><head><style>#notatag { color: red }</style><script>var x = "#hidden";</script></head>
<body><div class="tag">#BookTok<div><span>#booktok trending<p>\xe2\x99\xac Espresso - Sabrina
<li>#GRWM <b>unclosed
</body>"""


def _source(httpserver, kind, path="/t", **extra):
    return Source(name=f"src-{kind}", url=httpserver.url_for(path), kind=kind, min_interval_seconds=0, **extra)


def test_json_source_gives_counts_by_kind(httpserver):
    # Given a JSON feed with hashtags and sounds (one entry without a count)
    items = [
        {"name": "#FYP", "count": 1200, "type": "hashtag"},
        {"name": "Espresso - Sabrina", "count": 300, "type": "sound"},
        {"name": "#NoCount", "type": "hashtag"},
        {"name": "#fyp", "count": 5},
    ]
    httpserver.expect_request("/t").respond_with_json({"data": {"list": items}})
    source = _source(httpserver, "json", items_path="data.list")

    # When it is fetched and read
    counts = parse(source, Fetcher(UA).fetch(source))

    # Then same names merge case-insensitively and the bad entry is skipped, not fatal
    assert counts.counts == {("hashtag", "fyp"): 1205, ("sound", "espresso - sabrina"): 300}
    assert counts.skipped == 1


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b"<html>not json</html>", "data.list"),
        (b'{"data": {"list": {"a": 1}}}', "data.list"),
        (b'{"other": []}', "data.list"),
        (b'{"items": [{"title": "x"}, 3]}', "items"),
    ],
    ids=["not-json", "not-a-list", "missing-path", "no-usable-item"],
)
def test_malformed_json_page_is_a_source_error(httpserver, body, path):
    httpserver.expect_request("/t").respond_with_data(body, content_type="application/json")
    source = _source(httpserver, "json", items_path=path)
    with pytest.raises(SourceError) as err:
        parse(source, Fetcher(UA).fetch(source))
    assert err.value.reason == "malformed_page"


def test_rss_mentions_are_counted(httpserver):
    httpserver.expect_request("/t").respond_with_data(RSS, content_type="application/rss+xml")
    source = _source(httpserver, "rss")

    counts = parse(source, Fetcher(UA).fetch(source)).counts

    assert counts[("hashtag", "fyp")] == 2
    assert counts[("hashtag", "foodtok")] == 2
    assert counts[("hashtag", "dancechallenge")] == 1
    assert counts[("sound", "espresso - sabrina")] == 1
    assert counts[("sound", "original sound - chef")] == 1
    # "&#39;" is an escaped apostrophe, not a hashtag
    assert not any(name.isdigit() for _, name in counts)


@pytest.mark.parametrize(
    "body",
    [b"<rss><channel><item><title>#x</title></channel>", b"<html><body>#tag</body></html>", b""],
    ids=["unclosed", "not-a-feed", "empty"],
)
def test_malformed_feed_is_a_source_error(httpserver, body):
    httpserver.expect_request("/t").respond_with_data(body, content_type="application/rss+xml")
    source = _source(httpserver, "rss")
    with pytest.raises(SourceError) as err:
        parse(source, Fetcher(UA).fetch(source))
    assert err.value.reason == "malformed_page"


def test_html_text_is_read_leniently_without_scripts_or_styles(httpserver):
    # Given an HTML page with unclosed tags, a style and a script
    httpserver.expect_request("/t").respond_with_data(HTML, content_type="text/html")
    source = _source(httpserver, "html")

    counts = parse(source, Fetcher(UA).fetch(source)).counts

    assert counts == {("hashtag", "booktok"): 2, ("hashtag", "grwm"): 1, ("sound", "espresso - sabrina"): 1}


def test_fetch_sends_the_user_agent(httpserver):
    httpserver.expect_request("/t", headers={"User-Agent": UA}).respond_with_json({"items": []})
    source = _source(httpserver, "json")
    assert json.loads(Fetcher(UA).fetch(source)) == {"items": []}


@pytest.mark.parametrize("status", [500, 503, 404])
def test_http_error_status_is_a_source_error(httpserver, status):
    httpserver.expect_request("/t").respond_with_data("boom", status=status)
    with pytest.raises(SourceError) as err:
        Fetcher(UA).fetch(_source(httpserver, "json"))
    assert err.value.reason == "http_error" and str(status) in err.value.message


def test_slow_source_times_out_at_its_own_timeout(httpserver):
    # Given a source that answers only when released, or after 5 s (under the 10 s default timeout)
    release, finished = threading.Event(), threading.Event()

    def slow(_request):
        release.wait(5)
        finished.set()
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/t").respond_with_handler(slow)
    try:
        # When it is fetched with a 0.3 s timeout
        with pytest.raises(SourceError) as err:
            Fetcher(UA).fetch(_source(httpserver, "json", timeout_seconds=0.3))
    finally:
        release.set()
        finished.wait(5)  # the server is shared: let it finish this request before the next test
    # Then the source's own timeout ended the wait (the default would have seen the answer)
    assert err.value.reason == "timeout" and "0.3s" in err.value.message


def test_redirect_is_followed_to_the_page(httpserver):
    # Given a source that moved permanently
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/new")}
    )
    httpserver.expect_request("/new").respond_with_json({"items": [{"name": "#fyp", "count": 3}]})

    # When the old URL is fetched
    counts = parse(_source(httpserver, "json", "/old"), Fetcher(UA).fetch(_source(httpserver, "json", "/old")))

    # Then the page behind the redirect is read, with the user agent on both requests
    assert counts.counts == {("hashtag", "fyp"): 3}
    # (only these paths: the server may still log a request an earlier test abandoned)
    assert [(r.path, r.headers["User-Agent"]) for r, _ in httpserver.log if r.path in ("/old", "/new")] == [
        ("/old", UA),
        ("/new", UA),
    ]


def test_redirect_loop_is_a_source_error(httpserver):
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/loop")}
    )
    with pytest.raises(SourceError) as err:
        Fetcher(UA).fetch(_source(httpserver, "json", "/loop"))
    assert err.value.reason == "too_many_redirects"
    assert sum(r.path == "/loop" for r, _ in httpserver.log) == 4  # the first request and three redirects


def test_page_larger_than_the_cap_is_refused(httpserver):
    httpserver.expect_request("/t").respond_with_data(b"x" * 5000)
    with pytest.raises(SourceError) as err:
        Fetcher(UA).fetch(_source(httpserver, "html", max_bytes=4096))
    assert err.value.reason == "too_large"


def test_unreachable_source_is_a_source_error():
    source = Source(name="gone", url="http://127.0.0.1:9/t", kind="json", timeout_seconds=1)
    with pytest.raises(SourceError) as err:
        Fetcher(UA).fetch(source)
    assert err.value.reason in {"unreachable", "timeout"}


def test_requests_to_one_host_are_spaced_by_the_rate_limit(httpserver):
    # Given a fetcher on a fake clock and two sources on the same host, 2 s apart at least
    httpserver.expect_request("/a").respond_with_json({"items": []})
    httpserver.expect_request("/b").respond_with_json({"items": []})
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    fetcher = Fetcher(UA, clock=lambda: now[0], sleep=sleep)
    a = Source(name="a", url=httpserver.url_for("/a"), kind="json", min_interval_seconds=2)
    b = Source(name="b", url=httpserver.url_for("/b"), kind="json", min_interval_seconds=2)

    # When both are fetched 0.5 s apart
    fetcher.fetch(a)
    now[0] += 0.5
    fetcher.fetch(b)

    # Then the second waited the remaining 1.5 s
    assert slept == [pytest.approx(1.5)]
