"""An events file's bytes as numbered NDJSON lines: gzip inflated on the fly, every size bounded.

Memory stays bounded whatever the file holds: the inflater is asked for at
most `OUT_BYTES` at a time (a gzip bomb is stopped by the running total, not
by its size on disk), and a line longer than the limit is skipped as it
streams past, never held. A gzip file is recognised by its magic bytes,
whatever its name; concatenated gzip members (`cat a.gz b.gz`) are one file.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from common.errors import PermanentError

GZIP_MAGIC = b"\x1f\x8b"
OUT_BYTES = 256 * 1024
_GZIP_WBITS = 31


class StopReading(PermanentError):
    """The file cannot be read past this point (too big, corrupt); lines before it were handled."""


def text(chunks: Iterable[bytes], *, max_bytes: int) -> tuple[bool, Iterator[bytes]]:
    """(whether the file is gzip, its text in chunks); `StopReading` once the text passes `max_bytes`."""
    stream = iter(chunks)
    head = b""
    for chunk in stream:
        head += chunk
        if len(head) >= len(GZIP_MAGIC):
            break
    gzipped = head.startswith(GZIP_MAGIC)
    source = _chain(head, stream)
    return gzipped, _bounded(_inflate(source) if gzipped else source, max_bytes)


def lines(chunks: Iterable[bytes], *, max_line_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number from 1, the line without its newline; None for a line over `max_line_bytes`)."""
    held = bytearray()
    too_long = False
    number = 0
    for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not too_long:
                if len(held) + len(piece) > max_line_bytes:
                    too_long = True
                    held.clear()
                else:
                    held += piece
            if end < 0:
                break
            number += 1
            yield number, None if too_long else bytes(held).rstrip(b"\r")
            held.clear()
            too_long = False
            start = end + 1
    if held or too_long:
        yield number + 1, None if too_long else bytes(held).rstrip(b"\r")


def _chain(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if head:
        yield head
    yield from rest


def _inflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    inflater = zlib.decompressobj(_GZIP_WBITS)
    fed = False
    try:
        for chunk in chunks:
            data = chunk
            while data or fed:
                fed = True
                out = inflater.decompress(data, OUT_BYTES)
                if out:
                    yield out
                data = inflater.unconsumed_tail
                if inflater.eof:
                    # Another gzip member may follow; zero padding after the last one is allowed.
                    data = inflater.unused_data + data
                    inflater = zlib.decompressobj(_GZIP_WBITS)
                    fed = False
                    if not data.strip(b"\0"):
                        data = b""
                        break
                elif not data and not out:
                    break
    except zlib.error as exc:
        raise StopReading("corrupt_gzip", f"the gzip data is corrupt ({exc})") from None
    if fed and not inflater.eof:
        raise StopReading("corrupt_gzip", "the gzip data ends before its end marker (a truncated file)")


def _bounded(chunks: Iterator[bytes], max_bytes: int) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:
            # The text up to the limit is still read: the lines it completes are handled.
            yield chunk[: len(chunk) - (total - max_bytes)]
            raise StopReading(
                "text_too_large", f"the file's text passes {max_bytes} bytes (gzip inflates it beyond the limit)"
            )
        yield chunk
