"""Every table and line the CLI prints goes through here, so no value is ever cut.

Three ways out, chosen with `--format` (`format_option()`) and by where stdout goes:

* `table` on a terminal: columns aligned two spaces apart, widths computed here.
  Identifiers, codes, statuses, numbers and timestamps (*token* columns) keep their whole
  width and never wrap; *text* columns wrap at word boundaries (only a single word longer
  than `LONG_WORD` cells, such as a URL, is folded: split, never dropped). When even the
  narrowest such layout is wider than the terminal, every row is printed as
  "Header  value" lines instead. Nothing is ever replaced by "…".
* `table` when stdout is not a terminal (piped, redirected to a file): plain text, one row
  per line, the same columns aligned two spaces apart, no colours, rules or wrapping; a
  list in a cell is joined with "; ". `grep` finds whole rows; any editor shows full values.
* `csv` / `json`: the data for scripts and spreadsheets, with machine column names
  (`Column.key`): CSV with a header row; JSON an array of objects (lists stay lists,
  numbers stay numbers, empty is null).

Free text lines go through `say`: wrapped at words on a terminal, whole lines otherwise.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from bot.cli.common import CliConsole

Kind = Literal["text", "token", "number"]
Value = str | int | float | bool | Sequence[str] | Mapping[str, Any] | None
EMPTY = "—"
GAP = 2  # spaces between columns
LONG_WORD = 30  # a longer word in a text column (a URL, an e-mail) may be folded


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


FORMAT_HELP = (
    "table: aligned columns, wrapped on a terminal, one full line per row when piped; "
    "csv or json: the data for scripts."
)


def format_option(help: str = FORMAT_HELP) -> Any:
    """The `--format` option of every listing command."""
    return typer.Option(Format.TABLE, "--format", "-f", help=help, case_sensitive=False)


def stdout() -> Console:
    """A console for standard output, built now: whether stdout is a terminal (or
    TTY_COMPATIBLE=1 says so), COLUMNS and NO_COLOR are read at the time of printing."""
    return CliConsole(highlight=False)


def say(text: str | Text, *, style: str | None = None) -> None:
    """One line of prose: wrapped at words on a terminal, printed whole otherwise."""
    console = stdout()
    if console.is_terminal:
        console.print(text if isinstance(text, Text) else Text(text, style=style or ""))
    else:
        typer.echo(text.plain if isinstance(text, Text) else text)


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: Kind = "text"
    # Terminal only: a style for a value (e.g. a status's colour).
    style: Callable[[Any], str | None] | None = None
    # Terminal only: when the rows do not fit side by side, shown under the previous
    # column's value (e.g. a code under the time) instead of beside it.
    stack: bool = False
    # False: only in csv/json (e.g. the day a sectioned table is grouped by).
    shown: bool = True


@dataclass
class _Row:
    values: tuple[Value, ...]
    section: str | None
    style: str | None


@dataclass
class Table:
    columns: list[Column]
    title: str | None = None
    rows: list[_Row] = field(default_factory=list)

    def add_row(self, *values: Value, section: str | None = None, style: str | None = None) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"{len(values)} values for {len(self.columns)} columns")
        self.rows.append(_Row(tuple(values), section, style))

    def sections(self) -> list[tuple[str | None, list[_Row]]]:
        groups: dict[str | None, list[_Row]] = {}
        for row in self.rows:
            groups.setdefault(row.section, []).append(row)
        return list(groups.items()) or [(None, [])]  # no rows: still the header


def emit(table: Table, fmt: Format = Format.TABLE) -> None:
    """Print `table` in `fmt` to standard output (see the module's docstring)."""
    if fmt is Format.CSV:
        typer.echo(to_csv(table), nl=False)
    elif fmt is Format.JSON:
        typer.echo(to_json(table), nl=False)
    else:
        console = stdout()
        if console.is_terminal:
            _print_terminal(console, table)
        else:
            for line in plain_lines(table):
                typer.echo(line)


# -- data ---------------------------------------------------------------------------------------


def to_data(table: Table) -> list[dict[str, Any]]:
    return [
        {c.key: (list(v) if _is_list(v) else v) for c, v in zip(table.columns, row.values, strict=True)}  # type: ignore[arg-type]
        for row in table.rows
    ]


def to_json(table: Table) -> str:
    return json.dumps(to_data(table), ensure_ascii=False, indent=2, default=str) + "\n"


def to_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.key for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv(v) for v in row.values])
    return buffer.getvalue()


def _csv(value: Value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, default=str)
    if _is_list(value):
        return "; ".join(value)  # type: ignore[arg-type]
    return value  # type: ignore[return-value]


def _pairs(mapping: Mapping[str, Any]) -> str:
    """`key=value, …`: text as it is, anything else (lists, numbers, null) as JSON."""
    return ", ".join(
        f"{k}={v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)}" for k, v in mapping.items()
    )


def _is_list(value: Value) -> bool:
    return isinstance(value, list | tuple)


def _one_line(text: str) -> str:
    return " ".join(text.split())  # no newline, tab or run of spaces breaks a row


def _lines(value: Value) -> list[str]:
    """A cell's lines on a terminal."""
    if value is None:
        return [EMPTY]
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    if isinstance(value, Mapping):
        return [_one_line(_pairs(value))]
    if _is_list(value):
        return [_one_line(str(v)) for v in value] or [""]  # type: ignore[union-attr]
    return [_one_line(str(value))]


def _flat(value: Value) -> str:
    """A cell on one plain line."""
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return _one_line(_pairs(value))
    if _is_list(value):
        return "; ".join(_one_line(str(v)) for v in value)  # type: ignore[union-attr]
    return _one_line(str(value))


# -- plain lines (not a terminal) ---------------------------------------------------------------


def plain_lines(table: Table) -> list[str]:
    columns = [(i, c) for i, c in enumerate(table.columns) if c.shown]
    widths = {i: max([cell_len(c.header)] + [cell_len(_flat(row.values[i])) for row in table.rows]) for i, c in columns}

    def line(cells: list[tuple[str, int, Kind]]) -> str:
        parts = [text.rjust(width) if kind == "number" else _pad(text, width) for text, width, kind in cells]
        return (" " * GAP).join(parts).rstrip()

    out = [table.title] if table.title else []
    for n, (section, rows) in enumerate(table.sections()):
        if n or table.title:
            out.append("")
        if section:
            out.append(section)
        out.append(line([(c.header, widths[i], c.kind) for i, c in columns]))
        out += [line([(_flat(row.values[i]), widths[i], c.kind) for i, c in columns]) for row in rows]
    return out


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_len(text))


# -- terminal ------------------------------------------------------------------------------------


@dataclass
class _Slot:
    """One visual column on a terminal: a column and those stacked under it."""

    members: list[tuple[int, Column]]

    @property
    def justify(self) -> str:
        return "right" if all(c.kind == "number" for _, c in self.members) else "left"

    def header(self) -> list[str]:
        return [c.header for _, c in self.members]

    def cell(self, row: _Row) -> list[tuple[str, Kind, str | None]]:
        out: list[tuple[str, Kind, str | None]] = []
        for i, column in self.members:
            value = row.values[i]
            style = column.style(value) if column.style and value is not None else None
            out += [(text, column.kind, style) for text in _lines(value)]
        return out


def _slots(table: Table, *, stacked: bool) -> list[_Slot]:
    slots: list[_Slot] = []
    for i, column in enumerate(table.columns):
        if not column.shown:
            continue
        if stacked and column.stack and slots:
            slots[-1].members.append((i, column))
        else:
            slots.append(_Slot([(i, column)]))
    return slots


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)


def _min_width(text: str, kind: Kind) -> int:
    return cell_len(text) if kind != "text" else min(_longest_word(text), LONG_WORD)


def fit_widths(mins: list[int], maxs: list[int], available: int) -> list[int] | None:
    """Column widths within `available` cells, each between its min and max: the room above
    the minimums is shared in proportion to what each column would use. None when even the
    minimums do not fit."""
    if sum(maxs) <= available:
        return list(maxs)
    if sum(mins) > available:
        return None
    room, slack = available - sum(mins), [hi - lo for lo, hi in zip(mins, maxs, strict=True)]
    total = sum(slack)
    widths = [lo + s * room // total for lo, s in zip(mins, slack, strict=True)]
    for i in sorted(range(len(widths)), key=lambda j: -slack[j])[: available - sum(widths)]:
        widths[i] += 1  # the rounding remainder, to the columns with the most to show
    return widths


def _measure(table: Table, slots: list[_Slot]) -> tuple[list[int], list[int]]:
    mins, maxs = [], []
    for slot in slots:
        texts: list[tuple[str, Kind]] = [(h, "text") for h in slot.header()]
        texts += [(text, kind) for row in table.rows for text, kind, _ in slot.cell(row)]
        mins.append(max(_min_width(text, kind) for text, kind in texts))
        maxs.append(max(cell_len(text) for text, _ in texts))
    return mins, maxs


def _layout(table: Table, width: int) -> tuple[list[_Slot], list[int] | None]:
    """Side by side when every row fits on one line; else stacked columns go under their
    neighbours and text wraps; None widths: not even that fits (rows become records)."""
    slots = _slots(table, stacked=False)
    mins, maxs = _measure(table, slots)
    if sum(maxs) + GAP * (len(slots) - 1) <= width:
        return slots, maxs
    slots = _slots(table, stacked=True)
    mins, maxs = _measure(table, slots)
    return slots, fit_widths(mins, maxs, width - GAP * (len(slots) - 1))


def _print_terminal(console: Console, table: Table) -> None:
    slots, widths = _layout(table, console.width)
    if table.title:
        console.print(Text(table.title, style="bold"))
    for n, (section, rows) in enumerate(table.sections()):
        if section:
            if n or table.title:
                console.print()
            console.print(Text(section, style="bold"))
        if widths is None:
            _print_records(console, table, rows)
        else:
            _print_grid(console, slots, widths, rows)


def _wrap(console: Console, lines: list[tuple[str, Kind, str | None]], width: int, justify: str) -> list[Text]:
    out: list[Text] = []
    for text, _kind, style in lines:
        wrapped = Text(text, style=style or "").wrap(console, width, overflow="fold")
        for piece in wrapped:
            piece.rstrip()
            piece.align(justify, width)  # type: ignore[arg-type]
            out.append(piece)
    return out


def _print_grid(console: Console, slots: list[_Slot], widths: list[int], rows: list[_Row]) -> None:
    header = [
        _wrap(console, [(h, "text", "bold") for h in slot.header()], w, slot.justify)
        for slot, w in zip(slots, widths, strict=True)
    ]
    blocks = [
        [_wrap(console, slot.cell(row), w, slot.justify) for slot, w in zip(slots, widths, strict=True)] for row in rows
    ]
    spaced = any(len(cell) > 1 for block in blocks for cell in block)  # a blank line between tall rows
    _print_block(console, header, widths, None)
    console.print(Text("─" * (sum(widths) + GAP * (len(widths) - 1)), style="dim"), soft_wrap=True)
    for n, (row, block) in enumerate(zip(rows, blocks, strict=True)):
        if spaced and n:
            console.print()
        _print_block(console, block, widths, row.style)


def _print_block(console: Console, cells: list[list[Text]], widths: list[int], style: str | None) -> None:
    for k in range(max(len(cell) for cell in cells)):
        line = Text(style=style or "")
        for j, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            if j:
                line.append(" " * GAP)
            line.append(cell[k] if k < len(cell) else Text(" " * width))
        line.rstrip()
        console.print(line, soft_wrap=True)


def _print_records(console: Console, table: Table, rows: list[_Row]) -> None:
    """Too narrow for columns: each row as "Header  value" lines, rows apart."""
    columns = [(i, c) for i, c in enumerate(table.columns) if c.shown]
    label = max(cell_len(c.header) for _, c in columns)
    width = max(10, console.width - label - GAP)
    for n, row in enumerate(rows):
        if n:
            console.print()
        for i, column in columns:
            value = row.values[i]
            style = column.style(value) if column.style and value is not None else None
            pieces = _wrap(console, [(text, column.kind, style) for text in _lines(value)], width, "left")
            for k, piece in enumerate(pieces):
                line = Text()
                line.append(_pad(column.header if k == 0 else "", label) + " " * GAP, style="bold")
                line.append(piece)
                line.rstrip()
                console.print(line, soft_wrap=True, style=row.style or "")
