"""Each task's payload contract at its declared limits (common/payloads.py).

Every limit is tried on both sides of its boundary: the upload key's 1024
characters and its control characters, the source and rule lists' counts and
item lengths, the data range's order, its 93 days and its default end, and the
fields only a job row may carry. Bad inputs tried: over-long and empty items,
too many items, a key outside uploads/, C0/DEL characters, `until` without
`since`, `since == until`, a reversed range, 93 days and one microsecond, a
calendar-invalid time, a time without zone, a time outside years 1-9999 in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common import payloads
from common.schema import SchemaError

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def refusal(task: str, payload: object, **kw: object) -> str:
    with pytest.raises(SchemaError) as err:
        payloads.validate(task, payload, now=NOW, **kw)
    return err.value.detail


# --- the upload key ---------------------------------------------------------------------------


def test_a_key_of_exactly_1024_characters_is_accepted():
    # Given a key under uploads/ that is exactly S3's longest
    key = "uploads/" + "k" * (1024 - len("uploads/"))
    # When it is validated / Then it is kept as it is
    assert payloads.validate("video", {"key": key}) == {"key": key}


def test_a_key_of_1025_characters_is_refused_with_the_limit():
    key = "uploads/" + "k" * (1025 - len("uploads/"))
    assert refusal("video", {"key": key}) == "'payload.key' must be at most 1024 characters"


def test_the_key_limit_is_s3s():
    assert payloads.UPLOAD_KEY_MAX_CHARS == 1024


@pytest.mark.parametrize("key", ["clip.mp4", "uploads/", "upload/clip.mp4", "Uploads/clip.mp4", "x/uploads/clip.mp4"])
def test_a_key_outside_uploads_is_refused(key):
    assert refusal("video", {"key": key}) == "'payload.key' has an invalid format"


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1f", "\x7f", "\n"])
def test_check_upload_key_refuses_control_characters_naming_the_place(char):
    with pytest.raises(SchemaError) as err:
        payloads.check_upload_key(f"uploads/a{char}b.mp4", where="Records[0].s3.object.key")
    assert err.value.problems[0].field == "Records[0].s3.object.key"


def test_check_upload_key_names_the_key_by_default():
    with pytest.raises(SchemaError) as err:
        payloads.check_upload_key("nope.mp4")
    assert err.value.problems[0].field == "key"


@pytest.mark.parametrize("key", ["uploads/a b.mp4", "uploads/\x80é.mp4", "uploads/\x20"])
def test_check_upload_key_keeps_spaces_and_non_ascii(key):
    assert payloads.check_upload_key(key) == key


def test_the_video_key_is_required():
    assert refusal("video", {}) == "'payload.key' is required"


# --- lists of names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "field", "most", "longest"), [("trends", "sources", 20, 64), ("alerts", "rules", 50, 128)]
)
def test_a_name_list_at_its_limits_is_accepted(task, field, most, longest):
    names = ["n" * longest] + [f"n{i}" for i in range(most - 1)]
    assert payloads.validate(task, {field: names}) == {field: names}


@pytest.mark.parametrize(("task", "field", "most"), [("trends", "sources", 20), ("alerts", "rules", 50)])
def test_one_name_too_many_is_refused(task, field, most):
    names = [f"n{i}" for i in range(most + 1)]
    assert refusal(task, {field: names}) == f"'payload.{field}' must be at most {most} items"


@pytest.mark.parametrize(("task", "field", "longest"), [("trends", "sources", 64), ("alerts", "rules", 128)])
def test_a_name_one_character_too_long_is_refused(task, field, longest):
    assert refusal(task, {field: ["ok", "n" * (longest + 1)]}) == (
        f"'payload.{field}[1]' must be at most {longest} characters"
    )


@pytest.mark.parametrize(("task", "field"), [("trends", "sources"), ("alerts", "rules")])
def test_an_empty_name_is_refused(task, field):
    assert refusal(task, {field: [""]}) == f"'payload.{field}[0]' must be at least 1 characters"


@pytest.mark.parametrize("task", ["trends", "alerts", "data"])
def test_an_empty_payload_is_a_default_run(task):
    assert payloads.validate(task, {}) == {}


def test_unknown_names_names_the_unknown_and_the_known():
    with pytest.raises(SchemaError) as err:
        payloads.unknown_names(["b", "zz", "a"], {"a", "b", "c"}, "sources", "payload.sources")
    assert err.value.detail == "'payload.sources' names unknown sources: zz; known: a, b, c"


def test_unknown_names_accepts_known_names():
    assert payloads.unknown_names(["a", "b"], frozenset({"a", "b"}), "rules", "payload.rules") is None


def test_unknown_names_lists_at_most_ten_unknown_and_twenty_known():
    known = {f"k{i:02}" for i in range(25)}
    asked = [f"u{i:02}" for i in range(12)]
    with pytest.raises(SchemaError) as err:
        payloads.unknown_names(asked, known, "rules", "payload.rules")
    unknown_part, known_part = err.value.detail.split("; known: ")
    assert unknown_part.endswith(", ".join(f"u{i:02}" for i in range(10)))
    assert known_part == ", ".join(f"k{i:02}" for i in range(20))


def test_unknown_names_says_when_nothing_is_configured():
    with pytest.raises(SchemaError) as err:
        payloads.unknown_names(["x"], set(), "sources", "payload.sources")
    assert err.value.detail == "'payload.sources' names unknown sources: x; no sources are configured"


# --- the data range ---------------------------------------------------------------------------


def test_no_since_is_an_incremental_run():
    assert payloads.data_range({}) is None


def test_until_without_since_is_refused():
    assert refusal("data", {"until": "2026-03-02T00:00:00Z"}) == "'payload.until' needs 'payload.since'"


def test_data_range_alone_refuses_until_without_since():
    with pytest.raises(SchemaError) as err:
        payloads.data_range({"until": "2026-03-02T00:00:00Z"}, where="p")
    assert err.value.detail == "'p.until' needs 'p.since'"


def test_since_equal_to_until_is_refused():
    detail = refusal("data", {"since": "2026-03-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"})
    assert detail == "'payload.until' must be after 'payload.since' (the range ends at 2026-03-01T00:00:00+00:00)"


def test_a_range_of_one_microsecond_is_accepted():
    start, end = payloads.data_range({"since": "2026-03-01T00:00:00Z", "until": "2026-03-01T00:00:00.000001Z"})
    assert end - start == timedelta(microseconds=1)


def test_exactly_93_days_is_accepted():
    since = datetime(2026, 1, 1, tzinfo=UTC)
    until = since + timedelta(days=93)
    assert payloads.data_range({"since": since.isoformat(), "until": until.isoformat()}) == (since, until)


def test_93_days_and_a_microsecond_is_refused():
    since = datetime(2026, 1, 1, tzinfo=UTC)
    until = since + timedelta(days=93, microseconds=1)
    detail = refusal("data", {"since": since.isoformat(), "until": until.isoformat()})
    assert detail == "'payload' covers at most 93 days from 'since' to 'until'"


def test_a_range_without_until_ends_at_the_jobs_window_time():
    # Given a data job whose window time is NOW, with only `since`
    since = NOW - timedelta(days=1)
    # When its range is taken with that window time / Then it ends exactly there
    assert payloads.data_range({"since": since.isoformat()}, default_until=NOW) == (since, NOW)


def test_a_range_without_until_or_window_time_ends_at_the_clock():
    since = datetime.now(UTC) - timedelta(hours=1)
    before = datetime.now(UTC)
    _, end = payloads.data_range({"since": since.isoformat()})
    assert before <= end <= datetime.now(UTC)


def test_validate_checks_the_range_against_the_window_time_not_the_clock():
    # Given `since` after the window time (but before the clock)
    since = NOW + timedelta(hours=1)
    # Then the range [since, NOW) is empty and refused
    assert "must be after 'payload.since'" in refusal("data", {"since": since.isoformat()})


def test_validate_accepts_since_without_until_before_the_window_time():
    since = (NOW - timedelta(days=2)).isoformat().replace("+00:00", "Z")
    assert payloads.validate("data", {"since": since}, now=NOW) == {"since": since}


def test_times_in_other_zones_are_compared_in_utc():
    start, end = payloads.data_range({"since": "2026-03-01T01:00:00+01:00", "until": "2026-03-01T00:00:01Z"})
    assert start == datetime(2026, 3, 1, tzinfo=UTC)
    assert start.tzinfo == UTC and end.tzinfo == UTC


def test_a_time_outside_the_calendar_is_refused_naming_it():
    assert refusal("data", {"since": "2026-13-01T00:00:00Z"}) == (
        "'payload.since' is not a valid time: '2026-13-01T00:00:00Z'"
    )


def test_a_time_without_zone_is_refused():
    with pytest.raises(SchemaError) as err:
        payloads.data_range({"since": "2026-03-01T00:00:00"})
    assert err.value.detail == "'payload.since' has no time zone"


def test_a_time_before_year_one_in_utc_is_refused():
    assert refusal("data", {"since": "0001-01-01T00:00:00+23:59"}) == (
        "'payload.since' is outside the years 1-9999 in UTC: '0001-01-01T00:00:00+23:59'"
    )


def test_a_bad_until_is_named_as_until():
    detail = refusal("data", {"since": "2026-03-01T00:00:00Z", "until": "2026-02-30T00:00:00Z"})
    assert detail.startswith("'payload.until' is not a valid time")


def test_the_range_limit_is_93_days():
    assert timedelta(days=93) == payloads.MAX_DATA_RANGE


# --- fields only a job row carries -------------------------------------------------------------


def test_a_job_rows_record_only_fields_are_dropped_for_the_worker():
    row = {"key": "uploads/a.mp4", "bucket": "b", "etag": "e", "contentType": "video/mp4", "size": 1, "filename": "a"}
    assert payloads.validate("video", row, from_job=True) == {"key": "uploads/a.mp4"}


def test_the_api_refuses_record_only_fields():
    assert refusal("video", {"key": "uploads/a.mp4", "bucket": "b"}).startswith("'payload.bucket'")


def test_record_only_fields_of_one_task_are_not_dropped_for_another():
    assert refusal("alerts", {"bucket": "b"}, from_job=True).startswith("'payload.bucket'")


def test_a_job_payload_that_is_not_an_object_is_still_refused():
    assert refusal("video", ["uploads/a.mp4"], from_job=True) == "'payload' must be a JSON object, got array"


@pytest.mark.parametrize("field", ["since", "until"])
def test_the_longest_time_the_format_allows_is_accepted(field):
    # Given a time with microseconds and an offset: 32 characters, the format's longest
    since, until = "2026-03-01T00:00:00.000000+00:00", "2026-03-02T00:00:00.000000+00:00"
    assert len(since) == len(until) == 32
    payload = {"since": since, "until": until}
    # Then it is kept
    assert payloads.validate("data", payload)[field] == payload[field]
