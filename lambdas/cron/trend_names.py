"""The one normalisation of trend names, and the mentions of hashtags and sounds in text.

Policy (docs/trends.md says the same for creators):

- Unicode NFKC, so full-width ``ｆｙｐ`` is ``fyp`` and ligatures split; then casefold.
- Accents are folded on Latin letters only: ``café`` = ``cafe``, decomposed or
  not. Other scripts keep their combining marks, because there they are vowels
  (Devanagari, Thai), not decoration.
- Runs of spaces become one space; dash variants in a sound (``–``, ``—``) are ``-``.
- A sound's identity is its title and artist (``title - artist``), each normalised.
- ``#`` right after a letter, digit, ``/`` or ``&`` is a URL fragment or an
  entity, and a colour code (``#fff``, ``#1a2b3c``) is not a tag.
- A document mentions a name once however often it repeats it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Literal

Kind = Literal["hashtag", "sound", "topic"]
KINDS: tuple[Kind, ...] = ("hashtag", "sound", "topic")
MAX_NAME_CHARS = 120

_HASHTAG = re.compile(r"(?<![\w/&#])#(\w+)")
_SOUND = re.compile(r"♬\s*([^\n#♬]+)")
_SPACES = re.compile(r"\s+")
_DASHES = re.compile(r"\s*[-‐‑‒–—―−]\s*")
_HEX = re.compile(r"[0-9a-f]{3,8}")
# Latin letters (Basic Latin to Latin Extended-B, plus Latin Extended Additional).
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")


def normalize(name: str) -> str:
    """The key of a hashtag or topic name (without its leading ``#``)."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _fold_latin_accents(text)
    return _SPACES.sub(" ", text).strip().lstrip("#").strip()[:MAX_NAME_CHARS]


def sound_identity(title: str, artist: str | None = None) -> str:
    """``title - artist``, each part normalised; without an artist the last `` - `` splits the text."""
    if artist is None:
        title, _, artist = _DASHES.sub(" - ", unicodedata.normalize("NFKC", title)).rpartition(" - ")
        if not title:
            title, artist = artist, ""
    parts = [normalize(_DASHES.sub(" ", p)) for p in (title, artist)]
    return " - ".join(p for p in parts if p)[:MAX_NAME_CHARS]


def is_colour_code(tag: str) -> bool:
    """``fff``, ``000``, ``1a2b3c``: hex of a colour's length with a digit, or one letter repeated."""
    lowered = tag.casefold()
    if len(lowered) not in (3, 4, 6, 8) or not _HEX.fullmatch(lowered):
        return False
    return any(c.isdigit() for c in lowered) or len(set(lowered)) == 1


def hashtags(text: str) -> set[str]:
    return {normalize(tag) for tag in _HASHTAG.findall(text) if _has_letter(tag) and not is_colour_code(tag)}


def sounds(text: str) -> set[str]:
    return {s for s in (sound_identity(raw) for raw in _SOUND.findall(text)) if s}


def mentions(documents: Iterable[str]) -> Counter[tuple[Kind, str]]:
    """How many documents mention each hashtag and sound (once per document)."""
    counts: Counter[tuple[Kind, str]] = Counter()
    for text in documents:
        counts.update(("hashtag", tag) for tag in hashtags(text))
        counts.update(("sound", sound) for sound in sounds(text))
    return counts


def _has_letter(tag: str) -> bool:
    return any(c.isalpha() for c in tag)


def _fold_latin_accents(text: str) -> str:
    out: list[str] = []
    base_is_latin = False
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            if not base_is_latin:
                out.append(char)
            continue
        base_is_latin = bool(_LATIN.match(char))
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))
