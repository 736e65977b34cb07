"""What a model call costs: the app's one Azure AI price table (``ai_prices.json`` beside this module).

The functions price each call from the usage Azure reports; `python -m
tools.cost` prices the workload profile with the same table. Amounts are whole
micro-dollars (1e-6 USD, rounded up per call), so budgets and ledgers add up
exactly in integers: tokens x (USD per million tokens) is micro-dollars.

Reasoning tokens are billed as output. Azure reports them inside
``completion_tokens`` (the OpenAI convention, `completion_tokens_details`);
a usage whose total shows them reported apart is billed for both.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from common.errors import ConfigurationError

TABLE = Path(__file__).with_name("ai_prices.json")
MICRO_USD = 1_000_000


@dataclass(frozen=True)
class ModelPrice:
    model: str
    input_per_million: Decimal
    output_per_million: Decimal
    # Input tokens one image may cost (0: the model takes no images).
    image_tokens: int
    source: str
    checked: str
    confirmed: bool

    def cost(self, input_tokens: int, output_tokens: int) -> int:
        """Micro-dollars for these token counts, rounded up; a negative count is none."""
        exact = max(0, input_tokens) * self.input_per_million + max(0, output_tokens) * self.output_per_million
        return math.ceil(exact)

    def worst_case(self, input_tokens: int, images: int, max_tokens: int) -> int:
        """The most a call can cost: its input bound, each image at `image_tokens`, `max_tokens` of output."""
        return self.cost(input_tokens + max(0, images) * self.image_tokens, max_tokens)


@dataclass(frozen=True)
class PriceTable:
    models: Mapping[str, ModelPrice]

    def price(self, model: str) -> ModelPrice:
        try:
            return self.models[model]
        except KeyError:
            raise ConfigurationError(
                f"no price for model {model!r} in {TABLE.name} (priced: {', '.join(sorted(self.models))})"
            ) from None


def billed_output_tokens(prompt: int, completion: int, reasoning: int, total: int) -> int:
    """The output tokens to bill: reasoning counted once, whether reported inside completion or apart."""
    prompt, completion, reasoning = max(0, prompt), max(0, completion), max(0, reasoning)
    if reasoning and total >= prompt + completion + reasoning:
        return completion + reasoning
    return max(completion, reasoning)


def load(path: Path = TABLE) -> PriceTable:
    """The table; a `ConfigurationError` naming the model and field that is missing or wrong."""
    raw = json.loads(path.read_text())
    models = {}
    for name, entry in raw["models"].items():
        try:
            models[name] = ModelPrice(
                model=name,
                input_per_million=_price(entry["input_per_million"]),
                output_per_million=_price(entry["output_per_million"]),
                image_tokens=int(entry.get("image_tokens", 0)),
                source=str(entry["source"]),
                checked=str(entry["checked"]),
                confirmed=bool(entry["confirmed"]),
            )
        except (KeyError, ValueError, ArithmeticError) as exc:
            raise ConfigurationError(f"{path.name}: model {name!r}: {exc!r}") from None
    return PriceTable(models)


def _price(value: object) -> Decimal:
    price = Decimal(str(value))
    if not price.is_finite() or price < 0:
        raise ValueError(f"not a price: {value!r}")
    return price


@functools.cache
def prices() -> PriceTable:
    """The shipped table, read once per container."""
    return load()


def usd(micro: int) -> float:
    """Micro-dollars as dollars (for answers and reports)."""
    return micro / MICRO_USD
