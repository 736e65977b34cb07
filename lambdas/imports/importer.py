"""One events file, line by line, through the same judge and writer as POST /v1/events, in batches.

Each line is one event (blank lines are skipped); a line that is not JSON,
too long, or an event that breaks a rule is reported with its line number
and the rest go on. The events are written a batch at a time (one statement
each, duplicates skipped as for the API), so a file imported twice, or a
retried attempt, counts nothing twice. Progress is saved every few batches
and when time runs short; the next attempt continues after the last saved
line. Reading stops (`StopReading`) on what no retry can fix: a file too
big, text past the limit, too many lines, corrupt gzip, or a file whose
first lines are none of them JSON objects (not NDJSON at all).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from common import event_intake
from common.events import EventRules
from imports import ndjson
from imports.report import Report
from imports.settings import ImportSettings

# Batches between two progress saves (and the one the time check forces).
SAVE_EVERY = 20
# So many lines read without one JSON object: the file is not NDJSON.
NOT_NDJSON_AFTER = 1000


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def run(
    chunks: Iterable[bytes],
    *,
    size: int,
    report: Report,
    rules: EventRules,
    connection: event_intake.Connect,
    settings: ImportSettings,
    save: Callable[[Report], None],
    time_left: Callable[[], bool],
) -> Report:
    """Import the file; `report` (resumed or fresh) is updated as it goes and returned complete.

    `time_left()` is asked after each batch: False saves the progress and
    raises the `TransientError` that hands the message back.
    """
    from common.errors import TransientError

    if size > settings.max_object_bytes:
        raise ndjson.StopReading(
            "file_too_large", f"the file is {size} bytes; the limit is {settings.max_object_bytes}: split it"
        )
    gzipped, text = ndjson.text(chunks, max_bytes=settings.max_text_bytes)
    report.file["gzip"] = gzipped
    pending: list[Any] = []
    pending_lines: list[int] = []
    batches = 0
    objects = 0

    def flush(upto: int) -> None:
        nonlocal batches
        if pending:
            results = event_intake.judge_and_write(
                pending, rules=rules, connection=connection, where=lambda i: f"line {pending_lines[i]}"
            )
            report.add(results, pending_lines)
            pending.clear()
            pending_lines.clear()
            batches += 1
        report.lines = max(report.lines, upto)

    handled = report.lines
    fresh = report.lines == 0
    try:
        for number, line in ndjson.lines(text, max_line_bytes=settings.max_line_bytes):
            if number <= report.lines:
                continue  # handled by an earlier attempt
            if number > settings.max_lines:
                raise ndjson.StopReading(
                    "too_many_lines", f"the file has more than {settings.max_lines} lines: split it"
                )
            parsed = _parse(line, settings.max_line_bytes)
            if isinstance(parsed, _Unreadable):
                report.reject(number, [{"field": f"line {number}", "problem": parsed.problem}])
            elif parsed is not _BLANK:
                objects += isinstance(parsed, dict)
                pending.append(parsed)
                pending_lines.append(number)
            handled = number
            if fresh and objects == 0 and number >= NOT_NDJSON_AFTER:
                raise ndjson.StopReading(
                    "not_ndjson", f"none of the first {number} lines is a JSON object: the file is not NDJSON"
                )
            if len(pending) >= settings.batch:
                flush(handled)
                if not time_left():
                    save(report)
                    raise TransientError("import_continues", f"out of time after line {report.lines}; progress saved")
                if batches % SAVE_EVERY == 0:
                    save(report)
    except ndjson.StopReading:
        # The lines before the stop are handled and counted: the report says exactly how far the file got.
        flush(handled)
        raise
    flush(handled)
    return report


_BLANK = object()


class _Unreadable(NamedTuple):
    problem: str


def _parse(line: bytes | None, limit: int) -> Any:
    """The line's JSON value; `_BLANK` for a blank line; `_Unreadable` saying what is wrong with it."""
    if line is None:
        return _Unreadable(f"is longer than {limit} bytes")
    if not line.strip():
        return _BLANK
    try:
        return _DECODER.decode(line.decode("utf-8"))
    except UnicodeDecodeError:
        return _Unreadable("is not UTF-8 text")
    except ValueError as exc:
        return _Unreadable(f"is not JSON ({exc})")
    except RecursionError:
        return _Unreadable("is nested too deeply")
