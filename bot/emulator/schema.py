"""Check requests (and the emulator's own answers) against the official Bot API schema.

The schema is vendored from aiogram's source distribution (see README.md and trim_schema.py),
so a bot that passes the emulator sends only parameters and shapes the real Bot API knows.
Values are coerced the way Telegram coerces them: form fields arrive as strings, so integers,
booleans and JSON-serialised objects are decoded before their shape is checked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).with_name("schema.json")
SCALARS = frozenset({"Integer", "Float", "String", "Boolean", "True"})
_TRUE = frozenset({"true", "True", "1"})
_FALSE = frozenset({"false", "False", "0"})


@dataclass(frozen=True)
class FilePart:
    """A file uploaded in a multipart request (``InputFile`` in the schema)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    const: str | None = None


@dataclass(frozen=True)
class TypeDef:
    name: str
    fields: dict[str, Field]
    subtypes: tuple[str, ...] = ()


class Schema:
    """Methods and types of one Bot API version, with a validator over them."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = data["api"]["version"]
        self.source: str = data.get("source", "")
        self.methods: dict[str, dict[str, Field]] = {
            name: {p["name"]: _field(p) for p in spec["params"]} for name, spec in data["methods"].items()
        }
        self.types: dict[str, TypeDef] = {
            name: TypeDef(
                name=name,
                fields={f["name"]: _field(f) for f in spec["fields"]},
                subtypes=tuple(spec.get("subtypes", ())),
            )
            for name, spec in data["types"].items()
        }
        self._by_lower = {name.lower(): name for name in self.methods}

    @classmethod
    @cache
    def load(cls, path: Path = SCHEMA_PATH) -> Schema:
        """The vendored schema, parsed once per process."""
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def canonical_method(self, name: str) -> str | None:
        """Telegram matches method names case-insensitively; return the schema's spelling."""
        return self._by_lower.get(name.lower())

    def check_params(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, FilePart] | None = None,
    ) -> tuple[dict[str, Any], list[str]]:
        """Coerce ``params`` of ``method``; return the decoded values and every violation.

        ``files`` holds multipart file parts; a parameter refers to one either by its own name
        or with an ``attach://<name>`` string.  File parts nobody refers to are violations too.
        """
        spec = self.methods[method]
        checker = _Checker(self, files or {})
        merged: dict[str, Any] = {k: v for k, v in params.items() if v is not None}
        for name, part in (files or {}).items():
            if name in spec and name not in merged:
                merged[name] = part
                checker.used.add(name)
        result: dict[str, Any] = {}
        for name, value in merged.items():
            field = spec.get(name)
            if field is None:
                checker.errors.append(f'unknown parameter "{name}" for method {method}')
                continue
            result[name] = checker.value(field.type, value, name)
        for field in spec.values():
            if field.required and field.name not in merged:
                checker.errors.append(f'parameter "{field.name}" is required')
        for name in files or {}:
            if name not in checker.used:
                checker.errors.append(f'uploaded file "{name}" is not referenced by any parameter')
        return result, checker.errors

    def check_object(self, type_name: str, value: Any, path: str = "") -> list[str]:
        """Violations of ``value`` against type ``type_name`` (used on the emulator's output)."""
        checker = _Checker(self, {})
        checker.value(type_name, value, path or type_name)
        return checker.errors


def _field(raw: Mapping[str, Any]) -> Field:
    return Field(raw["name"], raw["type"], bool(raw["required"]), raw.get("const"))


def _alternatives(expr: str) -> list[str]:
    if expr.startswith("Array of "):
        return [expr]
    return expr.split(" or ")


class _Checker:
    """One validation pass; collects errors instead of stopping at the first one."""

    def __init__(self, schema: Schema, files: Mapping[str, FilePart]) -> None:
        self.schema = schema
        self.files = files
        self.errors: list[str] = []
        self.used: set[str] = set()

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f'"{path}" {message}')

    def value(self, expr: str, value: Any, path: str) -> Any:
        if expr.startswith("Array of "):
            return self.array(expr.removeprefix("Array of "), value, path)
        alternatives = _alternatives(expr)
        if len(alternatives) == 1:
            return self.single(expr, value, path)
        return self.union(alternatives, value, path)

    def array(self, item_expr: str, value: Any, path: str) -> Any:
        value = self.decode_json(value, path)
        if not isinstance(value, list):
            self.fail(path, f"must be an Array, got {type(value).__name__}")
            return value
        item_expr = item_expr.replace(", ", " or ").replace(" and ", " or ")
        return [self.value(item_expr, item, f"{path}[{i}]") for i, item in enumerate(value)]

    def union(self, alternatives: list[str], value: Any, path: str) -> Any:
        best: tuple[int, list[str], Any] | None = None
        for alternative in alternatives:
            trial = _Checker(self.schema, self.files)
            coerced = trial.value(alternative, value, path)
            if not trial.errors:
                self.used |= trial.used
                return coerced
            if best is None or len(trial.errors) < best[0]:
                best = (len(trial.errors), trial.errors, coerced)
        assert best is not None
        self.fail(path, f"matches none of {', '.join(alternatives)}")
        self.errors.extend(best[1])
        return best[2]

    def single(self, name: str, value: Any, path: str) -> Any:
        if name in SCALARS:
            return self.scalar(name, value, path)
        if name == "InputFile":
            return self.input_file(value, path)
        typedef = self.schema.types.get(name)
        if typedef is None:
            self.fail(path, f"has type {name} unknown to the schema")
            return value
        return self.obj(typedef, value, path)

    def scalar(self, name: str, value: Any, path: str) -> Any:
        if name == "String":
            if isinstance(value, str):
                return value
        elif name == "Integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lstrip("-").isdigit():
                return int(value)
        elif name == "Float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    pass
        else:  # Boolean or True
            if isinstance(value, str):
                value = True if value in _TRUE else False if value in _FALSE else value
            if isinstance(value, bool) and (name == "Boolean" or value):
                return value
        self.fail(path, f"must be {name}, got {type(value).__name__} {value!r:.40}")
        return value

    def input_file(self, value: Any, path: str) -> Any:
        if isinstance(value, FilePart):
            return value
        if isinstance(value, str) and value.startswith("attach://"):
            key = value.removeprefix("attach://")
            if key in self.files:
                self.used.add(key)
                return self.files[key]
            self.fail(path, f"refers to a missing uploaded file {key!r}")
            return value
        self.fail(path, f"must be an uploaded file, got {type(value).__name__}")
        return value

    def obj(self, typedef: TypeDef, value: Any, path: str) -> Any:
        value = self.decode_json(value, path)
        if not isinstance(value, dict):
            self.fail(path, f"must be an object {typedef.name}, got {type(value).__name__}")
            return value
        if typedef.subtypes:
            return self.variant(typedef, value, path)
        result: dict[str, Any] = {}
        for key, item in value.items():
            field = typedef.fields.get(key)
            if field is None:
                self.fail(f"{path}.{key}", f"is not a field of {typedef.name}")
                continue
            if item is None:
                continue
            coerced = self.value(field.type, item, f"{path}.{key}")
            if field.const is not None and coerced != field.const:
                self.fail(f"{path}.{key}", f"must be {field.const!r} in {typedef.name}")
            result[key] = coerced
        for field in typedef.fields.values():
            if field.required and value.get(field.name) is None:
                self.fail(path, f"lacks field {field.name!r} required by {typedef.name}")
        return result

    def variant(self, typedef: TypeDef, value: dict[str, Any], path: str) -> Any:
        """Pick the member of an abstract type by its constant field (``type``, ``status``)."""
        members = [self.schema.types[name] for name in typedef.subtypes]
        keyed = [(m, f) for m in members for f in m.fields.values() if f.const is not None]
        if not keyed:  # no discriminator (e.g. MaybeInaccessibleMessage): try each member
            return self.union(list(typedef.subtypes), value, path)
        for member, field in keyed:
            if value.get(field.name) == field.const:
                return self.obj(member, value, path)
        names = sorted({f"{f.name}={f.const!r}" for _, f in keyed})
        self.fail(path, f"is no known {typedef.name}; expected one of {', '.join(names)}")
        return value

    def decode_json(self, value: Any, path: str) -> Any:
        """Objects and arrays may arrive JSON-serialised (always so in form requests)."""
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            self.fail(path, "is not valid JSON")
            return value
