"""Growth per source and scale, and the confidence that reflects the sample behind a change."""

from __future__ import annotations

import pytest

from cron.trend_growth import compute_growth, confidence, movers

FYP_VIEWS = ("hashtag", "fyp", "views")
FYP_MENTIONS = ("hashtag", "fyp", "mentions")


def test_only_sources_with_a_baseline_contribute_to_growth():
    # Given source a (baseline 10) and source b seen for the first time
    growth = compute_growth({"a": {FYP_MENTIONS: 30}, "b": {FYP_MENTIONS: 500}}, {"a": {FYP_MENTIONS: 10}})
    # Then b's 500 mentions are its baseline, not a rise
    assert growth["hashtag:fyp@mentions"]["previous"] == 10
    assert growth["hashtag:fyp@mentions"]["current"] == 30
    assert growth["hashtag:fyp@mentions"]["sources"] == ["a"]


def test_an_item_a_source_stopped_listing_is_a_fall_for_that_source():
    growth = compute_growth({"a": {FYP_VIEWS: 5}}, {"a": {FYP_VIEWS: 5, ("hashtag", "gone", "views"): 80}})
    assert growth["hashtag:gone@views"]["change"] == -80


def test_a_source_absent_now_adds_no_fall():
    growth = compute_growth({"a": {FYP_VIEWS: 5}}, {"a": {FYP_VIEWS: 5}, "b": {FYP_VIEWS: 9000}})
    assert growth["hashtag:fyp@views"]["previous"] == 5


def test_scales_never_mix():
    growth = compute_growth({"a": {FYP_VIEWS: 1000, FYP_MENTIONS: 2}}, {"a": {FYP_VIEWS: 10, FYP_MENTIONS: 2}})
    assert growth["hashtag:fyp@views"]["change"] == 990 and growth["hashtag:fyp@mentions"]["change"] == 0


@pytest.mark.parametrize(
    ("previous", "current", "low", "high"),
    [(1, 2, 0.4, 0.5), (10, 30, 0.99, 1.0), (100, 101, 0.0, 0.1), (0, 5, 0.97, 0.98)],
)
def test_mention_confidence_grows_with_the_sample(previous, current, low, high):
    assert low <= confidence("mentions", previous, current, 1) <= high


def test_total_confidence_grows_with_the_sources_that_agree():
    assert [confidence("views", 10, 20, n) for n in (1, 2, 3)] == [0.5, 0.75, 0.875]
    assert confidence("views", 10, 10, 3) == 0.0


def test_movers_rank_by_confidence_and_leave_out_noise():
    growth = compute_growth(
        {"a": {FYP_MENTIONS: 40, ("hashtag", "noise", "mentions"): 3, ("hashtag", "down", "mentions"): 1}},
        {"a": {FYP_MENTIONS: 10, ("hashtag", "noise", "mentions"): 2, ("hashtag", "down", "mentions"): 12}},
    )
    rising, falling = movers(growth, top_n=5)
    assert [g["name"] for g in rising] == ["fyp"]  # 2 -> 3 mentions is not confident enough to report
    assert [g["name"] for g in falling] == ["down"]
