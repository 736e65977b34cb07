"""Reading NDJSON text: line numbers, over-long lines skipped as they stream, CRLF, a last line without newline."""

from __future__ import annotations

import gzip

import pytest

from imports import ndjson


def _lines(chunks: list[bytes], limit: int = 10) -> list[tuple[int, bytes | None]]:
    return list(ndjson.lines(chunks, max_line_bytes=limit))


def test_lines_split_across_chunks_are_joined():
    assert _lines([b"ab", b"c\nde", b"f\r\n", b"g"]) == [(1, b"abc"), (2, b"def"), (3, b"g")]


def test_an_over_long_line_is_none_and_the_next_line_is_intact():
    assert _lines([b"0123456789", b"0123\nok\n"]) == [(1, None), (2, b"ok")]


def test_an_over_long_last_line_without_newline_is_reported():
    assert _lines([b"ok\n", b"x" * 11]) == [(1, b"ok"), (2, None)]


def test_gzip_is_recognised_by_its_magic_whatever_the_chunking():
    data = gzip.compress(b"a\nb\n")
    gzipped, text = ndjson.text([data[:1], data[1:]], max_bytes=100)
    assert gzipped is True and b"".join(text) == b"a\nb\n"


def test_plain_text_passes_through_bounded():
    gzipped, text = ndjson.text([b"abc", b"def"], max_bytes=5)
    assert gzipped is False
    with pytest.raises(ndjson.StopReading) as caught:
        list(text)
    assert caught.value.reason == "text_too_large"


def test_an_empty_file_has_no_lines():
    gzipped, text = ndjson.text([], max_bytes=5)
    assert gzipped is False and list(ndjson.lines(text, max_line_bytes=5)) == []
