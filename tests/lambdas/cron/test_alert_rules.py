"""Each alert rule kind at its boundaries (cron/alert_rules.py), against recorded metrics.

The metrics here are a recording stand-in for the database reader (the real
one is exercised end to end in test_alerts_kinds/test_alerts_scenarios): it
answers what the test sets and records the exact windows asked for, so a
window off by an hour or a direction flipped fails here.

Bad definitions tried: not an object, an unknown kind, an unknown key, a
missing required key, a wrong type (string for number, bool for number and
for whole), an empty string, a value outside its choices, a number below its
minimum, a whole number outside its range (both ends).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cron import alert_rules
from cron.alert_rules import RuleError, Vocabulary

AT = datetime(2026, 3, 10, 12, 34, 56, tzinfo=UTC)
HOUR = timedelta(hours=1)


@dataclass
class Recorded:
    sums: dict[tuple[datetime, datetime], Decimal] = field(default_factory=dict)
    watermark: datetime | None = AT
    failed: int = 0
    analysed: int = 0
    spend: tuple[int, int] = (0, 0)
    depths: dict[str, int] = field(default_factory=dict)
    asked: list[tuple[str, Any]] = field(default_factory=list)

    def rollup_sum(self, *, metric, event_type, account_id, content_id, start, end) -> Decimal:
        self.asked.append(("sum", (metric, event_type, account_id, content_id, start, end)))
        return self.sums.get((start, end), Decimal(0))

    def rollup_watermark(self) -> datetime | None:
        return self.watermark

    def failed_jobs(self, *, task, start, end) -> int:
        self.asked.append(("failed", (task, start, end)))
        return self.failed

    def analyses_succeeded(self, *, start, end) -> int:
        self.asked.append(("analyses", (start, end)))
        return self.analysed

    def ai_spend_month(self, at) -> tuple[int, int]:
        self.asked.append(("spend", at))
        return self.spend

    def dlq_depth(self, task) -> dict[str, int]:
        self.asked.append(("dlq", task))
        return {t: n for t, n in self.depths.items() if task is None or t == task}


END = AT.replace(minute=0, second=0)  # the last complete hour before AT


def evaluate(kind: str, definition: dict[str, Any], metrics: Recorded, at: datetime = AT):
    return alert_rules.evaluate(kind, definition, metrics, at)


# --- definitions --------------------------------------------------------------------------------


def test_a_definition_that_is_not_an_object_is_refused():
    with pytest.raises(RuleError, match="^'definition' must be an object$"):
        alert_rules.check("threshold", ["event_type"])


def test_an_unknown_kind_is_refused_naming_the_known_ones():
    with pytest.raises(RuleError) as err:
        alert_rules.check("thresold", {})
    assert str(err.value) == f"unknown kind 'thresold' (known: {', '.join(alert_rules.KINDS)})"


def test_an_unknown_key_is_refused_naming_it_and_the_known_keys():
    with pytest.raises(RuleError) as err:
        alert_rules.check("no_data", {"event_type": "view", "window_hour": 2})
    assert str(err.value) == (
        "unknown key 'window_hour' in 'definition' (known: account_id, content_id, event_type, window_hours)"
    )


def test_a_missing_required_text_is_refused():
    with pytest.raises(RuleError, match="^'event_type' is required$"):
        alert_rules.check("no_data", {})


@pytest.mark.parametrize("value", ["", 3, ["view"]])
def test_a_text_that_is_not_a_non_empty_string_is_refused(value):
    with pytest.raises(RuleError, match="^'event_type' must be a non-empty string$"):
        alert_rules.check("no_data", {"event_type": value})


def test_a_text_outside_its_choices_is_refused_with_the_choices_sorted():
    with pytest.raises(RuleError) as err:
        alert_rules.check("threshold", {"event_type": "view", "value": 1, "metric": "events"})
    assert str(err.value) == "'metric' must be one of event_count, value_sum; got 'events'"


def test_an_event_type_outside_the_vocabulary_is_refused():
    with pytest.raises(RuleError, match="'event_type' must be one of like, view; got 'vue'"):
        alert_rules.check("no_data", {"event_type": "vue"}, Vocabulary(event_types=("view", "like")))


def test_an_event_type_in_the_vocabulary_is_accepted():
    assert alert_rules.check("no_data", {"event_type": "view"}, Vocabulary(event_types=("view",))) is None


def test_a_missing_number_is_refused():
    with pytest.raises(RuleError, match="^'value' is required$"):
        alert_rules.check("threshold", {"event_type": "view"})


@pytest.mark.parametrize("value", ["5", True, [5]])
def test_a_number_of_another_type_is_refused(value):
    with pytest.raises(RuleError, match="^'value' must be a number; got "):
        alert_rules.check("threshold", {"event_type": "view", "value": value})


def test_a_percent_below_zero_is_refused_and_zero_is_accepted():
    with pytest.raises(RuleError, match=r"^'percent' must be >= 0; got -0.5$"):
        alert_rules.check("change", {"event_type": "view", "percent": -0.5})
    assert alert_rules.check("change", {"event_type": "view", "percent": 0}) is None


@pytest.mark.parametrize(
    ("kind", "key", "low", "high", "extra"),
    [
        ("no_data", "window_hours", 1, 744, {"event_type": "view"}),
        ("failed_jobs", "window_minutes", 1, 10080, {}),
        ("failed_jobs", "max", 0, 10**9, {}),
        ("dlq_depth", "max", 0, 10**9, {}),
        ("analyses", "window_hours", 1, 744, {}),
        ("analyses", "min", 1, 10**9, {}),
    ],
)
def test_a_whole_number_is_accepted_at_both_ends_and_refused_past_them(kind, key, low, high, extra):
    for ok in (low, high):
        assert alert_rules.check(kind, {**extra, key: ok}) is None
    for bad in (low - 1, high + 1, True, 1.5):
        with pytest.raises(RuleError) as err:
            alert_rules.check(kind, {**extra, key: bad})
        assert str(err.value) == f"'{key}' must be a whole number from {low} to {high}; got {bad!r}"


@pytest.mark.parametrize(("key", "bad"), [("queue", "videos"), ("task", "cron")])
def test_a_queue_or_task_must_be_a_task(key, bad):
    kind = "dlq_depth" if key == "queue" else "failed_jobs"
    with pytest.raises(RuleError, match=f"^'{key}' must be one of "):
        alert_rules.check(kind, {key: bad})


# --- threshold ----------------------------------------------------------------------------------


def test_threshold_reads_the_last_complete_hour_by_default():
    m = Recorded(sums={(END - HOUR, END): Decimal(5)})
    reading = evaluate("threshold", {"event_type": "view", "value": 5}, m)
    assert m.asked == [("sum", ("event_count", "view", None, None, END - HOUR, END))]
    assert (reading.breach, reading.value, reading.window_end) == (False, Decimal(5), END)
    assert reading.message == "event_count of view in the 1:00:00 to 12:00Z is 5 (> 5)"


@pytest.mark.parametrize(
    ("op", "value", "breach"),
    [(">", 5, False), (">=", 5, True), ("<", 5, False), ("<=", 5, True), (">", 4.99, True), ("<", 5.01, True)],
)
def test_threshold_applies_its_operator_at_the_boundary(op, value, breach):
    m = Recorded(sums={(END - HOUR, END): Decimal(5)})
    assert evaluate("threshold", {"event_type": "view", "value": value, "op": op}, m).breach is breach


def test_threshold_reads_the_scope_and_window_it_names():
    m = Recorded()
    definition = {
        "event_type": "like",
        "value": 0,
        "metric": "value_sum",
        "window_hours": 3,
        "account_id": "acc",
        "content_id": "c1",
    }
    reading = evaluate("threshold", definition, m)
    assert m.asked == [("sum", ("value_sum", "like", "acc", "c1", END - 3 * HOUR, END))]
    assert reading.message.startswith("value_sum of like account_id=acc content_id=c1 in the 3:00:00 to 12:00Z")


def test_a_window_ends_at_the_watermark_floored_when_the_data_job_is_behind():
    m = Recorded(watermark=AT - timedelta(hours=2, minutes=1))
    evaluate("threshold", {"event_type": "view", "value": 1}, m)
    assert m.asked[0][1][-1] == datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def test_a_window_never_ends_after_the_evaluation_time():
    m = Recorded(watermark=AT + timedelta(hours=5))
    evaluate("threshold", {"event_type": "view", "value": 1}, m)
    assert m.asked[0][1][-1] == END


def test_a_watermark_in_another_zone_is_read_in_utc():
    from datetime import timezone

    m = Recorded(watermark=datetime(2026, 3, 10, 13, 30, tzinfo=timezone(timedelta(hours=2))))
    evaluate("threshold", {"event_type": "view", "value": 1}, m)
    assert m.asked[0][1][-1] == datetime(2026, 3, 10, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "definition"),
    [
        ("threshold", {"event_type": "view", "value": 1}),
        ("change", {"event_type": "view", "percent": 10}),
        ("no_data", {"event_type": "view"}),
    ],
)
def test_no_watermark_is_no_data_and_reads_nothing(kind, definition):
    m = Recorded(watermark=None)
    reading = evaluate(kind, definition, m)
    assert (reading.breach, reading.value, reading.window_end) == (None, None, None)
    assert reading.message == "no rollups yet for event_count of view (the data job has not run)"
    assert m.asked == []


# --- change -------------------------------------------------------------------------------------


def change(m: Recorded, previous: int, current: int, **definition: Any):
    w = timedelta(hours=definition.get("window_hours", 1))
    m.sums = {(END - 2 * w, END - w): Decimal(previous), (END - w, END): Decimal(current)}
    return evaluate("change", {"event_type": "view", **definition}, m)


def test_change_compares_the_window_with_the_one_before_it():
    m = Recorded()
    reading = change(m, 100, 150, percent=50, window_hours=2)
    assert [a[1][-2:] for a in m.asked] == [(END - 2 * HOUR, END), (END - 4 * HOUR, END - 2 * HOUR)]
    assert (reading.breach, reading.value) == (True, Decimal("50.00"))
    assert reading.message == "event_count of view changed 50.00% (100 -> 150) over 2:00:00"


@pytest.mark.parametrize(
    ("direction", "previous", "current", "breach"),
    [
        ("up", 100, 150, True),
        ("up", 100, 149, False),
        ("up", 100, 50, False),
        ("down", 100, 50, True),
        ("down", 100, 51, False),
        ("down", 100, 150, False),
        ("any", 100, 50, True),
        ("any", 100, 150, True),
        ("any", 100, 149, False),
        ("any", 100, 51, False),
    ],
)
def test_change_breaches_in_its_direction_from_exactly_the_percent(direction, previous, current, breach):
    assert change(Recorded(), previous, current, percent=50, direction=direction).breach is breach


def test_change_is_any_direction_by_default():
    assert change(Recorded(), 100, 50, percent=50).breach is True


def test_change_value_is_rounded_to_hundredths():
    assert change(Recorded(), 3, 4, percent=50).value == Decimal("33.33")


def test_change_from_zero_to_zero_has_no_data():
    reading = change(Recorded(), 0, 0, percent=10)
    assert (reading.breach, reading.value, reading.window_end) == (None, None, END)
    assert reading.message == "no event_count of view in the two windows to 12:00Z"


@pytest.mark.parametrize(("direction", "breach"), [("up", True), ("any", True), ("down", False)])
def test_change_from_zero_is_a_rise(direction, breach):
    reading = change(Recorded(), 0, 7, percent=10, direction=direction)
    assert (reading.breach, reading.value) == (breach, None)
    assert reading.message == "event_count of view went from 0 to 7 over 1:00:00"


# --- no_data ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "breach"), [(0, True), (1, False)])
def test_no_data_breaches_only_on_zero_events(count, breach):
    m = Recorded(sums={(END - 2 * HOUR, END): Decimal(count)})
    reading = evaluate("no_data", {"event_type": "view", "window_hours": 2}, m)
    assert (reading.breach, reading.value, reading.window_end) == (breach, Decimal(count), END)
    assert reading.message == f"{count} view events in the 2:00:00 to 12:00Z"
    assert m.asked[0][1][0] == "event_count"


def test_no_data_refuses_a_metric():
    with pytest.raises(RuleError, match="unknown key 'metric'"):
        alert_rules.check("no_data", {"event_type": "view", "metric": "value_sum"})


# --- dlq_depth ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("depth", "limit", "breach"), [(0, 0, False), (1, 0, True), (3, 3, False), (4, 3, True)])
def test_dlq_depth_breaches_above_its_max(depth, limit, breach):
    m = Recorded(depths={"video": depth})
    reading = evaluate("dlq_depth", {"queue": "video", "max": limit}, m)
    assert (reading.breach, reading.value) == (breach, Decimal(depth))
    assert m.asked == [("dlq", "video")]


def test_dlq_depth_without_a_queue_sums_every_watched_dlq_and_names_the_non_empty_ones():
    m = Recorded(depths={"video": 2, "data": 0, "alerts": 1})
    reading = evaluate("dlq_depth", {}, m)
    assert m.asked == [("dlq", None)]
    assert (reading.breach, reading.value, reading.window_end) == (True, Decimal(3), None)
    assert reading.message == "3 messages in the dead-letter queues (alerts 1, video 2; max 0)"


def test_dlq_depth_says_all_empty():
    reading = evaluate("dlq_depth", {}, Recorded(depths={"video": 0}))
    assert reading.message == "0 messages in the dead-letter queues (all empty; max 0)"


# --- failed_jobs --------------------------------------------------------------------------------


@pytest.mark.parametrize(("failed", "limit", "breach"), [(0, 0, False), (1, 0, True), (2, 2, False), (3, 2, True)])
def test_failed_jobs_breaches_above_its_max(failed, limit, breach):
    reading = evaluate("failed_jobs", {"max": limit}, Recorded(failed=failed))
    assert (reading.breach, reading.value) == (breach, Decimal(failed))


def test_failed_jobs_reads_the_last_hour_of_every_task_by_default():
    m = Recorded()
    reading = evaluate("failed_jobs", {}, m)
    assert m.asked == [("failed", (None, AT - HOUR, AT))]
    assert reading.message == "0 failed jobs in the last 60 minutes (max 0)"


def test_failed_jobs_reads_its_task_and_window():
    m = Recorded(failed=4)
    reading = evaluate("failed_jobs", {"task": "video", "window_minutes": 15, "max": 3}, m)
    assert m.asked == [("failed", ("video", AT - timedelta(minutes=15), AT))]
    assert reading.message == "4 failed video jobs in the last 15 minutes (max 3)"


# --- analyses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("analysed", "least", "breach"), [(0, 1, True), (1, 1, False), (4, 5, True), (5, 5, False)])
def test_analyses_breaches_below_its_min(analysed, least, breach):
    reading = evaluate("analyses", {"min": least}, Recorded(analysed=analysed))
    assert (reading.breach, reading.value) == (breach, Decimal(analysed))


def test_analyses_reads_the_last_day_by_default():
    m = Recorded()
    reading = evaluate("analyses", {}, m)
    assert m.asked == [("analyses", (AT - timedelta(hours=24), AT))]
    assert reading.message == "0 uploads analysed in the last 24 hours (min 1)"


def test_analyses_reads_its_window():
    m = Recorded(analysed=2)
    evaluate("analyses", {"window_hours": 6}, m)
    assert m.asked == [("analyses", (AT - timedelta(hours=6), AT))]


# --- evaluation time ----------------------------------------------------------------------------


def test_an_evaluation_time_in_another_zone_is_read_in_utc():
    from datetime import timezone

    m = Recorded()
    evaluate("failed_jobs", {}, m, at=datetime(2026, 3, 10, 14, 34, 56, tzinfo=timezone(timedelta(hours=2))))
    assert m.asked[0][1][2] == AT and m.asked[0][1][2].tzinfo == UTC


# --- ai_spend -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("used", "breach"), [(23_970_000, False), (24_000_000, True), (24_030_000, True)])
def test_ai_spend_breaches_from_exactly_its_percent_of_the_monthly_budget(used, breach):
    # Given 79.9%, 80% and 80.1% of a $30 monthly budget spent (micro-dollars; the share is compared to a tenth)
    m = Recorded(spend=(used, 30_000_000))
    reading = evaluate("ai_spend", {"percent": 80}, m)
    assert reading.breach is breach
    assert m.asked == [("spend", AT)]


def test_ai_spend_says_dollars_and_the_share_rounded_to_a_tenth():
    reading = evaluate("ai_spend", {"percent": 50}, Recorded(spend=(10_004_999, 30_000_000)))
    assert reading.value == Decimal("33.3")
    assert reading.message == "AI spend this month: $10.00 of the $30.00 monthly budget (33.3%, alert at 50%)"


def test_ai_spend_without_a_budget_is_zero_percent():
    reading = evaluate("ai_spend", {"percent": 0.1}, Recorded(spend=(500, 0)))
    assert (reading.breach, reading.value) == (False, Decimal(0))


def test_ai_spend_refuses_a_negative_percent_and_accepts_zero():
    with pytest.raises(RuleError, match="^'percent' must be >= 0; got -1$"):
        alert_rules.check("ai_spend", {"percent": -1})
    assert alert_rules.check("ai_spend", {"percent": 0}) is None


def test_of_several_unknown_keys_the_first_in_order_is_named():
    with pytest.raises(RuleError, match="^unknown key 'aaa' in 'definition'"):
        alert_rules.check("dlq_depth", {"zzz": 1, "aaa": 2})


def test_a_reading_and_a_vocabulary_are_values():
    import dataclasses

    reading = alert_rules.Reading(True, Decimal(1), "m")
    vocabulary = Vocabulary(event_types=("view",))
    for value, name in ((reading, "breach"), (vocabulary, "event_types")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, name, None)
    assert hash(reading) == hash(alert_rules.Reading(True, Decimal(1), "m"))


def test_ai_spend_says_large_amounts_in_exact_dollars():
    reading = evaluate("ai_spend", {"percent": 50}, Recorded(spend=(10_000_000_000, 30_000_000_000)))
    assert reading.message == "AI spend this month: $10000.00 of the $30000.00 monthly budget (33.3%, alert at 50%)"
