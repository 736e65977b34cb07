"""Reading template values offline: code hashes, property paths, references.

CDK names each Lambda code asset (and a function's ``CurrentVersion``) by a
hash of the code. A code-only change moves those hashes and nothing else, so
they are masked before two templates are compared: a new hash is an update,
never a replacement.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
# A Lambda version's logical id ends in a hash of the function, code included.
_VERSION_HASH = re.compile(r"(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}")
_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}")
MISSING = object()


def mask_code_hashes(template: dict) -> dict:
    """The template with asset and code-version hashes replaced by placeholders."""
    text = _ASSET_HASH.sub("<asset-hash>", json.dumps(template, sort_keys=True))
    return json.loads(_VERSION_HASH.sub(r"\1<code-hash>", text))


def at_path(properties: dict, path: str) -> Any:
    """The value at ``A/B`` (``*`` = every item), or MISSING; several matches come back as a list."""
    found = list(_walk(properties, path.split("/")))
    if not found:
        return MISSING
    return found[0] if "*" not in path else found


def _walk(value: Any, parts: list[str]) -> Iterator[Any]:
    if not parts:
        yield value
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        items = value if isinstance(value, list) else value.values() if isinstance(value, dict) else ()
        for item in items:
            yield from _walk(item, rest)
    elif isinstance(value, dict) and head in value:
        yield from _walk(value[head], rest)


def references(value: Any) -> set[str]:
    """Logical ids (resources or parameters) a value reads through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".", 1)[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found |= set(_SUB_REFERENCE.findall(text)) if isinstance(text, str) else set()
                found |= references(inner[1]) if isinstance(inner, list) and len(inner) > 1 else set()
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


def imports(value: Any) -> set[str]:
    """Export names a value reads through Fn::ImportValue (literal names only, as CDK writes them)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Fn::ImportValue" and isinstance(inner, str):
                found.add(inner)
            else:
                found |= imports(inner)
    elif isinstance(value, list):
        for item in value:
            found |= imports(item)
    return found


def show(value: Any, limit: int = 100) -> str:
    """A value on one line, as ``cdk diff`` prints it."""
    text = "(absent)" if value is MISSING else value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
