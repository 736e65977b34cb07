"""Trends windows end to end: local trend pages, local chat-completions API, real PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from cron_testdata import T0, chat_reply, json_body, spend_guard
from trend_fixtures import LOOPBACK, UA, configured

from common.azure_ai import AzureAIClient
from common.errors import OverBudget, TransientError
from cron import summary, trends, trends_store
from cron.trend_fetch import Fetcher

CHAT = "/models/chat/completions"
PAGES = ("/feed.json", "/broken", "/page.html")
HOURS_6 = timedelta(hours=6)

API_VERSION = "2024-05-01-preview"


def _summarizer(httpserver, guard):
    client = AzureAIClient(
        httpserver.url_for("/"), "test-key", sleep=lambda _s: None, max_attempts=2, api_version=API_VERSION
    )
    return lambda rising, falling: summary.summarize(client, "DeepSeek-V3", rising, falling, budget_s=5, guard=guard)


def _answer(text: str, names: list[str]) -> dict:
    return chat_reply(json.dumps({"summary": text, "names": names}))


def _sources(httpserver):
    def src(name, path, kind, **extra):
        return configured(name=name, url=httpserver.url_for(path), kind=kind, min_interval_seconds=0, **extra)

    return [
        src("feed", "/feed.json", "json", count_scale="views"),
        src("broken", "/broken", "html"),
        src("page", "/page.html", "html"),
    ]


def _run(db_conn, httpserver, window, sources=None, fetcher=None, remaining_s=None, daily=1_000_000):
    return trends.run(
        db_conn,
        job_id=None,
        window_start=window,
        sources=sources if sources is not None else _sources(httpserver),
        fetcher=fetcher or Fetcher(UA, allowed=LOOPBACK),
        summarize=_summarizer(httpserver, spend_guard(db_conn, daily=daily)),
        top_n=5,
        now=window,
        remaining_s=remaining_s,
    )


def _serve(httpserver, *, views=100, page_posts=3, page_up=True, broken=500, broken_headers=None):
    httpserver.clear()
    httpserver.expect_request("/feed.json").respond_with_json(
        {"items": [{"name": "#fyp", "count": views}, {"name": "Espresso", "count": 40, "type": "sound"}]}
    )
    httpserver.expect_request("/broken").respond_with_data("upstream down", status=broken, headers=broken_headers)
    if page_up:
        posts = "".join("<article><p>#fyp #BookTok #booktok</p></article>" for _ in range(page_posts))
        httpserver.expect_request("/page.html").respond_with_data(f"<body>{posts}</body>", content_type="text/html")
    else:
        httpserver.expect_request("/page.html").respond_with_data("", status=502)


def _items(snap):
    return {(i["kind"], i["name"], i["scale"]): (i["count"], i["sources"]) for i in snap.items}


def test_first_window_keeps_counts_per_source_and_scale_and_is_a_baseline(db_conn, httpserver):
    # Given a JSON source of views, a page of mentions and a source answering 500
    _serve(httpserver, views=100, page_posts=3)

    # When the first window runs
    result = _run(db_conn, httpserver, T0)

    # Then views and mentions of #fyp are kept apart, with each source's count
    snap = trends_store.get_snapshot(db_conn, T0)
    assert _items(snap) == {
        ("hashtag", "fyp", "views"): (100, {"feed": 100}),
        ("sound", "espresso", "views"): (40, {"feed": 40}),
        ("hashtag", "fyp", "mentions"): (3, {"page": 3}),
        ("hashtag", "booktok", "mentions"): (3, {"page": 3}),
    }
    assert [(e["source"], e["reason"]) for e in snap.source_errors] == [("broken", "http_error")]
    assert set(snap.source_reports) == {"feed", "page"}
    # And nothing is "rising" in a first window: it is the baseline, and the model is not asked
    assert result["baseline"] is True and result["rising"] == [] and result["falling"] == []
    assert not any(r.path == CHAT for r, _ in httpserver.log)


def test_growth_is_per_scale_with_rising_and_falling_and_their_confidence(db_conn, httpserver):
    # Given a baseline window
    _serve(httpserver, views=100, page_posts=10)
    _run(db_conn, httpserver, T0)

    # When #fyp views triple while the page's posts drop from 10 to 2
    _serve(httpserver, views=300, page_posts=2)
    httpserver.expect_request(CHAT, method="POST").respond_with_json(
        _answer("#fyp views are up while #booktok cools.", ["fyp", "booktok"])
    )
    result = _run(db_conn, httpserver, T0 + HOURS_6)

    # Then each scale moves on its own, and both directions are reported with a confidence
    snap = trends_store.get_snapshot(db_conn, T0 + HOURS_6)
    views = snap.growth["hashtag:fyp@views"]
    assert (views["previous"], views["current"], views["ratio"], views["confidence"]) == (100, 300, 2.0, 0.5)
    mentions = snap.growth["hashtag:fyp@mentions"]
    assert (mentions["previous"], mentions["current"]) == (10, 2)
    assert mentions["confidence"] == pytest.approx(0.9791, abs=1e-4)  # Poisson: z = |2-10|/sqrt(12) = 2.31
    assert [r["item"] for r in result["rising"]] == ["hashtag:fyp@views"]
    assert [r["item"] for r in result["falling"]] == ["hashtag:booktok@mentions", "hashtag:fyp@mentions"]
    assert "sound:espresso@views" not in [r["item"] for r in result["rising"] + result["falling"]]
    # And the model saw both directions, as data
    chat = json_body(next(r for r, _ in httpserver.log if r.path == CHAT))
    data = chat["messages"][1]["content"]
    assert '"direction": "rising"' in data and '"direction": "falling"' in data
    assert snap.summary == "#fyp views are up while #booktok cools."


def test_a_source_outage_is_neither_a_fall_nor_on_its_return_a_rise(db_conn, httpserver):
    # Given a window where both sources answered
    _serve(httpserver, views=100, page_posts=5)
    _run(db_conn, httpserver, T0)

    # When the page is down for a window
    _serve(httpserver, views=100, page_posts=5, page_up=False)
    down = _run(db_conn, httpserver, T0 + HOURS_6)

    # Then its items did not fall
    assert down["falling"] == [] and down["rising"] == []
    assert not any(g["scale"] == "mentions" for g in trends_store.get_snapshot(db_conn, T0 + HOURS_6).growth.values())

    # And when it returns with the same counts, they are compared with its last answer, not with nothing
    _serve(httpserver, views=100, page_posts=5)
    back = _run(db_conn, httpserver, T0 + 2 * HOURS_6)
    growth = trends_store.get_snapshot(db_conn, T0 + 2 * HOURS_6).growth
    assert growth["hashtag:fyp@mentions"]["previous"] == 5 and growth["hashtag:fyp@mentions"]["change"] == 0
    assert back["rising"] == [] and back["falling"] == []


def test_a_source_that_asks_to_wait_is_not_fetched_until_then(db_conn, httpserver):
    # Given a source answering 429 with Retry-After: 8 hours
    _serve(httpserver, broken=429, broken_headers={"Retry-After": str(8 * 3600)})
    _run(db_conn, httpserver, T0)

    # When the next window runs 6 hours later
    _serve(httpserver)
    result = _run(db_conn, httpserver, T0 + HOURS_6)

    # Then the source was not asked again, and the snapshot says why
    assert not any(r.path == "/broken" for r, _ in httpserver.log)
    assert ("broken", "retry_after") in [(e["source"], e["reason"]) for e in result["sourceErrors"]]

    # And the window after its time is up fetches it again
    _serve(httpserver)
    _run(db_conn, httpserver, T0 + 2 * HOURS_6)
    assert any(r.path == "/broken" for r, _ in httpserver.log)


def test_a_window_where_every_source_asked_to_wait_is_skipped_not_retried(db_conn, httpserver):
    # Given the only source answering 429 with Retry-After, then a window while it is still waiting
    only = [_sources(httpserver)[1]]
    _serve(httpserver, broken=429, broken_headers={"Retry-After": str(24 * 3600)})
    with pytest.raises(TransientError):
        _run(db_conn, httpserver, T0, sources=only)

    result = _run(db_conn, httpserver, T0 + HOURS_6, sources=only)

    assert result["skipped"] == "every trend source asked to be fetched later"
    assert trends_store.get_snapshot(db_conn, T0 + HOURS_6) is None


def test_every_source_failing_retries_the_window_and_saves_nothing(db_conn, httpserver):
    httpserver.expect_request("/feed.json").respond_with_data("{not json", content_type="application/json")
    httpserver.expect_request("/broken").respond_with_data("", status=503)
    httpserver.expect_request("/page.html").respond_with_data("<p>no tags</p>", content_type="text/html")

    with pytest.raises(TransientError) as err:
        _run(db_conn, httpserver, T0)

    assert err.value.reason == "trend_sources_unavailable"
    assert "feed: malformed_page" in err.value.message and "page: no_items" in err.value.message
    assert trends_store.get_snapshot(db_conn, T0) is None


def test_retry_after_an_ai_failure_summarises_without_fetching_again(db_conn, httpserver):
    # Given a baseline, then a window whose summary call fails with 503s
    _serve(httpserver, views=100)
    _run(db_conn, httpserver, T0)
    _serve(httpserver, views=900)
    httpserver.expect_request(CHAT, method="POST").respond_with_json({"error": {"message": "busy"}}, status=503)
    with pytest.raises(TransientError):
        _run(db_conn, httpserver, T0 + HOURS_6)

    # When the window is retried and the API has recovered (the pages are still served)
    _serve(httpserver, views=999)
    httpserver.expect_request(CHAT, method="POST").respond_with_json(_answer("#fyp is up.", ["fyp"]))
    result = _run(db_conn, httpserver, T0 + HOURS_6)

    # Then the saved snapshot gets its summary and no source was fetched a second time
    assert result["summarized"] is True
    assert trends_store.get_snapshot(db_conn, T0 + HOURS_6).summary == "#fyp is up."
    assert [r.path for r, _ in httpserver.log] == [CHAT]


def test_a_summary_over_the_days_ai_budget_waits_and_its_retry_only_summarises(db_conn, httpserver):
    # Given a baseline, then a window whose summary's worst case (600 tokens of DeepSeek-V3 output alone
    # is 2736 micro-dollars) does not fit a 2000 micro-dollar day
    _serve(httpserver, views=100)
    _run(db_conn, httpserver, T0)
    _serve(httpserver, views=900)
    # When the window runs
    with pytest.raises(OverBudget) as over:
        _run(db_conn, httpserver, T0 + HOURS_6, daily=2_000)
    # Then it is over budget until the next midnight (the job lifecycle defers it), the model was not asked,
    # and the snapshot is saved without a summary
    assert over.value.reason == "daily_budget_exceeded" and over.value.retry_at.hour == 0
    assert CHAT not in [r.path for r, _ in httpserver.log]
    assert trends_store.get_snapshot(db_conn, T0 + HOURS_6).summary is None
    # When it runs again with room in the budget
    _serve(httpserver, views=999)
    httpserver.expect_request(CHAT, method="POST").respond_with_json(_answer("#fyp is up.", ["fyp"]))
    result = _run(db_conn, httpserver, T0 + HOURS_6)
    # Then only the summary is asked for, and its cost is recorded against the trends task
    assert result["summarized"] is True and [r.path for r, _ in httpserver.log] == [CHAT]
    calls = db_conn.execute("SELECT caller, task, model FROM ai_calls").fetchall()
    assert calls == [{"caller": "system", "task": "trends", "model": "DeepSeek-V3"}]


def test_no_configured_sources_skips_the_window(db_conn, httpserver):
    assert _run(db_conn, httpserver, T0, sources=[]) == {"skipped": "no trend sources configured"}
    assert trends_store.get_snapshot(db_conn, T0) is None


def test_sources_are_skipped_with_a_recorded_error_when_time_runs_short(db_conn, httpserver):
    # Given three sources and a run with 25 s left, ticking 12 s per fetch (1 s left for the third)
    _serve(httpserver)
    fetched: list[str] = []

    class CountingFetcher(Fetcher):
        def fetch(self, source, **kw):
            fetched.append(source.name)
            return super().fetch(source, **kw)

    def remaining_s() -> float:
        return 25.0 - 12.0 * len(fetched)

    # When the window runs
    result = _run(db_conn, httpserver, T0, fetcher=CountingFetcher(UA, allowed=LOOPBACK), remaining_s=remaining_s)

    # Then the source that no longer fit was not fetched, and the snapshot says so
    assert fetched == ["feed", "broken"]
    assert [(e["source"], e["reason"]) for e in result["sourceErrors"]] == [
        ("broken", "http_error"),
        ("page", "out_of_time"),
    ]
    assert [r.path for r, _ in httpserver.log if r.path in PAGES] == ["/feed.json", "/broken"]
