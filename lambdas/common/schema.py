"""A small declarative JSON schema: validates bodies and payloads and renders JSON Schema.

The same `Shape` objects check a request in the API, a job's payload in its
worker, and describe both in the OpenAPI document, so none of them can
disagree. Deliberately tiny (no pydantic) because its import cost lands on
every cold start (bench/bench_router.py --validators measures the
alternatives). It knows nothing of HTTP: a refusal is a `SchemaError` (a
`PermanentError` with reason `bad_payload`, which is what a worker records on
the job) listing every problem found; the API maps it to its own 400.

Rules the rendered document states as the code applies them:

* `null` is the same as an absent field: allowed (and dropped) for an optional
  field, "is required" for a required one; optional fields render `nullable`.
* A pattern must match the whole string; it renders anchored (`^(?:...)$`).
* A string must be storable text: no NUL, no lone UTF-16 surrogate (PostgreSQL
  refuses both in text and JSONB). The document says so in `description`, as
  JSON Schema has no keyword for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, NamedTuple

from common.errors import PermanentError

BAD_PAYLOAD = "bad_payload"
# A problem list is for humans; a body with a thousand bad items needs only the first ones named.
MAX_PROBLEMS = 20
_NAME_CHARS = 64


class Problem(NamedTuple):
    field: str  # dotted path: "prompt", "payload.since", "images[2]"; the object itself for a whole-body problem
    problem: str

    def text(self) -> str:
        return f"'{self.field}' {self.problem}"


class SchemaError(PermanentError):
    """Data that does not fit its shape; `problems` names every field that is wrong, `detail` says it for humans."""

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)[:MAX_PROBLEMS]
        self.detail = "; ".join(p.text() for p in self.problems)
        super().__init__(BAD_PAYLOAD, self.detail)

    @classmethod
    def at(cls, where: str, problem: str) -> SchemaError:
        return cls(Problem(where, problem))


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
_TEXT_RULE = " No NUL characters or lone UTF-16 surrogates."
_NO_NUL = "^[^\\u0000]*$"
_BAD = object()  # what a check returns after recording its problem


@dataclass(frozen=True)
class Field:
    kind: Kind
    description: str
    required: bool = False
    # Bounds: length for strings, item count for arrays, value for numbers.
    low: float | None = None
    high: float | None = None
    enum: tuple[str, ...] | None = None
    pattern: str | None = None  # matches the whole string
    items: Field | None = None
    shape: Shape | None = None
    example: Any = None
    # What the route takes when the field is absent (documented only; the caller applies it).
    default: Any = None

    def check(self, value: Any, where: str) -> Any:
        """The value as kept; `SchemaError` naming every problem in it."""
        problems: list[Problem] = []
        out = self.collect(value, where, problems)
        if problems:
            raise SchemaError(problems)
        return out

    def collect(self, value: Any, where: str, problems: list[Problem]) -> Any:
        if type(value) not in self._types:
            problems.append(Problem(where, f"must be {_article(self.kind)}, got {_json_type(value)}"))
            return _BAD
        if self.kind == "string" and not _storable(value):
            problems.append(Problem(where, "must be text without NUL characters or lone surrogates"))
            return _BAD
        if self.enum is not None and value not in self.enum:
            problems.append(Problem(where, f"must be one of {', '.join(self.enum)}; got {_short(value)}"))
            return _BAD
        if self._regex is not None and self._regex.fullmatch(value) is None:
            problems.append(Problem(where, "has an invalid format"))
            return _BAD
        if self.low is not None or self.high is not None:
            size = len(value) if self.kind in _UNITS else value
            if self.low is not None and size < self.low:
                problems.append(Problem(where, f"must be at least {_num(self.low)}{_UNITS.get(self.kind, '')}"))
                return _BAD
            if self.high is not None and size > self.high:
                problems.append(Problem(where, f"must be at most {_num(self.high)}{_UNITS.get(self.kind, '')}"))
                return _BAD
        if self.kind == "array" and self.items is not None:
            return [self.items.collect(item, f"{where}[{i}]", problems) for i, item in enumerate(value)]
        if self.kind == "object" and self.shape is not None:
            return self.shape.collect(value, where, problems)
        return value

    @cached_property
    def _types(self) -> frozenset[type]:
        return _PY_TYPES[self.kind]

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        # Compiled on first use, not at import: most cold starts never check a pattern.
        return re.compile(self.pattern) if self.pattern is not None else None

    def json_schema(self) -> dict[str, Any]:
        if self.shape is not None:
            ref = {"$ref": f"#/components/schemas/{self.shape.name}"}
            # OpenAPI 3.0 ignores a $ref's siblings: nullable needs the allOf wrapper.
            return (
                {**ref, "description": self.description}
                if self.required
                else {
                    "allOf": [ref],
                    "nullable": True,
                    "description": self.description,
                }
            )
        free_text = self.kind == "string" and self.enum is None
        doc: dict[str, Any] = {"type": self.kind, "description": self.description + (_TEXT_RULE if free_text else "")}
        if not self.required:
            doc["nullable"] = True
        if self.enum is not None:
            doc["enum"] = list(self.enum)
        if self.default is not None:
            doc["default"] = self.default
        if self.pattern is not None:
            doc["pattern"] = f"^(?:{self.pattern})$"
        elif free_text:
            # The one part of the text rule a pattern can say (a lone surrogate cannot travel in valid UTF-8).
            doc["pattern"] = _NO_NUL
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
            doc["items"] = {k: v for k, v in self.items.json_schema().items() if k != "nullable"}
        if self.example is not None:
            doc["example"] = self.example
        return doc

    def sample(self) -> Any:
        """The field's example (for a nested shape, the shape's), None without one."""
        return self.shape.sample() if self.shape is not None else self.example


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
        """The object as kept (nulls dropped); `SchemaError` naming every problem in it."""
        problems: list[Problem] = []
        out = self.collect(data, where, problems)
        if problems:
            raise SchemaError(problems)
        return out

    def validate_query(self, params: Mapping[str, str] | None) -> dict[str, Any]:
        """A query string's parameters (all strings) as kept, integer fields as integers; `SchemaError` as `validate`."""
        data: dict[str, Any] = dict(params or {})
        for name, spec in self.fields.items():
            raw = data.get(name)
            # Length first: int() of thousands of digits is refused (and slow) before any range check.
            if spec.kind == "integer" and isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 9:
                data[name] = int(raw)
        return self.validate(data)

    def collect(self, data: Any, where: str, problems: list[Problem]) -> Any:
        if not isinstance(data, dict):
            problems.append(Problem(where, f"must be a JSON object, got {_json_type(data)}"))
            return _BAD
        if not data.keys() <= self._names:
            for name in sorted(data.keys() - self._names)[:MAX_PROBLEMS]:
                problems.append(Problem(self._path(where, _short_name(name)), "is not a known field"))
        out: dict[str, Any] = {}
        for name, spec in self.fields.items():
            path = self._path(where, name)
            if data.get(name) is None:
                if spec.required:
                    problems.append(Problem(path, "is required"))
                continue
            out[name] = spec.collect(data[name], path, problems)
        for name, needed in self.requires.items():
            if name in out and needed not in out:
                problems.append(Problem(self._path(where, name), f"needs '{self._path(where, needed)}'"))
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
        example = self.sample()
        if example:
            doc["example"] = example
        return doc

    def sample(self) -> dict[str, Any]:
        """An example object made of the fields' examples."""
        return {name: value for name, spec in self.fields.items() if (value := spec.sample()) is not None}

    def nested(self) -> list[Shape]:
        """This shape and every shape it refers to (for OpenAPI components)."""
        found: list[Shape] = [self]
        for spec in self.fields.values():
            for inner in (spec.shape, spec.items.shape if spec.items else None):
                if inner is not None:
                    found += [s for s in inner.nested() if s not in found]
        return found


@dataclass(frozen=True)
class TaggedShape:
    """One of several shapes, chosen by the string field `tag` (OpenAPI: oneOf + discriminator).

    `variants` maps each tag value to its shape, which declares `tag` as a
    required enum holding that value (one shape may serve several). A bad or missing
    tag is reported alone (no variant to check the rest against); otherwise the
    chosen variant reports every problem it finds.
    """

    name: str
    description: str
    tag: str
    variants: Mapping[str, Shape]

    def __post_init__(self) -> None:
        for value, shape in self.variants.items():
            spec = shape.fields.get(self.tag)
            if spec is None or not spec.required or spec.enum is None or value not in spec.enum:
                raise ValueError(f"{self.name}: variant {shape.name} must require {self.tag!r} in its enum")

    @cached_property
    def _tag_field(self) -> Field:
        return Field("string", "", required=True, enum=tuple(self.variants))

    def validate(self, data: Any, where: str = "body") -> dict[str, Any]:
        problems: list[Problem] = []
        out = self.collect(data, where, problems)
        if problems:
            raise SchemaError(problems)
        return out

    def collect(self, data: Any, where: str, problems: list[Problem]) -> Any:
        if not isinstance(data, dict):
            problems.append(Problem(where, f"must be a JSON object, got {_json_type(data)}"))
            return _BAD
        path = Shape._path(where, self.tag)
        if data.get(self.tag) is None:
            problems.append(Problem(path, "is required"))
            return _BAD
        value = self._tag_field.collect(data[self.tag], path, problems)
        if value is _BAD:
            # No variant to check against: still name what is wrong with the fields all variants agree on.
            common, undecided = self._common
            rest = {k: v for k, v in data.items() if k != self.tag and k not in undecided}
            common.collect(rest, where, problems)
            return _BAD
        return self.variants[value].collect(data, where, problems)

    @cached_property
    def _common(self) -> tuple[Shape, frozenset[str]]:
        """The fields that mean the same in every variant that has them, and the names whose meaning depends on the tag."""
        seen: dict[str, Field | None] = {}
        for shape in self.variants.values():
            for name, spec in shape.fields.items():
                if name != self.tag:
                    seen[name] = spec if seen.get(name, spec) == spec else None
        fields = {name: spec for name, spec in seen.items() if spec is not None}
        return Shape(f"{self.name}Common", self.description, fields), frozenset(seen.keys() - fields.keys())

    def json_schema(self) -> dict[str, Any]:
        refs = {value: f"#/components/schemas/{shape.name}" for value, shape in self.variants.items()}
        return {
            "description": self.description,
            "oneOf": [{"$ref": ref} for ref in dict.fromkeys(refs.values())],
            "discriminator": {"propertyName": self.tag, "mapping": refs},
            "example": next(iter(self.variants.values())).sample(),
        }

    def nested(self) -> list[Shape | TaggedShape]:
        found: list[Shape | TaggedShape] = [self]
        for shape in self.variants.values():
            found += [s for s in shape.nested() if s not in found]
        return found


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(text: str) -> bool:
    # PostgreSQL's text and JSONB hold neither NUL nor a lone surrogate (invalid UTF-8).
    if text.isascii():
        return "\x00" not in text
    return _UNSTORABLE.search(text) is None


def _short(value: Any) -> str:
    return repr(str(value)[:_NAME_CHARS])


def storable(text: str, limit: int = 200) -> str:
    """`text` cut to `limit` characters, escaped (as Python's ascii()) if it holds a NUL or lone surrogate.

    For quoting a caller's or an event's text in an answer or a stored error.
    """
    cut = text[:limit]
    return cut if _storable(cut) else ascii(cut)[1:-1]


def _short_name(name: str) -> str:
    return storable(name, _NAME_CHARS)


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
