"""Templates recorded in a syrupy snapshot file (amber format), read back at a git commit.

The infra snapshot test stores each dev stack's template (code hashes masked)
as ``# name: <test>[<stack>]`` followed by the serialized dict. Amber writes
``dict({...})``, ``list([...])``, ``repr()`` of one-line strings and raw,
indented lines between ``'''`` for multi-line strings; this reads exactly that.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from tools.upgrade_check.synth import SynthError, git

_ENTRY = re.compile(r"^# name: (?P<test>\w+)\[(?P<key>[^\]]+)\]\n(?P<body>.*?)(?=^# name: |\Z)", re.M | re.S)
_OPEN_BLOCK = re.compile(r"^(?P<head>.*)'''$")
_CLOSE_BLOCK = re.compile(r"^(?P<indent> *)'''(?P<tail>,?)$")


def templates_at(ref: str, path: str, test_name: str) -> dict[str, dict]:
    """{snapshot key: template} of ``test_name``'s entries in ``path`` as committed at ``ref``."""
    text = git("show", f"{ref}:{path}")
    found = {m["key"]: parse(m["body"]) for m in _ENTRY.finditer(text) if m["test"] == test_name}
    if not found:
        raise SynthError(f"{path} at {ref} has no snapshot of {test_name}")
    return found


def parse(body: str) -> Any:
    """One amber-serialized value back into Python."""
    lines, out = body.rstrip("\n").split("\n"), []
    i = 0
    while i < len(lines):
        opening = _OPEN_BLOCK.match(lines[i])
        if not opening or _CLOSE_BLOCK.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        while not _CLOSE_BLOCK.match(lines[j]):
            j += 1
        close = _CLOSE_BLOCK.match(lines[j])
        content = len(close["indent"]) + 2  # amber indents a block's lines one level deeper than its tags
        text = "\n".join(line[content:] for line in lines[i + 1 : j])
        out.append(f"{opening['head']}{text!r}{close['tail']}")
        i = j + 1
    return _value(ast.parse("\n".join(out).strip(), mode="eval").body)


def _value(node: ast.expr) -> Any:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"dict", "list"}:
        return _value(node.args[0]) if node.args else {"dict": {}, "list": []}[node.func.id]
    if isinstance(node, ast.Dict):
        return {_value(k): _value(v) for k, v in zip(node.keys, node.values, strict=True)}
    if isinstance(node, ast.List):
        return [_value(item) for item in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_value(node.operand)
    if isinstance(node, ast.Constant):
        return node.value
    raise SynthError(f"unexpected amber value: {ast.unparse(node)}")
