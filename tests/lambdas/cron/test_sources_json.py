"""JSON sources: item paths, field mappings, default kinds, count strings, and every skipped row's reason."""

from __future__ import annotations

import json

import pytest

from cron.sources import Page, Source, SourceError, parse
from cron.trend_counts import MAX_COUNT, parse_count
from stacks.config import TrendSourceConfig

# A JSON source as the Cron stack dumps it (every field; the defaults are the stage config's).
BASE = TrendSourceConfig(name="j", url="https://example.com/t", kind="json", count_scale="posts").model_dump()


def _source(**fields):
    return Source.from_dict({**BASE, **fields})


def _parse(doc, **fields):
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return parse(_source(**fields), Page("https://example.com/t", body, "application/json"))


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        (4200, 4200),
        (4200.0, 4200),
        ("4200", 4200),
        ("4,200", 4200),
        ("1.2M", 1_200_000),
        ("15k", 15_000),
        ("50K+", 50_000),
        ("2,000+", 2_000),
        ("1.5B", 1_500_000_000),
    ],
)
def test_count_forms_sources_use(raw, count):
    assert parse_count(raw) == count


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "no count"),
        (True, "boolean"),
        ("lots", "not a number"),
        (-1, "negative"),
        (float("inf"), "not a finite number"),
        (float("nan"), "not a finite number"),
        (MAX_COUNT + 1, "larger than"),
        ([3], "list"),
    ],
)
def test_what_is_not_a_count_says_why(raw, reason):
    with pytest.raises(ValueError, match=reason):
        parse_count(raw)


def test_huge_numbers_skip_their_rows_and_the_source_still_answers():
    # Given 1e400 (infinity to json.loads) and an integer of 500 digits (past Python's int-parsing limit)
    body = (
        b'{"items": [{"name": "#a", "count": 1e400}, {"name": "#b", "count": 1' + b"0" * 500 + b"}, "
        b'{"name": "#c", "count": 7}]}'
    )
    result = _parse(body)
    assert result.counts == {("hashtag", "c", "posts"): 7}
    assert [r["row"] for r in result.skipped] == [0, 1]
    assert all("finite" in r["reason"] for r in result.skipped)


def test_rows_of_the_wrong_shape_are_each_reported():
    result = _parse(
        {
            "items": [
                {"name": "#ok", "count": 1},
                "just text",
                {"count": 3, "type": "hashtag"},
                {"name": "x", "count": 3, "type": "emoji"},
                {"name": "no type", "count": 3},
                {"name": "#", "count": 3},
            ]
        }
    )
    assert result.counts == {("hashtag", "ok", "posts"): 1}
    assert [r["reason"] for r in result.skipped] == [
        "row is a str, not an object",
        "name is missing or not text",
        "type 'emoji' is not one of hashtag, sound, topic",
        "no type and the source has no default_type",
        "name is empty once normalised",
    ]


def test_dotted_fields_and_sound_artist_make_the_sound_identity():
    result = _parse(
        {
            "data": {
                "sounds": [
                    {"music": {"title": "Espresso", "author": "Sabrina Carpenter"}, "stats": {"posts": "12K"}},
                    {"music": {"title": "ESPRESSO", "author": "sabrina carpenter"}, "stats": {"posts": 500}},
                ]
            }
        },
        items_path="data.sounds",
        name_field="music.title",
        artist_field="music.author",
        count_field="stats.posts",
        default_type="sound",
    )
    assert result.counts == {("sound", "espresso - sabrina carpenter", "posts"): 12_500}


@pytest.mark.parametrize(
    ("body", "path"),
    [(b'{"data": {"list": {"a": 1}}}', "data.list"), (b'{"other": []}', "data.list")],
    ids=["not-a-list", "missing-path"],
)
def test_unusable_page_is_a_source_error(body, path):
    with pytest.raises(SourceError) as err:
        _parse(body, items_path=path)
    assert err.value.reason == "malformed_page" and path in err.value.message


def test_a_json_source_without_a_scale_is_refused():
    with pytest.raises(ValueError, match="count_scale"):
        Source.from_dict({**BASE, "count_scale": None})
