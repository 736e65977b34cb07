"""A small declarative JSON schema: validates bodies and payloads and renders JSON Schema.

The same `Shape` objects check a request in the API, a job's payload in its
worker, and describe both in the OpenAPI document, so none of them can
disagree. Deliberately tiny (no pydantic) because its import cost lands on
every cold start. It knows nothing of HTTP: a refusal is a `SchemaError`
(a `PermanentError` with reason `bad_payload`, which is what a worker records
on the job); the API maps it to its own 400.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from common.errors import PermanentError

BAD_PAYLOAD = "bad_payload"


class SchemaError(PermanentError):
    """Data that does not fit its shape; `detail` says where and how, for humans."""

    def __init__(self, detail: str) -> None:
        super().__init__(BAD_PAYLOAD, detail)
        self.detail = detail


Kind = Literal["string", "integer", "number", "boolean", "object", "array"]

# Exact types: json.loads makes only these, and bool (an int subclass in Python)
# stays apart from integer and number as JSON keeps them.
_PY_TYPES: dict[str, frozenset[type]] = {
    "string": frozenset((str,)),
    "integer": frozenset((int,)),
    "number": frozenset((int, float)),
    "boolean": frozenset((bool,)),
    "object": frozenset((dict,)),
    "array": frozenset((list,)),
}
_UNITS = {"string": " characters", "array": " items"}


@dataclass(frozen=True)
class Field:
    kind: Kind
    description: str
    required: bool = False
    # Bounds: length for strings, item count for arrays, value for numbers.
    low: float | None = None
    high: float | None = None
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    items: Field | None = None
    shape: Shape | None = None

    def check(self, value: Any, where: str) -> Any:
        if type(value) not in self._types:
            raise _invalid(f"'{where}' must be {_article(self.kind)}, got {_json_type(value)}")
        if self.enum is not None and value not in self.enum:
            raise _invalid(f"'{where}' must be one of {', '.join(self.enum)}; got {str(value)[:64]!r}")
        if self._regex is not None and self._regex.fullmatch(value) is None:
            raise _invalid(f"'{where}' has an invalid format")
        if self.low is not None or self.high is not None:
            size = len(value) if self.kind in _UNITS else value
            if self.low is not None and size < self.low:
                raise _invalid(f"'{where}' must be at least {_num(self.low)}{_UNITS.get(self.kind, '')}")
            if self.high is not None and size > self.high:
                raise _invalid(f"'{where}' must be at most {_num(self.high)}{_UNITS.get(self.kind, '')}")
        if self.kind == "array" and self.items is not None:
            return [self.items.check(item, f"{where}[{i}]") for i, item in enumerate(value)]
        if self.kind == "object" and self.shape is not None:
            return self.shape.validate(value, where)
        return value

    @cached_property
    def _types(self) -> frozenset[type]:
        return _PY_TYPES[self.kind]

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        # Compiled on first use, not at import: most cold starts never check a pattern.
        return re.compile(self.pattern) if self.pattern is not None else None

    def json_schema(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"type": self.kind, "description": self.description}
        if self.enum is not None:
            doc["enum"] = list(self.enum)
        if self.pattern is not None:
            doc["pattern"] = self.pattern
        names = {
            "string": ("minLength", "maxLength"),
            "array": ("minItems", "maxItems"),
            "integer": ("minimum", "maximum"),
            "number": ("minimum", "maximum"),
        }.get(self.kind)
        if names:
            for name, bound in zip(names, (self.low, self.high), strict=True):
                if bound is not None:
                    doc[name] = _num(bound)
        if self.items is not None:
            doc["items"] = self.items.json_schema()
        if self.shape is not None:
            doc = {"$ref": f"#/components/schemas/{self.shape.name}", "description": self.description}
        return doc


@dataclass(frozen=True)
class Shape:
    """A JSON object with named fields; unknown fields are rejected.

    `requires` maps a field to the field it needs: `{"until": "since"}`
    refuses `until` without `since` (said in the rendered description, as
    OpenAPI 3.0 has no keyword for it).
    """

    name: str
    description: str
    fields: Mapping[str, Field] = field(default_factory=dict)
    requires: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, needed in self.requires.items():
            if name not in self.fields or needed not in self.fields:
                raise ValueError(f"{self.name}: requires names unknown field(s) {name!r} -> {needed!r}")

    def validate(self, data: Any, where: str = "body") -> dict[str, Any]:
        if not isinstance(data, dict):
            raise _invalid(f"'{where}' must be a JSON object, got {_json_type(data)}")
        if not data.keys() <= self._names:
            unknown = sorted(data.keys() - self._names)
            raise _invalid(f"'{where}' has unknown field(s): {', '.join(unknown[:5])}")
        out: dict[str, Any] = {}
        for name, spec in self.fields.items():
            path = name if where == "body" else f"{where}.{name}"
            if name not in data or data[name] is None:
                if spec.required:
                    raise _invalid(f"'{path}' is required")
                continue
            out[name] = spec.check(data[name], path)
        for name, needed in self.requires.items():
            if name in out and needed not in out:
                raise _invalid(f"'{self._path(where, name)}' needs '{self._path(where, needed)}'")
        return out

    @staticmethod
    def _path(where: str, name: str) -> str:
        return name if where == "body" else f"{where}.{name}"

    @cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(self.fields)

    def json_schema(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": "object",
            "description": self.description + "".join(f" `{a}` requires `{b}`." for a, b in self.requires.items()),
            "additionalProperties": False,
            "properties": {name: spec.json_schema() for name, spec in self.fields.items()},
        }
        required = [name for name, spec in self.fields.items() if spec.required]
        if required:
            doc["required"] = required
        return doc

    def nested(self) -> list[Shape]:
        """This shape and every shape it refers to (for OpenAPI components)."""
        found: list[Shape] = [self]
        for spec in self.fields.values():
            for inner in (spec.shape, spec.items.shape if spec.items else None):
                if inner is not None:
                    found += [s for s in inner.nested() if s not in found]
        return found


def _invalid(detail: str) -> SchemaError:
    return SchemaError(detail)


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "value")


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
