"""What a model call costs: the shipped price table, usage turned into micro-dollars, the worst case reserved."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from common import ai_prices
from common.errors import ConfigurationError


@pytest.fixture(scope="module")
def table():
    return ai_prices.load()


def test_the_shipped_table_prices_each_model_per_million_tokens_with_source_and_date(table):
    r1, v3, phi = (table.price(m) for m in ("DeepSeek-R1", "DeepSeek-V3", "Phi-4-multimodal-instruct"))
    assert (r1.input_per_million, r1.output_per_million) == (Decimal("1.35"), Decimal("5.40"))
    assert (v3.input_per_million, v3.output_per_million) == (Decimal("1.14"), Decimal("4.56"))
    assert (phi.input_per_million, phi.output_per_million, phi.image_tokens) == (
        Decimal("0.08"),
        Decimal("0.32"),
        2000,
    )
    # Text-only models take no images; every price says where it is from, when, and that it is unconfirmed
    assert r1.image_tokens == v3.image_tokens == 0
    for price in (r1, v3, phi):
        assert price.source.startswith("https://azure.microsoft.com/") and price.checked == "2026-11-30"
        assert price.confirmed is False


def test_cost_is_input_and_output_at_their_prices_rounded_up_to_a_micro_dollar(table):
    v3 = table.price("DeepSeek-V3")
    # 1M tokens each way is the two list prices
    assert v3.cost(1_000_000, 1_000_000) == 5_700_000
    # 10 x 1.14 + 990 x 4.56 = 4525.8 -> 4526; exact amounts are not rounded
    assert v3.cost(10, 990) == 4526
    assert v3.cost(100, 0) == 114 and v3.cost(0, 100) == 456
    assert v3.cost(1, 0) == 2  # 1.14 -> 2
    assert v3.cost(0, 0) == 0


def test_negative_counts_cost_nothing(table):
    v3 = table.price("DeepSeek-V3")
    assert v3.cost(-5, 10) == 46 and v3.cost(10, -5) == 12 and v3.cost(-1, -1) == 0


def test_the_worst_case_is_the_input_bound_each_image_and_max_tokens_of_output(table):
    phi = table.price("Phi-4-multimodal-instruct")
    # (100 + 2 x 2000) x 0.08 + 500 x 0.32 = 328 + 160
    assert phi.worst_case(100, 2, 500) == 488
    assert phi.worst_case(100, 0, 500) == 168
    assert phi.worst_case(100, -3, 500) == 168  # no negative images


@pytest.mark.parametrize(
    ("prompt", "completion", "reasoning", "total", "billed"),
    [
        (10, 100, 0, 110, 100),  # no reasoning reported
        (10, 100, 60, 110, 100),  # reasoning inside completion (the OpenAI convention): counted once
        (10, 100, 60, 170, 160),  # reported apart (the total says so): both billed as output
        (10, 100, 60, 169, 100),  # a total one short of apart: inside
        (10, 40, 60, 50, 60),  # reasoning larger than a completion that should hold it: the larger
        (-5, 100, 60, 158, 100),  # a negative prompt is none (else 155 would fit the total: apart)
        (10, -1, 60, 70, 60),  # a negative completion is none
        (10, 100, -60, 50, 100),  # a negative reasoning is none
        (-5, 100, 60, 160, 160),  # a negative prompt counts 0 (not 1): the total fits apart exactly
        (-5, 100, 60, 159, 100),  # ... and not -1: one short of apart
        (10, 0, 0, 10, 0),  # nothing answered costs nothing (a clamp to 1 would bill a token)
        (10, 100, -60, 109, 100),  # a negative reasoning counts 0, not -1 (which would look reported apart)
    ],
)
def test_reasoning_tokens_are_billed_as_output_once(prompt, completion, reasoning, total, billed):
    assert ai_prices.billed_output_tokens(prompt, completion, reasoning, total) == billed


def test_a_model_without_a_price_is_a_configuration_error_naming_it(table):
    with pytest.raises(ConfigurationError, match="'GPT-9'.*DeepSeek-R1, DeepSeek-V3, Phi-4-multimodal-instruct"):
        table.price("GPT-9")


def _table(tmp_path, entry: dict) -> ai_prices.PriceTable:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"M": entry}}))
    return ai_prices.load(path)


GOOD = {
    "input_per_million": 1,
    "output_per_million": 2,
    "source": "https://x",
    "checked": "2026-01-01",
    "confirmed": True,
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"input_per_million": None}, "'M'.*input_per_million"),
        ({"output_per_million": "free"}, "M"),
        ({"input_per_million": -1}, "not a price"),
        ({"output_per_million": "NaN"}, "not a price"),
        ({"output_per_million": "Infinity"}, "not a price"),
        ({"source": None}, "M"),
    ],
)
def test_a_bad_price_entry_names_the_model(tmp_path, change, problem):
    entry = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(ConfigurationError, match=problem):
        _table(tmp_path, entry)


def test_a_price_entry_may_omit_image_tokens_and_reads_its_fields(tmp_path):
    price = _table(tmp_path, GOOD).price("M")
    assert price == ai_prices.ModelPrice("M", Decimal(1), Decimal(2), 0, "https://x", "2026-01-01", True)
    assert _table(tmp_path, {**GOOD, "input_per_million": 0}).price("M").input_per_million == 0


def test_prices_cannot_be_changed_once_read(table):
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        table.price("DeepSeek-V3").output_per_million = Decimal(0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.models = {}


def test_the_container_reads_the_table_once_and_micro_dollars_convert_to_dollars():
    assert ai_prices.prices() is ai_prices.prices()
    assert ai_prices.usd(4526) == 0.004526 and ai_prices.usd(2_000_000) == 2.0
