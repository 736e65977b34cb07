"""The Azure AI line of the cost report: the workload profile's model calls at the price table's list prices.

Each kind of call in ``workload.ai_calls`` is priced on its model (the one the
app would send it to: a route type's model, the video worker's vision model,
the trends worker's generation model) with ``lambdas/common/ai_prices.json``,
the same table the functions charge their budgets from.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.ai_prices import PriceTable, usd
from stacks.config import StageConfig
from tools.cost.workload import runs_per_month

ROUTE = "route:"


@dataclass(frozen=True)
class AiLine:
    kind: str
    model: str
    calls: float
    input_tokens: int  # one call's, its images included
    output_tokens: int
    monthly: float  # USD
    confirmed: bool  # the model's price was confirmed against its page


def model_for(cfg: StageConfig, kind: str) -> str:
    models = cfg.azure.models
    if kind.startswith(ROUTE):
        kind_type = kind.removeprefix(ROUTE)
        if kind_type in models:
            return models[kind_type]
        if kind_type in cfg.azure.default_types:
            return models["default"]
        raise ValueError(f"workload.ai_calls: {kind!r} is not a request type of this stage")
    if kind == "video":
        return models.get("vision", models["default"])
    if kind == "trends":
        return models.get("generation", models["default"])
    raise ValueError(f"workload.ai_calls: unknown kind {kind!r} (route:<type>, video or trends)")


def calls_per_month(cfg: StageConfig, kind: str) -> float:
    given = cfg.workload.ai_calls[kind].per_month
    if given is not None:
        return given
    if kind == "video":
        return cfg.workload.videos_per_month
    if kind == "trends":
        return runs_per_month(cfg.cron.trends_schedule.expression)
    raise ValueError(f"workload.ai_calls: {kind!r} needs per_month")


def ai_lines(cfg: StageConfig, prices: PriceTable) -> list[AiLine]:
    lines = []
    for kind, profile in cfg.workload.ai_calls.items():
        model = model_for(cfg, kind)
        price = prices.price(model)
        calls = calls_per_month(cfg, kind)
        input_tokens = profile.prompt_tokens + profile.images * profile.image_tokens
        one = price.cost(input_tokens, profile.answer_tokens)  # micro-USD, rounded up per call
        lines.append(
            AiLine(kind, model, calls, input_tokens, profile.answer_tokens, round(usd(one) * calls, 6), price.confirmed)
        )
    return lines


def ai_total(lines: list[AiLine]) -> float:
    return round(sum(line.monthly for line in lines), 6)


def ai_table(lines: list[AiLine], *, aws_fixed: float, aws_usage: float) -> str:
    """The AI lines, then the AI total beside AWS fixed and usage."""
    header = f"{'AI calls':<18} {'model':<26} {'calls/month':>11} {'in tok':>7} {'out tok':>7} {'USD/month':>10}  note"
    rows = ["", "Azure AI (list prices of lambdas/common/ai_prices.json)", header, "-" * len(header)]
    for line in lines:
        note = "" if line.confirmed else "price not confirmed offline"
        rows.append(
            f"{line.kind:<18} {line.model:<26} {line.calls:>11,.0f} {line.input_tokens:>7} "
            f"{line.output_tokens:>7} {line.monthly:>10.2f}  {note}".rstrip()
        )
    ai = ai_total(lines)
    rows.append("-" * len(header))
    rows.append(
        f"month: AWS fixed {aws_fixed:.2f} + AWS usage {aws_usage:.2f} + Azure AI {ai:.2f} "
        f"= {aws_fixed + aws_usage + ai:.2f} USD"
    )
    return "\n".join(rows)
