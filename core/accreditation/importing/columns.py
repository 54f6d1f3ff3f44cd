"""Reading a header row: which column feeds which field (`map_columns`), which row is the
header (`find_header`).

Unqualified name columns ("ФИО", "Фамилия", "Имя") are the Latin `name`, unless a column
is qualified as Latin: then they are read as the native name (`core.accreditation.importing.aliases`).

Nothing is dropped silently: a column that is not a field (a passport number, a note, a
phone number, row numbers) is left out and named in a note; a header that looks like a
typo of a field ("emial") is a problem, so the import stops before losing that column.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.accreditation.importing.aliases import (
    FIELD_OF_LABEL,
    FIELDS,
    NAME_TARGETS,
    PART_ORDER,
    REQUIRED,
    TYPO_TARGETS,
    WHY_NOT_STORED,
    name_header,
)
from core.text import column_letter, fold_words


@dataclass
class Columns:
    """Where each field is in a row. `index`: plain fields (and `telegram`, the mixed
    column); `names[target][part]`: the name and native name, whole ('full') or in parts."""

    index: dict[str, int] = field(default_factory=dict)
    names: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # the import cannot go on
    notes: list[str] = field(default_factory=list)  # columns left out or read another way
    known: int = 0  # header cells recognised: how much this row looks like a header

    def has(self, name: str) -> bool:
        return name in self.index or bool(self.names.get(name))

    @property
    def missing(self) -> list[str]:
        return [f for f in REQUIRED if not self.has(f)]

    def value(self, cells: Sequence[str], name: str) -> str:
        """A field's text in a row ('' when blank); a name given in parts is joined."""
        if name in NAME_TARGETS:
            parts = self.names.get(name, {})
            if "full" in parts:
                return _at(cells, parts["full"])
            return " ".join(v for v in (_at(cells, parts[p]) for p in PART_ORDER if p in parts) if v)
        i = self.index.get(name)
        return _at(cells, i) if i is not None else ""


def _at(cells: Sequence[str], i: int) -> str:
    return cells[i].strip() if i < len(cells) else ""


def _quote(label: str) -> str:
    return "'" + " ".join(label.split()) + "'"


def _named(i: int, label: str) -> str:
    """ "C 'ФИО'": a column by its letter and header."""
    return f"{column_letter(i)} {_quote(label)}"


def map_columns(header: Sequence[str], rows: Sequence[tuple[int, Sequence[str]]]) -> Columns:
    """Read a header row: which column feeds which field, what is left out (with how many
    values), what is wrong."""
    cols = Columns()
    seen: dict[str, int] = {}
    named: list[tuple[int, str, str | None]] = []  # (column, concept, script)
    notes: list[tuple[int, str]] = []

    def filled(i: int) -> int:
        return sum(1 for _, cells in rows if i < len(cells) and cells[i].strip())

    def once(key: str, i: int, label: str) -> bool:
        if key in seen:
            cols.problems.append(
                f"column '{key}' appears twice (columns {column_letter(seen[key])} and {column_letter(i)}: "
                f"{_quote(header[seen[key]])} and {_quote(label)})"
            )
            return False
        seen[key] = i
        return True

    for i, raw in enumerate(header):
        label = " ".join(raw.split())
        if not label:
            if filled(i):
                cols.problems.append(f"column {column_letter(i)} has values but no header")
            continue
        key = fold_words(label)
        name = name_header(key)
        if key in FIELD_OF_LABEL:
            cols.known += 1
            target = FIELD_OF_LABEL[key]
            if once(target, i, label):
                cols.index[target] = i
        elif name is not None:
            cols.known += 1
            named.append((i, *name))
        elif key in WHY_NOT_STORED:
            cols.known += 1
            count = filled(i)
            if count:
                notes.append((i, f"column {_named(i, label)} not imported ({WHY_NOT_STORED[key]}; {count} value(s))"))
        else:
            close = difflib.get_close_matches(key, list(TYPO_TARGETS), n=1, cutoff=0.8)
            if close:
                cols.problems.append(
                    f"unknown column {_quote(label)} (did you mean '{TYPO_TARGETS[close[0]]}'? "
                    f"expected one of: {', '.join(FIELDS)}; rename it, or remove it to leave it out)"
                )
            else:
                count = filled(i)
                what = f"{count} value(s) not imported" if count else "empty"
                notes.append((i, f"column {_named(i, label)} is not a confdesk column: {what}"))
    _resolve_names(cols, header, named, notes)
    cols.notes = [text for _, text in sorted(notes, key=lambda note: note[0])]
    for required in cols.missing:
        hint = " (or ФИО, or surname and given name columns)" if required == "name" else " (or категория)"
        cols.problems.append(f"missing column '{required}'{hint}")
    return cols


def _resolve_names(
    cols: Columns, header: Sequence[str], named: list[tuple[int, str, str | None]], notes: list[tuple[int, str]]
) -> None:
    """Unqualified name columns are the Latin name, unless a Latin-qualified one exists:
    then they are the native name. A bare "Name" beside a "Surname" is the given name."""
    latin_given = any(script == "latin" for _, _, script in named)
    targets: dict[str, list[tuple[int, str]]] = {}
    for i, concept, script in named:
        if script == "latin" or (script is None and not latin_given):
            target = "name"
        else:
            target = "native_name"
        if script is None and latin_given:
            why = "another column gives the name in Latin script"
            notes.append((i, f"column {_named(i, header[i])} read as native_name: {why}"))
        targets.setdefault(target, []).append((i, concept))
    for target, columns in targets.items():
        surname = next((i for i, concept in columns if concept == "surname"), None)
        for i, concept in columns:
            if concept == "bare" and surname is not None:
                concept = "given"
                beside = _named(surname, header[surname])
                notes.append((i, f"column {_named(i, header[i])} read as the given name, beside {beside}"))
            elif concept == "bare":
                concept = "full"
            _place(cols, header, target, i, concept)


def _place(cols: Columns, header: Sequence[str], target: str, i: int, concept: str) -> None:
    """Put column i as the target's whole name or one of its parts, unless that clashes."""
    parts = cols.names.setdefault(target, {})
    if concept in parts:
        first = parts[concept]
        what = target if concept == "full" else f"{target} ({concept})"
        cols.problems.append(
            f"columns {_named(first, header[first])} and {_named(i, header[i])} both give the {what}: keep one"
        )
    elif parts and ("full" in parts or concept == "full"):
        other = next(iter(parts.values()))
        cols.problems.append(
            f"columns {_named(other, header[other])} and {_named(i, header[i])} both give the {target}: "
            "use either one whole-name column or its parts"
        )
    else:
        parts[concept] = i


HEADER_SEARCH = 10  # a header is looked for in the first rows that are not blank


def find_header(records: Sequence[tuple[int, list[str]]]) -> int:
    """Index (in `records`, blank rows already removed) of the header row: the first of
    the first HEADER_SEARCH rows with at least two recognised headers (a title above the
    list is skipped), else the first row."""
    for position, (_, cells) in enumerate(records[:HEADER_SEARCH]):
        if map_columns(cells, []).known >= 2:
            return position
    return 0
