"""A query string read through a Shape: every value arrives as a string, integer fields leave as integers.

Bad inputs tried: a non-digit, a negative or signed number, a decimal, a non-ASCII digit, a thousand-digit
number, a value out of range, an unknown parameter, a missing required one.
"""

from __future__ import annotations

import pytest

from common.schema import Field, SchemaError, Shape

QUERY = Shape(
    "Query",
    "A page of things.",
    {
        "kind": Field("string", "A kind.", required=True, enum=("a", "b")),
        "limit": Field("integer", "Per page.", low=1, high=100, default=20),
    },
)


def _problems(params: dict[str, str]) -> dict[str, str]:
    with pytest.raises(SchemaError) as caught:
        QUERY.validate_query(params)
    return {p.field: p.problem for p in caught.value.problems}


def test_an_integer_parameter_is_read_as_an_integer() -> None:
    # Given a query string's values, all strings, when read, then the integer field is an int
    assert QUERY.validate_query({"kind": "a", "limit": "42"}) == {"kind": "a", "limit": 42}


def test_an_absent_optional_parameter_is_left_out_for_the_route_to_default() -> None:
    assert QUERY.validate_query({"kind": "b"}) == {"kind": "b"}


@pytest.mark.parametrize("raw", ["ten", "-5", "+5", "4.0", "٤٢", "1" * 1000, " 5"])
def test_a_value_that_is_not_a_plain_decimal_integer_is_refused(raw: str) -> None:
    # Given a limit that is not ASCII digits of reasonable length, when read, then limit is named as not an integer
    assert _problems({"kind": "a", "limit": raw}) == {"limit": "must be an integer, got string"}


@pytest.mark.parametrize(("raw", "message"), [("0", "must be at least 1"), ("101", "must be at most 100")])
def test_an_integer_out_of_range_is_refused_with_its_bound(raw: str, message: str) -> None:
    assert _problems({"kind": "a", "limit": raw}) == {"limit": message}


def test_every_problem_is_named_at_once() -> None:
    # Given an unknown parameter, a missing required one and a bad integer, then all three are reported
    assert _problems({"sort": "x", "limit": "x"}) == {
        "sort": "is not a known field",
        "kind": "is required",
        "limit": "must be an integer, got string",
    }


def test_the_documented_schema_carries_the_default() -> None:
    assert QUERY.fields["limit"].json_schema()["default"] == 20
