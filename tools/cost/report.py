"""Plain-text tables of a cost report, and the NAT side-by-side."""

from __future__ import annotations

from collections.abc import Sequence

from tools.cost.model import CostReport

_FREE_TIERS = {
    "account": "free tiers: 'account' - the lasting per-account free tiers are credited to this stage "
    "(true only if no other stage of the account takes them)",
    "none": "free tiers: 'none' - no free tier credited (another stage of the same account takes them)",
}


def _money(value: float) -> str:
    return f"{value:9.2f}" if value else "        -"


def table(report: CostReport, *, budget: float | None = None, target: float | None = None) -> str:
    rows = [f"Monthly cost of stage '{report.stage}' (USD, us-east-2 on-demand)", _FREE_TIERS[report.free_tiers], ""]
    header = f"{'stack':<11} {'resource':<44} {'what':<38} {'fixed':>9} {'usage':>9}  note"
    rule = "-" * len(header)
    rows += [header, rule]
    costs = [i for i in report.items if not i.credit]
    for item in sorted(costs, key=lambda i: (i.stack == "*", i.stack, -i.fixed, -i.usage, i.resource)):
        rows.append(_row(item.stack, item.resource, item.what, item.fixed, item.usage, item.note))
    rows.append(rule)
    rows.append(
        _row("subtotal", "before free-tier credits", "", report.fixed_before_credits, report.usage_before_credits)
    )
    for item in sorted((i for i in report.items if i.credit), key=lambda i: (i.fixed, i.usage)):
        rows.append(_row(item.stack, item.resource, item.what, item.fixed, item.usage, item.note))
    if report.free_tiers == "none":
        rows.append(_row("*", "free tier", "none credited", 0, 0))
    rows.append(rule)
    rows.append(
        _row("total", "after free-tier credits", "", report.fixed, report.usage, f"= {report.total:.2f} a month")
    )
    rows.append(
        f"fixed cost: {report.fixed_before_credits:.2f} before free-tier credits, {report.fixed_credits:+.2f} credits, "
        f"{report.fixed:.2f} after"
    )
    for name, limit in (("target", target), ("budget", budget)):
        if limit is not None:
            verdict = "within" if report.fixed <= limit else "OVER"
            rows.append(
                f"fixed cost {report.fixed:.2f} is {verdict} the stage's fixed-cost {name} of {limit:.2f}"
                if name == "target"
                else f"fixed cost {report.fixed:.2f} is {verdict} the stage budget of {limit:.2f}"
            )
    return "\n".join(rows)


def _row(stack: str, resource: str, what: str, fixed: float, usage: float, note: str = "") -> str:
    return f"{stack:<11} {resource[:44]:<44} {what[:38]:<38} {_money(fixed)} {_money(usage)}  {note}".rstrip()


def side_by_side(
    left: CostReport,
    left_name: str,
    right: CostReport,
    right_name: str,
    *,
    avoided: Sequence[str] = (),
    secret_price: float = 0.0,
) -> str:
    """Totals of the same app in two shapes, the lines that differ, and what both save
    by keeping ``avoided`` secrets out of Secrets Manager (``secret_price`` each)."""

    def nat_lines(report: CostReport) -> float:
        return sum(
            i.fixed + i.usage for i in report.items if "NAT" in i.what or "IPv4" in i.what or "root volume" in i.what
        )

    width = max(len(left_name), len(right_name), 12)
    rows = ["", f"{'':<28} {left_name:>{width}} {right_name:>{width}}"]
    for title, pick in (
        ("NAT (+ its IPv4, disk, data)", nat_lines),
        ("fixed before credits", lambda r: r.fixed_before_credits),
        ("fixed after credits", lambda r: r.fixed),
        ("usage", lambda r: r.usage),
        ("total", lambda r: r.total),
    ):
        rows.append(f"{title:<28} {pick(left):>{width}.2f} {pick(right):>{width}.2f}")
    if avoided:
        saving = len(avoided) * secret_price
        title = f"saved: {len(avoided)} secrets"
        rows.append(f"{title:<28} {-saving:>{width}.2f} {-saving:>{width}.2f}  (already in the figures above)")
        rows += [f"  {line}: {secret_price:.2f} a month" for line in avoided]
    return "\n".join(rows)
