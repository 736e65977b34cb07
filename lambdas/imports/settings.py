"""The imports worker's own settings, read once per container from the environment the Video stack sets.

Every value lives in the stage config (``events``; stacks/function_settings.py writes the variables);
read through common.settings.Env with no defaults of its own.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from common.settings import Env


@dataclass(frozen=True)
class ImportSettings:
    uploads_bucket: str
    prefix: str
    # The same list and look-back as POST /v1/events (both from stage config events / cron).
    event_types: tuple[str, ...]
    lookback: timedelta
    # An object over this size (as stored, compressed or not) is refused before a byte is read.
    max_object_bytes: int
    # Reading stops past this many bytes of NDJSON (what a gzip file inflates to): a gzip bomb.
    max_text_bytes: int
    max_lines: int
    # A longer line is rejected alone (and skipped without being held in memory).
    max_line_bytes: int
    batch: int
    # Work stops this long before the Lambda timeout, to save the progress and hand the message back.
    time_reserve_s: float

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ImportSettings:
        e = Env(env)
        return cls(
            uploads_bucket=e.text("UPLOADS_BUCKET"),
            prefix=e.text("EVENTS_PREFIX"),
            event_types=e.words("EVENT_TYPES"),
            lookback=timedelta(hours=e.integer("EVENT_LOOKBACK_HOURS", minimum=1)),
            max_object_bytes=e.integer("IMPORT_MAX_OBJECT_BYTES", minimum=1),
            max_text_bytes=e.integer("IMPORT_MAX_TEXT_BYTES", minimum=1),
            max_lines=e.integer("IMPORT_MAX_LINES", minimum=1),
            max_line_bytes=e.integer("IMPORT_MAX_LINE_BYTES", minimum=1),
            batch=e.integer("IMPORT_BATCH", minimum=1),
            time_reserve_s=e.number("IMPORT_TIME_RESERVE_S", above=0),
        )


@functools.cache
def import_settings() -> ImportSettings:
    return ImportSettings.from_env(os.environ)


def reset() -> None:
    import_settings.cache_clear()
