"""The imports worker's own settings, read once per container from the environment the Video stack sets."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from common.errors import ConfigurationError
from common.events import DEFAULT_LOOKBACK_HOURS

EVENTS_PREFIX = "events/"


@dataclass(frozen=True)
class ImportSettings:
    uploads_bucket: str | None = None
    prefix: str = EVENTS_PREFIX
    # The same list and look-back as POST /v1/events (both from stage config events / cron).
    event_types: tuple[str, ...] = ()
    lookback: timedelta = timedelta(hours=DEFAULT_LOOKBACK_HOURS)
    # An object over this size (as stored, compressed or not) is refused before a byte is read.
    max_object_bytes: int = 256 * 1024 * 1024
    # Reading stops past this many bytes of NDJSON (what a gzip file inflates to): a gzip bomb.
    max_text_bytes: int = 1024 * 1024 * 1024
    max_lines: int = 2_000_000
    # A longer line is rejected alone (and skipped without being held in memory).
    max_line_bytes: int = 64 * 1024
    batch: int = 1000
    # Work stops this long before the Lambda timeout, to save the progress and hand the message back.
    time_reserve_s: float = 15.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ImportSettings:
        d = cls()
        try:
            return cls(
                uploads_bucket=env.get("UPLOADS_BUCKET") or None,
                prefix=env.get("EVENTS_PREFIX") or d.prefix,
                event_types=tuple(t.strip() for t in env.get("EVENT_TYPES", "").split(",") if t.strip()),
                lookback=timedelta(hours=int(env.get("EVENT_LOOKBACK_HOURS", DEFAULT_LOOKBACK_HOURS))),
                max_object_bytes=int(env.get("IMPORT_MAX_OBJECT_BYTES", d.max_object_bytes)),
                max_text_bytes=int(env.get("IMPORT_MAX_TEXT_BYTES", d.max_text_bytes)),
                max_lines=int(env.get("IMPORT_MAX_LINES", d.max_lines)),
                max_line_bytes=int(env.get("IMPORT_MAX_LINE_BYTES", d.max_line_bytes)),
                batch=int(env.get("IMPORT_BATCH", d.batch)),
                time_reserve_s=float(env.get("IMPORT_TIME_RESERVE_S", d.time_reserve_s)),
            )
        except ValueError as exc:
            raise ConfigurationError(f"invalid imports setting: {exc}") from None


@functools.cache
def import_settings() -> ImportSettings:
    return ImportSettings.from_env(os.environ)


def reset() -> None:
    import_settings.cache_clear()
