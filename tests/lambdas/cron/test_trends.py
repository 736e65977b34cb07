"""A trends window end to end: local trend pages, local chat-completions API, real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cron_testdata import T0, chat_reply, json_body

from common.azure_ai import AzureAIClient
from common.errors import TransientError
from cron import summary, trends, trends_store
from cron.sources import Fetcher, Source

UA = "HuntazeTrendsBot/test"
CHAT = "/models/chat/completions"
PAGES = ("/feed.json", "/broken", "/page.html")


def _summarizer(httpserver):
    client = AzureAIClient(httpserver.url_for("/"), "test-key", sleep=lambda _s: None, max_attempts=2)
    return lambda rising: summary.summarize(client, "DeepSeek-V3", rising, budget_s=5)


def _sources(httpserver):
    return [
        Source(name="feed", url=httpserver.url_for("/feed.json"), kind="json", min_interval_seconds=0),
        Source(name="broken", url=httpserver.url_for("/broken"), kind="html", min_interval_seconds=0),
        Source(name="page", url=httpserver.url_for("/page.html"), kind="html", min_interval_seconds=0),
    ]


def _run(db_conn, httpserver, window, sources=None):
    return trends.run(
        db_conn,
        job_id=None,
        window_start=window,
        sources=sources if sources is not None else _sources(httpserver),
        fetcher=Fetcher(UA),
        summarize=_summarizer(httpserver),
        top_n=5,
    )


def _serve_pages(httpserver, fyp: int):
    httpserver.expect_request("/feed.json").respond_with_json(
        {"items": [{"name": "#fyp", "count": fyp}, {"name": "Espresso", "count": 40, "type": "sound"}]}
    )
    httpserver.expect_request("/broken").respond_with_data("upstream down", status=500)
    httpserver.expect_request("/page.html").respond_with_data("<p>#fyp #BookTok #booktok</p>", content_type="text/html")


def test_failing_source_is_recorded_and_the_others_are_kept(db_conn, httpserver):
    # Given two working sources, one answering 500, and a chat API
    _serve_pages(httpserver, fyp=100)
    httpserver.expect_request(CHAT, method="POST").respond_with_json(chat_reply("#fyp and #booktok are rising."))

    # When the window runs
    result = _run(db_conn, httpserver, T0)

    # Then the snapshot has the merged items of the working sources and the error of the other
    snap = trends_store.get_snapshot(db_conn, T0)
    assert {(i["kind"], i["name"]): i["count"] for i in snap.items} == {
        ("hashtag", "fyp"): 101,
        ("sound", "espresso"): 40,
        ("hashtag", "booktok"): 2,
    }
    assert snap.source_errors == [{"source": "broken", "reason": "http_error", "error": snap.source_errors[0]["error"]}]
    assert "500" in snap.source_errors[0]["error"]
    assert snap.summary == "#fyp and #booktok are rising." and snap.model == "DeepSeek-V3"
    assert result["sourceErrors"][0]["source"] == "broken"


def test_growth_is_computed_against_the_previous_snapshot_and_sent_to_the_model(db_conn, httpserver):
    # Given a first window with #fyp at 101
    _serve_pages(httpserver, fyp=100)
    httpserver.expect_request(CHAT, method="POST").respond_with_json(chat_reply("first"))
    _run(db_conn, httpserver, T0)
    httpserver.clear()

    # When the next window sees #fyp at 301
    _serve_pages(httpserver, fyp=300)
    httpserver.expect_request(CHAT, method="POST").respond_with_json(chat_reply("#fyp tripled."))
    result = _run(db_conn, httpserver, T0 + timedelta(hours=6))

    # Then growth is relative to the first snapshot and only rising items are summarised
    snap = trends_store.get_snapshot(db_conn, T0 + timedelta(hours=6))
    assert snap.growth["hashtag:fyp"] == {
        "previous": 101,
        "current": 301,
        "change": 200,
        "ratio": pytest.approx(1.9802),
    }
    assert snap.growth["sound:espresso"]["change"] == 0
    assert result["rising"] == ["hashtag:fyp"]
    chat = [json_body(r) for r, _ in httpserver.log if r.path == CHAT]
    assert chat[-1]["model"] == "DeepSeek-V3"
    assert '"name": "fyp"' in chat[-1]["messages"][1]["content"]
    assert "espresso" not in chat[-1]["messages"][1]["content"]


def test_every_source_failing_retries_the_window_and_saves_nothing(db_conn, httpserver):
    httpserver.expect_request("/feed.json").respond_with_data("{not json", content_type="application/json")
    httpserver.expect_request("/broken").respond_with_data("", status=503)
    httpserver.expect_request("/page.html").respond_with_data("", status=500)

    with pytest.raises(TransientError) as err:
        _run(db_conn, httpserver, T0)

    assert err.value.reason == "trend_sources_unavailable"
    assert "feed: malformed_page" in err.value.message
    assert trends_store.get_snapshot(db_conn, T0) is None


def test_retry_after_an_ai_failure_summarises_without_fetching_again(db_conn, httpserver):
    # Given a window whose summary call fails with 503s
    _serve_pages(httpserver, fyp=100)
    httpserver.expect_request(CHAT, method="POST").respond_with_json({"error": {"message": "busy"}}, status=503)
    with pytest.raises(TransientError):
        _run(db_conn, httpserver, T0)
    assert sum(1 for r, _ in httpserver.log if r.path != CHAT) == 3
    httpserver.clear()

    # When the window is retried and the API has recovered (the pages are still served)
    _serve_pages(httpserver, fyp=999)
    httpserver.expect_request(CHAT, method="POST").respond_with_json(chat_reply("Recovered summary."))
    result = _run(db_conn, httpserver, T0)

    # Then the saved snapshot gets its summary and no source was fetched a second time
    assert result["summarized"] is True
    assert trends_store.get_snapshot(db_conn, T0).summary == "Recovered summary."
    assert [r.path for r, _ in httpserver.log] == [CHAT]


def test_no_configured_sources_skips_the_window(db_conn, httpserver):
    assert _run(db_conn, httpserver, T0, sources=[]) == {"skipped": "no trend sources configured"}
    assert trends_store.get_snapshot(db_conn, T0) is None


def test_growth_of_a_new_item_has_no_ratio():
    growth = trends.compute_growth([{"kind": "hashtag", "name": "new", "count": 7}], [])
    assert growth == {"hashtag:new": {"previous": 0, "current": 7, "change": 7, "ratio": None}}


def test_sources_are_skipped_with_a_recorded_error_when_time_runs_short(db_conn, httpserver):
    # Given three sources (10 s timeout each) and a run with 25 s left, ticking 12 s per fetch
    _serve_pages(httpserver, fyp=100)
    httpserver.expect_request(CHAT, method="POST").respond_with_json(chat_reply("#fyp is rising."))
    fetched: list[str] = []

    class CountingFetcher(Fetcher):
        def fetch(self, source):
            fetched.append(source.name)
            return super().fetch(source)

    def remaining_s() -> float:
        return 25.0 - 12.0 * len(fetched)

    # When the window runs
    result = trends.run(
        db_conn,
        job_id=None,
        window_start=T0,
        sources=_sources(httpserver),
        fetcher=CountingFetcher(UA),
        summarize=_summarizer(httpserver),
        top_n=5,
        remaining_s=remaining_s,
    )

    # Then the sources that no longer fit were not fetched, and the snapshot says so
    assert fetched == ["feed", "broken"]
    assert [(e["source"], e["reason"]) for e in result["sourceErrors"]] == [
        ("broken", "http_error"),
        ("page", "out_of_time"),
    ]
    assert [r.path for r, _ in httpserver.log if r.path in PAGES] == ["/feed.json", "/broken"]


def test_a_snapshot_limited_to_some_sources_is_no_baseline_for_the_next_full_run(db_conn):
    # Given a full snapshot, then a later on-demand one of a single source
    from common import job_store

    item = {"kind": "hashtag", "name": "#a", "count": 10, "source": "alpha"}
    full = trends_store.insert_snapshot(
        db_conn, job_id=None, window_start=T0 - timedelta(hours=6), items=[item], growth={}, source_errors=[]
    )
    subset_job, _ = job_store.create_job(db_conn, "trends", {"sources": ["beta"]})
    trends_store.insert_snapshot(
        db_conn,
        job_id=subset_job.id,
        window_start=T0 - timedelta(hours=1),
        items=[{**item, "source": "beta", "count": 1}],
        growth={},
        source_errors=[],
    )
    # When the next full run looks for its baseline
    baseline = trends_store.previous_snapshot(db_conn, T0)
    # Then it is the last full snapshot, not the partial one
    assert baseline is not None and baseline.window_start == full.window_start
