"""The cost report's Azure AI line: the workload's model calls at the shipped price table."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from common import ai_prices
from stacks.config import AiCalls, load_stage_config
from stacks.synth import ROOT
from tools.cost.ai import ai_lines, ai_table, ai_total, calls_per_month


@pytest.fixture(scope="module")
def cfg():
    return load_stage_config(json.loads((ROOT / "cdk.json").read_text())["context"]["config"], "dev", environ={})


@pytest.fixture(scope="module")
def table():
    return ai_prices.load()


def _with_calls(cfg, calls: dict[str, AiCalls]):
    return cfg.model_copy(update={"workload": cfg.workload.model_copy(update={"ai_calls": calls})})


def test_every_configured_model_has_a_dated_price_with_its_source(cfg, table):
    # The stage config names the models; the price table must price each, saying where from and when
    for model in set(cfg.azure.models.values()):
        price = table.price(model)
        assert price.source.startswith("https://") and price.checked
        assert price.output_per_million > price.input_per_million > 0


def test_each_kind_of_call_is_priced_on_the_model_the_app_sends_it_to(cfg, table):
    # Given one call of each kind with known sizes
    one = AiCalls(per_month=1000, prompt_tokens=1000, answer_tokens=1000)
    calls = {"route:reasoning": one, "route:generation": one, "route:chat": one, "video": one, "trends": one}
    lines = {line.kind: line for line in ai_lines(_with_calls(cfg, calls), table)}
    # Then each is on its model: 1000 calls x 1000 tokens in and out = 1M tokens of each
    assert {k: (line.model, line.monthly) for k, line in lines.items()} == {
        "route:reasoning": ("DeepSeek-R1", 6.75),  # 1.35 + 5.40
        "route:generation": ("DeepSeek-V3", 5.7),  # 1.14 + 4.56
        "route:chat": ("Phi-4-multimodal-instruct", 0.4),  # 0.08 + 0.32
        "video": ("Phi-4-multimodal-instruct", 0.4),
        "trends": ("DeepSeek-V3", 5.7),
    }


def test_video_and_trends_calls_follow_the_videos_and_the_schedule(cfg):
    # Given kinds with no per_month of their own
    calls = {"video": AiCalls(prompt_tokens=1, answer_tokens=1), "trends": AiCalls(prompt_tokens=1, answer_tokens=1)}
    cfg = _with_calls(cfg, calls)
    # Then one analysis per video and one summary per trends run: rate(6 hours) is 4 a day
    assert calls_per_month(cfg, "video") == cfg.workload.videos_per_month == 3000
    assert calls_per_month(cfg, "trends") == pytest.approx(730 / 24 * 4)


def test_images_are_input_tokens_and_the_call_is_rounded_up_to_a_micro_dollar(cfg, table):
    # Given a vision call: 100 tokens of text and 2 images of 800 tokens, 50 tokens answered, 3 a month
    calls = {"route:vision": AiCalls(per_month=3, prompt_tokens=100, images=2, image_tokens=800, answer_tokens=50)}
    (line,) = ai_lines(_with_calls(cfg, calls), table)
    # Then 1700 input tokens x 0.08 + 50 x 0.32 = 152 micro-dollars a call
    assert (line.input_tokens, line.output_tokens, line.calls) == (1700, 50, 3)
    assert line.monthly == pytest.approx(3 * 152 / 1e6)
    # And one micro-dollar more in the exact price rounds the call up
    one_token = {"route:chat": AiCalls(per_month=1, prompt_tokens=1, answer_tokens=0)}
    assert ai_lines(_with_calls(cfg, one_token), table)[0].monthly == 0.000001


@pytest.mark.parametrize("kind", ["route:poetry", "audio"])
def test_a_kind_the_stage_cannot_send_stops_the_report(cfg, table, kind):
    with pytest.raises(ValueError, match=kind):
        ai_lines(_with_calls(cfg, {kind: AiCalls(per_month=1, prompt_tokens=1, answer_tokens=1)}), table)


def test_a_route_kind_needs_its_calls_a_month(cfg, table):
    with pytest.raises(ValueError, match="needs per_month"):
        ai_lines(_with_calls(cfg, {"route:chat": AiCalls(prompt_tokens=1, answer_tokens=1)}), table)


def test_the_default_workload_is_priced_and_shown_beside_aws_fixed_and_usage(cfg, table):
    # Given the dev stage's default workload
    lines = ai_lines(cfg, table)
    # When the AI table is printed beside AWS figures
    text = ai_table(lines, aws_fixed=35.5, aws_usage=2.25)
    # Then every kind has its line, unconfirmed prices say so, and the month adds AWS and AI up
    assert [line.kind for line in lines] == list(cfg.workload.ai_calls)
    assert text.count("price not confirmed offline") == sum(not line.confirmed for line in lines)
    total = ai_total(lines)
    assert total == pytest.approx(17.2, abs=0.01)  # the figure docs/cost.md gives for the default workload
    assert text.splitlines()[-1] == (
        f"month: AWS fixed 35.50 + AWS usage 2.25 + Azure AI {total:.2f} = {35.5 + 2.25 + total:.2f} USD"
    )
    assert Decimal(str(total)) == sum(Decimal(str(line.monthly)) for line in lines)


def test_make_cost_prints_the_ai_line_after_the_aws_table(monkeypatch, capsys):
    from tools.cost import __main__ as cost_main

    # Given a stage whose templates price to nothing (the AWS side is tested on its own)
    monkeypatch.setattr(cost_main, "read_templates", lambda _out, _stage: {})
    # When the report runs
    assert cost_main.main(["--no-compare"]) == 0
    out = capsys.readouterr().out
    # Then the Azure AI table follows the AWS one, and the month adds them up
    assert out.index("Monthly cost of stage 'dev'") < out.index("Azure AI (list prices")
    assert "route:reasoning    DeepSeek-R1" in out
    assert out.rstrip().splitlines()[-1] == "month: AWS fixed 0.00 + AWS usage 0.00 + Azure AI 17.20 = 17.20 USD"
