"""The plan and its findings, printed the way ``cdk diff`` prints a stack's changes."""

from __future__ import annotations

from typing import Any

from tools.upgrade_check.plan import Cause, Plan, ResourceChange
from tools.upgrade_check.rules import Acknowledgement, Finding
from tools.upgrade_check.tokens import MISSING, show

_MARK = {"add": "[+]", "remove": "[-]", "replace": "[~]", "may-replace": "[~]"}
_VERB = {"add": "", "remove": " destroy", "replace": " replace", "may-replace": " may be replaced"}


def render(result: Plan, found: list[Finding], acks: list[Acknowledgement]) -> str:
    lines: list[str] = []
    stacks = sorted({r.stack for r in result.resources} | {e.stack for e in result.exports})
    for stack in stacks:
        lines.append(f"Stack {stack}")
        for change in (r for r in result.resources if r.stack == stack):
            lines += _resource(change)
        for export in (e for e in result.exports if e.stack == stack):
            verb = (
                "destroy"
                if export.action == "remove"
                else "changes" + (f" ({export.via} replaced)" if export.via else "")
            )
            users = f", imported by {', '.join(export.importers)}" if export.importers else ""
            lines.append(f"[~] Output {export.output} (export {export.name}) {verb}{users}")
        lines.append("")
    lines += _verdict(found, acks)
    return "\n".join(lines)


def _resource(change: ResourceChange) -> list[str]:
    lines = [f"{_MARK[change.action]} {change.type} {change.logical_id}{_VERB[change.action]}"]
    policy = (change.before or {}).get("DeletionPolicy")
    if change.action == "remove" and policy:
        lines[0] += f" (DeletionPolicy {policy})"
    for i, cause in enumerate(change.causes):
        last = i == len(change.causes) - 1
        lines += _cause(cause, change.action, " └─" if last else " ├─", "    " if last else " │  ")
    return lines


def _cause(cause: Cause, action: str, branch: str, indent: str) -> list[str]:
    need = "requires replacement" if action == "replace" else "may require replacement"
    if cause.via:
        return [f"{branch} [~] {cause.path} ({need}: {cause.via} {cause.because})"]
    path, before, after = _narrow(cause.path, cause.before, cause.after)
    return [
        f"{branch} [~] {path} ({need})",
        f"{indent} ├─ [-] {show(before)}",
        f"{indent} └─ [+] {show(after)}",
    ]


def _narrow(path: str, before: Any, after: Any) -> tuple[str, Any, Any]:
    """Down to the one nested key or item that differs, while there is only one."""
    while True:
        if isinstance(before, dict) and isinstance(after, dict):
            keys = [k for k in before.keys() | after.keys() if before.get(k, MISSING) != after.get(k, MISSING)]
        elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
            keys = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if b != a]
        else:
            return path, before, after
        if len(keys) != 1:
            return path, before, after
        key = keys[0]
        before, after = _get(before, key), _get(after, key)
        path = f"{path}/{key}"


def _get(container: Any, key: Any) -> Any:
    return container.get(key, MISSING) if isinstance(container, dict) else container[key]


def _verdict(found: list[Finding], acks: list[Acknowledgement]) -> list[str]:
    if not found:
        return ["Upgrade check: no findings."]
    lines = []
    failing = 0
    for f in found:
        ack = next((a for a in acks if a.covers(f)), None)
        failing += ack is None
        mark = f"acknowledged ({ack.reason})" if ack else "FAIL"
        lines.append(f"{mark} [{f.rule}] {f.stack} {f.logical_id} ({f.type}): {f.message}")
    lines.append(f"Upgrade check: {failing} finding(s) to fix, {len(found) - failing} acknowledged.")
    return lines
