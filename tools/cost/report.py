"""Plain-text tables of a cost report, and the NAT side-by-side."""

from __future__ import annotations

from tools.cost.model import CostReport


def _money(value: float) -> str:
    return f"{value:9.2f}" if value else "        -"


def table(report: CostReport, *, budget: float | None = None) -> str:
    rows = [f"Monthly cost of stage '{report.stage}' (USD, us-east-2 on-demand, lasting free tiers applied)", ""]
    header = f"{'stack':<11} {'resource':<44} {'what':<38} {'fixed':>9} {'usage':>9}  note"
    rows += [header, "-" * len(header)]
    for item in sorted(report.items, key=lambda i: (i.stack == "*", i.stack, -i.fixed, -i.usage, i.resource)):
        rows.append(
            f"{item.stack:<11} {item.resource[:44]:<44} {item.what[:38]:<38} {_money(item.fixed)} {_money(item.usage)}  {item.note}"
        )
    rows.append("-" * len(header))
    rows.append(f"{'total':<95} {report.fixed:9.2f} {report.usage:9.2f}  = {report.total:.2f} a month")
    if budget is not None:
        verdict = "within" if report.fixed <= budget else "OVER"
        rows.append(f"fixed cost {report.fixed:.2f} is {verdict} the stage budget of {budget:.2f}")
    return "\n".join(rows)


def side_by_side(left: CostReport, left_name: str, right: CostReport, right_name: str) -> str:
    """Totals of the same app in two shapes, and the lines that differ."""
    def nat_lines(report: CostReport) -> float:
        return sum(i.fixed + i.usage for i in report.items if "NAT" in i.what or "IPv4" in i.what or "root volume" in i.what)

    width = max(len(left_name), len(right_name), 12)
    rows = ["", f"{'':<28} {left_name:>{width}} {right_name:>{width}}"]
    for title, pick in (
        ("NAT (+ its IPv4, disk, data)", nat_lines),
        ("fixed", lambda r: r.fixed),
        ("usage", lambda r: r.usage),
        ("total", lambda r: r.total),
    ):
        rows.append(f"{title:<28} {pick(left):>{width}.2f} {pick(right):>{width}.2f}")
    return "\n".join(rows)
