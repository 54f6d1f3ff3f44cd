"""The programme file: YAML text to a validated, resolved `ProgrammeDocument`.

`parse_programme(text, source)` reads the YAML (see `_Loader`), checks it against the
schema (`core.programme.file_spec`) and the rules across entries (`core.programme.file_checks`).
Every problem is a `ProgrammeError` whose message names the file, the entry, the field and
the line, e.g.
``examples/x.yaml: agenda[3] (code 'charter'): end: must be after start (line 57)``.
No database here: `core.programme.load` writes a document.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

import yaml
from pydantic import ValidationError

from core.errors import DomainError
from core.programme.file_checks import Located, resolve
from core.programme.file_spec import SECTIONS, ConferenceSpec, ProgrammeDocument, ProgrammeFile, Spec


class ProgrammeError(DomainError):
    code = "programme_invalid"


# ---------------------------------------------------------------------------------------
# YAML: YAML 1.1 reads `10:00` as the integer 600 and `NO` (Norway) as false. The loader
# below keeps only decimal integers and true/false, so times and country codes stay text.
# ---------------------------------------------------------------------------------------

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"


class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(_INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))


def parse_programme(text: str, source: str = "<programme>") -> ProgrammeDocument:
    """Validate a programme file's text; raise `ProgrammeError` naming file, entry, field."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ProgrammeError(f"{source}: the file is empty")
        _check_duplicate_keys(node, source)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ProgrammeError(f"{source}: {where}YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise ProgrammeError(f"{source}: YAML syntax error: {exc}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ProgrammeError(f"{source}: expected a mapping with conference:, delegations:, …")

    try:
        parsed = ProgrammeFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        message = _pydantic_message(first, data)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ProgrammeError(_locate(source, node, data, first["loc"], message + more)) from None
    try:
        return resolve(parsed, source)
    except Located as exc:
        raise ProgrammeError(_locate(source, node, data, exc.loc, exc.message)) from None


def _check_duplicate_keys(node: yaml.Node, source: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise ProgrammeError(
                        f"{source}: line {key.start_mark.line + 1}: key {key.value!r} appears twice in the same mapping"
                    )
                seen.add(key.value)
            _check_duplicate_keys(value, source)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _check_duplicate_keys(child, source)


def _pydantic_message(error: Any, data: dict[str, Any]) -> str:
    kind = error["type"]
    loc = error["loc"]
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = list(model.model_fields)
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suggestion = f"did you mean {hint[0]!r}? " if hint else ""
        return f"unknown field ({suggestion}expected one of: {', '.join(allowed)})"
    if kind == "missing":
        return "required"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        message = {
            "^[A-Z]{2}$": "expected an ISO 3166-1 alpha-2 code in capitals, e.g. BY",
        }.get(pattern, f"invalid value {error.get('input')!r} (allowed: {pattern})")
    return message


def _model_at(loc: Sequence[str | int]) -> type[Spec]:
    if not loc:
        return ProgrammeFile
    if loc[0] == "conference":
        return ConferenceSpec
    return SECTIONS.get(str(loc[0]), (ProgrammeFile, ""))[0]


def _locate(source: str, node: yaml.Node, data: dict[str, Any], loc: Sequence[str | int], message: str) -> str:
    """`file: section[i] (code 'x'): field: message (line N)`."""
    parts = [source]
    rest: list[str | int] = list(loc)
    if rest and rest[0] in SECTIONS and len(rest) >= 2 and isinstance(rest[1], int):
        section, index = str(rest[0]), rest[1]
        entry = f"{section}[{index}]"
        key_name = SECTIONS[section][1]
        items = data.get(section)
        if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
            key = items[index].get(key_name)
            if isinstance(key, str | int):
                entry += f" ({key_name} {str(key)!r})"
        parts.append(entry)
        rest = rest[2:]
    elif rest:
        parts.append(str(rest.pop(0)))
    if rest:
        path = ""
        for part in rest:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
        parts.append(path)
    line = _line_of(node, loc)
    suffix = f" (line {line})" if line else ""
    return ": ".join(parts) + f": {message}{suffix}"


def _line_of(node: yaml.Node, loc: Sequence[str | int]) -> int | None:
    """The line of the deepest YAML node along `loc` (1-based)."""
    current = node
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    child = value
                    break
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(current.value):
                child = current.value[part]
        if child is None:
            break
        current = child
    return current.start_mark.line + 1
