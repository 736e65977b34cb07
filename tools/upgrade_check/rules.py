"""The four ways an update that synthesizes fine still fails, or loses data, when deployed."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from tools.upgrade_check import schema
from tools.upgrade_check.plan import Plan, ResourceChange
from tools.upgrade_check.tokens import MISSING, at_path, show

ACKNOWLEDGED = Path(__file__).with_name("acknowledged.toml")
FIXED_NAME, STATEFUL, EXPORT_IN_USE, RETAINED = "fixed-name", "stateful", "export-in-use", "retained"
RULES = (FIXED_NAME, STATEFUL, EXPORT_IN_USE, RETAINED)


@dataclass(frozen=True)
class Finding:
    rule: str
    stack: str
    logical_id: str  # the output id for EXPORT_IN_USE
    type: str
    message: str


def findings(result: Plan, region: str) -> list[Finding]:
    found = [f for r in result.replaced() for f in _replacement(r, region)]
    found += _moved_or_dropped(result, region)
    found += [
        Finding(
            EXPORT_IN_USE,
            e.stack,
            e.output,
            "Output",
            f"export {e.name} is {'removed' if e.action == 'remove' else 'changed'}"
            f"{f' ({e.via} is replaced)' if e.via else ''} while {', '.join(e.importers)} import(s) it: "
            "CloudFormation refuses to change an export in use",
        )
        for e in result.exports
        if e.importers
    ]
    return found


def _name(resource: dict, region: str) -> tuple[str, object] | None:
    """(path, value) of the resource's own name, when the template sets one."""
    for path in schema.name_paths(region, resource["Type"]):
        value = at_path(resource.get("Properties") or {}, path)
        if value is not MISSING:
            return path, value
    return None


def _replacement(change: ResourceChange, region: str) -> list[Finding]:
    found = []
    name = _name(change.after, region)
    if name and _name(change.before, region) == name:
        found.append(
            Finding(
                FIXED_NAME,
                change.stack,
                change.logical_id,
                change.type,
                f"replaced while its {name[0]} stays {show(name[1])}: CloudFormation creates the new one first, "
                "under the same name, and fails",
            )
        )
    if change.type in schema.STATEFUL_TYPES:
        found.append(
            Finding(STATEFUL, change.stack, change.logical_id, change.type, "replaced: a new, empty one takes over")
        )
    return found


def _moved_or_dropped(result: Plan, region: str) -> list[Finding]:
    """A retained resource dropped from its template; a named one recreated under a new logical id."""
    added = [r for r in result.resources if r.action == "add"]
    found = []
    for gone in (r for r in result.resources if r.action == "remove"):
        successor = next((a for a in added if a.stack == gone.stack and a.type == gone.type), None)
        policy = gone.before.get("DeletionPolicy", "Delete")
        if policy in schema.RETAINING_POLICIES:
            what = f"new logical id {successor.logical_id}" if successor else "deleted from the template"
            found.append(
                Finding(
                    RETAINED,
                    gone.stack,
                    gone.logical_id,
                    gone.type,
                    f"{what} with DeletionPolicy {policy}: CloudFormation orphans it, and anything that "
                    "takes its name collides with it",
                )
            )
        name = _name(gone.before, region)
        taker = next((a for a in added if a.type == gone.type and name and _name(a.after, region) == name), None)
        if taker:
            found.append(
                Finding(
                    FIXED_NAME,
                    gone.stack,
                    gone.logical_id,
                    gone.type,
                    f"its {name[0]} {show(name[1])} moves to {taker.stack} {taker.logical_id}, "
                    "created before this one is deleted",
                )
            )
        elif successor and gone.type in schema.STATEFUL_TYPES and policy not in schema.RETAINING_POLICIES:
            found.append(
                Finding(
                    STATEFUL,
                    gone.stack,
                    gone.logical_id,
                    gone.type,
                    f"new logical id {successor.logical_id}: deleted, and a new, empty one takes over",
                )
            )
    return found


@dataclass(frozen=True)
class Acknowledgement:
    stack: str
    logical_id: str
    rule: str
    reason: str

    def covers(self, finding: Finding) -> bool:
        return (finding.stack, finding.logical_id, finding.rule) == (self.stack, self.logical_id, self.rule)


def unacknowledged(found: list[Finding], acks: list[Acknowledgement]) -> list[Finding]:
    return [f for f in found if not any(a.covers(f) for a in acks)]


def load_acknowledgements(path: Path = ACKNOWLEDGED) -> list[Acknowledgement]:
    """Findings a change accepts on purpose; each entry needs stack, logical_id, rule and reason."""
    entries = tomllib.loads(path.read_text()).get("acknowledged", [])
    acks = []
    for i, entry in enumerate(entries):
        missing = {"stack", "logical_id", "rule", "reason"} - entry.keys()
        if missing or entry["rule"] not in RULES:
            raise ValueError(f"{path.name}: entry {i + 1} needs stack, logical_id, reason and a known rule: {entry}")
        acks.append(Acknowledgement(entry["stack"], entry["logical_id"], entry["rule"], entry["reason"]))
    return acks
