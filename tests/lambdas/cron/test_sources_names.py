"""One normalisation for hashtags, topics and sounds; what counts as a hashtag mention."""

from __future__ import annotations

import unicodedata

import pytest

from cron.trend_names import hashtags, mentions, normalize, sound_identity


@pytest.mark.parametrize(
    ("spellings", "key"),
    [
        (["#FYP", "ｆｙｐ", "fyp", " #Fyp "], "fyp"),
        (["café", "cafe", unicodedata.normalize("NFD", "café"), "CAFÉ"], "cafe"),
        (["Straße", "STRASSE"], "strasse"),
    ],
    ids=["width-and-case", "accents-composed-or-not", "casefold"],
)
def test_spellings_of_one_name_share_one_key(spellings, key):
    assert {normalize(s) for s in spellings} == {key}


def test_marks_that_are_letters_in_other_scripts_are_kept():
    # Devanagari vowel signs are combining marks; folding them would merge different words
    assert normalize("नमस्ते") == unicodedata.normalize("NFC", "नमस्ते")
    assert normalize("किताब") != normalize("कताब")


@pytest.mark.parametrize(
    "spelling",
    ["Espresso - Sabrina Carpenter", "ESPRESSO – Sabrina Carpenter", "espresso —  sabrina  carpenter "],
)
def test_one_sound_under_three_spellings_has_one_identity(spelling):
    assert sound_identity(spelling) == sound_identity("Espresso", "Sabrina Carpenter") == "espresso - sabrina carpenter"


def test_a_sound_title_with_a_dash_keeps_the_last_part_as_artist():
    assert sound_identity("Espresso - Sped Up - Sabrina Carpenter") == "espresso sped up - sabrina carpenter"


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("reply at https://blog.example.com/post/#respond", set()),
        ("page#section and a&#39;b", set()),
        ("colours #fff #000 #1a2b3c #FFAA00", set()),
        ("#cafe #bad #2024 #y2k", {"cafe", "bad", "y2k"}),
    ],
    ids=["url-fragment", "fragment-and-entity", "colour-codes", "words-that-look-hex"],
)
def test_what_is_a_hashtag(text, tags):
    assert hashtags(text) == tags


def test_a_document_mentions_a_name_once():
    counts = mentions(["#booktok #BookTok #BOOKTOK #ｂｏｏｋｔｏｋ #booktok", "#booktok"])
    assert counts == {("hashtag", "booktok"): 2}
