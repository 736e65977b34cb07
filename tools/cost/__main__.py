"""``python -m tools.cost --cdk-out cdk.out --stage dev``: the app's monthly cost.

Prices the stage's synthesized templates, then synthesizes the same stage
with the other NAT mode in-process (no bundling) and prints both side by side.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from common import ai_prices
from tools.cost import prices as price_table
from tools.cost.ai import ai_lines, ai_table
from tools.cost.floor import floor_line
from tools.cost.model import UnpricedResourceError, price_templates
from tools.cost.report import side_by_side, table
from tools.cost.savings import avoided_secrets

ROOT = Path(__file__).resolve().parents[2]


def read_templates(cdk_out: Path, stage: str) -> dict[str, dict]:
    """The stage's templates in a cloud assembly, keyed by stack name."""
    prefix = f"Huntaze-{stage.capitalize()}-"
    found = {
        p.name.removesuffix(".template.json"): json.loads(p.read_text())
        for p in sorted(cdk_out.glob(f"{prefix}*.template.json"))
    }
    if not found:
        raise SystemExit(
            f"error: no {prefix}*.template.json in {cdk_out}: run `cdk synth --all -c stage={stage}` first"
        )
    return found


def stage_config(stage: str):
    from stacks.config import load_stage_config
    from stacks.synth import cdk_context

    context = cdk_context()
    return load_stage_config(context["config"], stage, environ={})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.cost", description=__doc__.splitlines()[0])
    parser.add_argument("--cdk-out", type=Path, default=ROOT / "cdk.out")
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--prices", type=Path, default=price_table.DEFAULT_TABLE)
    parser.add_argument("--no-compare", action="store_true", help="skip the other-NAT-mode synth (saves ~10 s)")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the fixed cost passes the stage budget or fixed-cost target"
    )
    parser.add_argument(
        "--refresh-prices", action="store_true", help="re-read queried prices from the AWS Price List API"
    )
    args = parser.parse_args(argv)

    if args.refresh_prices:
        from tools.cost.refresh import RefreshError, refresh_table

        try:
            for key, (old, new) in refresh_table(args.prices).items():
                print(f"{key}: {old} -> {new}")
        except RefreshError as err:
            print(f"price refresh skipped: {err}", file=sys.stderr)

    from tools.cost import measured

    cfg, read = measured.apply(stage_config(args.stage))
    prices = price_table.load(args.prices)
    try:
        templates = read_templates(args.cdk_out, args.stage)
        report = price_templates(templates, cfg, prices)
    except UnpricedResourceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    budget, target = cfg.monitoring.monthly_budget_usd, cfg.monitoring.fixed_cost_target_usd
    print(table(report, budget=budget, target=target))
    print(floor_line(report, target))
    print(read)
    print(ai_table(ai_lines(cfg, ai_prices.load()), aws_fixed=report.fixed, aws_usage=report.usage))

    if not args.no_compare:
        from tools.cost.variant import synth_templates

        other = "gateway" if cfg.network.nat_mode == "instance" else "instance"
        other_cfg, other_templates = synth_templates(args.stage, {"network": {"nat_mode": other}})
        other_cfg, _ = measured.apply(other_cfg)
        other_report = price_templates(other_templates, other_cfg, prices)
        print(
            side_by_side(
                report,
                f"NAT {cfg.network.nat_mode}",
                other_report,
                f"NAT {other}",
                avoided=avoided_secrets(templates),
                secret_price=prices["secretsmanager.secret.month"],
            )
        )
    return 1 if args.check and report.fixed > min(budget, target or budget) else 0


if __name__ == "__main__":
    sys.exit(main())
