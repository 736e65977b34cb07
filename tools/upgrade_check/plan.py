"""What an update from one set of templates to another does to each resource and export.

Offline, as CloudFormation decides it: a resource is replaced when a
create-only property changes, or when such a property reads (Ref, Fn::GetAtt,
Fn::Sub, Fn::ImportValue) a resource or export that is itself replaced; an
export changes when its value does, or when it reads a replaced resource. The
two rules feed each other, across stacks, until nothing more moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tools.upgrade_check import schema
from tools.upgrade_check.tokens import MISSING, at_path, imports, mask_code_hashes, references

Templates = dict[str, dict]  # stack name -> template


@dataclass(frozen=True)
class Cause:
    """One property that forces (or may force) a replacement."""

    path: str
    before: Any
    after: Any
    via: str | None = None  # the replaced resource or changed export it reads
    because: str = "is replaced"  # what happens to ``via``


@dataclass
class ResourceChange:
    stack: str
    logical_id: str
    type: str
    action: Literal["add", "remove", "replace", "may-replace"]
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    causes: list[Cause] = field(default_factory=list)


@dataclass
class ExportChange:
    stack: str
    output: str
    name: str
    action: Literal["remove", "change"]
    before: Any
    after: Any = MISSING
    via: str | None = None
    importers: list[str] = field(default_factory=list)  # stacks of the base that import it


@dataclass
class Plan:
    resources: list[ResourceChange]
    exports: list[ExportChange]

    def replaced(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.action == "replace"]


def plan(base: Templates, change: Templates, region: str) -> Plan:
    base = {stack: mask_code_hashes(t) for stack, t in base.items()}
    change = {stack: mask_code_hashes(t) for stack, t in change.items()}
    replaced, exports = _replacements(base, change, region)
    resources = _added_and_removed(base, change)
    for stack, lid, before, after in _kept_resources(base, change):
        kind = after["Type"]
        if (stack, lid) in replaced:
            resources.append(ResourceChange(stack, lid, kind, "replace", before, after, replaced[stack, lid]))
        elif maybe := _forcing(stack, before, after, schema.conditionally_create_only(region, kind), {}, {}):
            resources.append(ResourceChange(stack, lid, kind, "may-replace", before, after, maybe))
        elif latent := _deploy_time_inputs(change[stack], after, schema.create_only(region, kind)):
            resources.append(ResourceChange(stack, lid, kind, "may-replace", before, after, latent))
    importers = _importers(base)
    for export in exports.values():
        export.importers = sorted(importers.get(export.name, set()) - {export.stack})
    return Plan(resources, list(exports.values()))


def _replacements(
    base: Templates, change: Templates, region: str
) -> tuple[dict[tuple[str, str], list[Cause]], dict[str, ExportChange]]:
    """Replaced resources and changed exports, each round feeding the next until nothing more moves."""
    replaced: dict[tuple[str, str], list[Cause]] = {}
    exports: dict[str, ExportChange] = {}
    moved = True
    while moved:
        moved = False
        for stack, lid, before, after in _kept_resources(base, change):
            if (stack, lid) not in replaced:
                causes = _forcing(stack, before, after, schema.create_only(region, after["Type"]), replaced, exports)
                if causes:
                    replaced[stack, lid] = causes
                    moved = True
        for export in _export_changes(base, change, replaced):
            if export.name not in exports:
                exports[export.name] = export
                moved = True
    return replaced, exports


def _resources(template: dict) -> dict[str, dict]:
    return template.get("Resources") or {}


def _kept_resources(base: Templates, change: Templates):
    """(stack, logical id, before, after) of every resource in both, with the same type."""
    for stack, template in change.items():
        old = _resources(base.get(stack, {}))
        for lid, after in _resources(template).items():
            before = old.get(lid)
            if before is not None and before.get("Type") == after.get("Type"):
                yield stack, lid, before, after


def _added_and_removed(base: Templates, change: Templates) -> list[ResourceChange]:
    """A new logical id or type is a new resource; the old one is deleted (or orphaned, if retained)."""
    found = []
    for stack in sorted(base.keys() | change.keys()):
        old, new = _resources(base.get(stack, {})), _resources(change.get(stack, {}))
        for lid, before in old.items():
            if lid not in new or new[lid].get("Type") != before.get("Type"):
                found.append(ResourceChange(stack, lid, before["Type"], "remove", before=before))
        for lid, after in new.items():
            if lid not in old or old[lid].get("Type") != after.get("Type"):
                found.append(ResourceChange(stack, lid, after["Type"], "add", after=after))
    return found


def _forcing(
    stack: str,
    before: dict,
    after: dict,
    paths: tuple[str, ...],
    replaced: dict[tuple[str, str], list[Cause]],
    exports: dict[str, ExportChange],
) -> list[Cause]:
    """The causes among ``paths``: a changed value, or an unchanged one that reads something replaced."""
    causes = []
    for path in paths:
        old, new = at_path(before.get("Properties") or {}, path), at_path(after.get("Properties") or {}, path)
        if old != new:
            causes.append(Cause(path, old, new))
            continue
        via = sorted(r for r in references(new) if (stack, r) in replaced) + sorted(
            name for name in imports(new) if name in exports
        )
        if via:
            causes.append(Cause(path, old, new, via=via[0]))
    return causes


def _deploy_time_inputs(template: dict, resource: dict, paths: tuple[str, ...]) -> list[Cause]:
    """Create-only properties that follow an SSM parameter: a new value there replaces the resource
    on a later deploy with no change to the template (a new AMI under /aws/service/ami-...)."""
    parameters = template.get("Parameters") or {}
    causes = []
    for path in paths:
        value = at_path(resource.get("Properties") or {}, path)
        for ref in sorted(references(value)):
            if str(parameters.get(ref, {}).get("Type", "")).startswith("AWS::SSM::Parameter::Value"):
                default = parameters[ref].get("Default", ref)
                causes.append(Cause(path, value, value, via=default, because="is resolved again at each deploy"))
    return causes


def _exports(template: dict) -> dict[str, tuple[str, Any]]:
    """Export name -> (output id, value)."""
    found = {}
    for output_id, output in (template.get("Outputs") or {}).items():
        name = (output.get("Export") or {}).get("Name")
        if isinstance(name, str):
            found[name] = (output_id, output.get("Value"))
    return found


def _export_changes(base: Templates, change: Templates, replaced: dict) -> list[ExportChange]:
    new_exports = {name: v for t in change.values() for name, v in _exports(t).items()}
    found = []
    for stack, template in base.items():
        for name, (output_id, old) in _exports(template).items():
            if name not in new_exports:
                found.append(ExportChange(stack, output_id, name, "remove", old))
                continue
            new = new_exports[name][1]
            via = sorted(r for r in references(new) if (stack, r) in replaced)
            if old != new or via:
                found.append(ExportChange(stack, output_id, name, "change", old, new, via[0] if via else None))
    return found


def _importers(templates: Templates) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for stack, template in templates.items():
        for name in imports(template.get("Resources") or {}) | imports(template.get("Outputs") or {}):
            found.setdefault(name, set()).add(stack)
    return found
