"""Reading a protocol office's file into a `Table` of text cells: CSV or XLSX by content,
the encoding and separator of a CSV, the sheet of a workbook, the header row.

The header is the first row with two known headers among the first few rows, so a title
above the list is skipped (and named in a note). CSV is UTF-8 with or without BOM (UTF-16
with BOM too), comma, semicolon or tab separated. XLSX: the sheet that has the columns is
read (a cover sheet before the list is passed over); two sheets with lists need `sheet=`
(a name or a 1-based number). Rows are numbered as in the spreadsheet.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from core.accreditation.importing.aliases import FIELDS
from core.accreditation.importing.columns import HEADER_SEARCH, Columns, find_header, map_columns
from core.accreditation.importing.results import ImportFailed

MAX_ROWS = 20_000


@dataclass
class Table:
    """A file's cells as text: its header and its rows with spreadsheet row numbers;
    `notes` say what of the file was passed over (other sheets, rows above the header)."""

    source: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    sheet: str | None = None  # the sheet read, when the workbook has several
    header_row: int = 1
    notes: list[str] = field(default_factory=list)
    _columns: Columns | None = field(default=None, repr=False)

    @property
    def columns(self) -> Columns:
        if self._columns is None:
            self._columns = map_columns(self.header, self.rows)
        return self._columns

    @property
    def where(self) -> str:
        """'sheet 'List', header on row 3' when either is not what one would assume."""
        parts = [f"sheet '{self.sheet}'"] if self.sheet else []
        if self.header_row != 1:
            parts.append(f"header on row {self.header_row}")
        return ", ".join(parts)


def read_table(path: Path, *, sheet: str | None = None) -> Table:
    """Read a CSV or XLSX file (by content, else extension); OSError if unreadable.
    `sheet`: an XLSX sheet's name or 1-based number (default: the one with the columns)."""
    return parse_bytes(path.read_bytes(), path.name, sheet=sheet)


def parse_bytes(data: bytes, name: str, *, sheet: str | None = None) -> Table:
    suffix = Path(name).suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, name, sheet)
    if suffix in (".xlsx", ".xlsm"):
        raise ImportFailed([f"{name}: not a readable XLSX workbook"])
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise ImportFailed([f"{name}: old Excel .xls files are not supported; save it as .xlsx or CSV UTF-8"])
    if sheet is not None:
        raise ImportFailed([f"{name}: a CSV file has no sheets (a sheet is chosen in XLSX workbooks only)"])
    return _read_csv(data, name)


def _decode(data: bytes, name: str) -> str:
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed([f'{name}: line {line}: not UTF-8 text (in Excel use Save As → "CSV UTF-8")']) from None


def _delimiter(text: str) -> str:
    """The separator used most in the first lines (the header may follow a title)."""
    lines = [line for line in text.splitlines()[: HEADER_SEARCH * 3] if line.strip()][:HEADER_SEARCH]
    counts = {d: sum(line.count(d) for line in lines) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes, name: str) -> Table:
    text = _decode(data, name)
    if "\x00" in text:
        raise ImportFailed([f"{name}: not a text file (is it a spreadsheet saved under another name?)"])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    records: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            records.append((number, cells))
            if number > MAX_ROWS + HEADER_SEARCH + 1:
                break
    except csv.Error as exc:
        raise ImportFailed([f"{name}: line {reader.line_num}: {exc}"]) from None
    return _table(name, records)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _sheet_records(sheet: Any, limit: int) -> list[tuple[int, list[str]]]:
    """The sheet's rows that are not blank, numbered as in the sheet; at most `limit`."""
    records: list[tuple[int, list[str]]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_cell(v) for v in values]
        if any(c.strip() for c in cells):
            records.append((number, cells))
            if len(records) >= limit:
                break
    return records


def _read_xlsx(data: bytes, name: str, wanted: str | None) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl's own errors: all mean "not readable"
        raise ImportFailed([f"{name}: not a readable XLSX workbook ({type(exc).__name__})"]) from None
    try:
        sheets = list(workbook.worksheets)
        if not sheets:
            raise ImportFailed([f"{name}: the workbook has no sheets"])
        chosen, notes = _pick_sheet(name, sheets, wanted)
        records = _sheet_records(chosen, MAX_ROWS + HEADER_SEARCH + 1)
    finally:
        workbook.close()
    table = _table(name, records)
    if len(sheets) > 1:
        table.sheet = chosen.title
    table.notes[:0] = notes
    return table


def _pick_sheet(name: str, sheets: list[Any], wanted: str | None) -> tuple[Any, list[str]]:
    """The sheet named or numbered by `wanted`; else the one sheet whose header has the
    required columns (a cover or notes sheet is passed over, and said so)."""
    titles = ", ".join(f"{n} '{s.title}'" for n, s in enumerate(sheets, start=1))
    if wanted is not None:
        text = wanted.strip()
        for sheet in sheets:
            if sheet.title == text:
                return sheet, []
        for sheet in sheets:
            if sheet.title.casefold().strip() == text.casefold():
                return sheet, []
        if text.isdigit() and 1 <= int(text) <= len(sheets):
            return sheets[int(text) - 1], []
        raise ImportFailed([f"{name}: no sheet '{wanted}' (the sheets are {titles})"])
    if len(sheets) == 1:
        return sheets[0], []
    looks: list[tuple[Any, Columns | None]] = []
    for sheet in sheets:
        head = _sheet_records(sheet, HEADER_SEARCH)
        looks.append((sheet, map_columns(head[find_header(head)][1], []) if head else None))
    full = [s for s, cols in looks if cols is not None and not cols.missing]
    if len(full) > 1:
        listed = ", ".join(f"'{s.title}'" for s in full)
        raise ImportFailed([f"{name}: sheets {listed} each have a participant list: choose one sheet ({titles})"])
    if full:
        chosen = full[0]
    else:  # no sheet has every required column: read the closest, its problems will say why
        best = max(looks, key=lambda look: look[1].known if look[1] is not None else -1)
        if best[1] is None:
            raise ImportFailed([f"{name}: the workbook is empty (expected a header row: {', '.join(FIELDS)})"])
        chosen = best[0]
    others = [f"'{s.title}'" for s, cols in looks if s is not chosen and cols is not None]
    notes = [f"read sheet '{chosen.title}'; not read: sheet {', '.join(others)}"] if others else []
    return chosen, notes


def _table(name: str, records: list[tuple[int, list[str]]]) -> Table:
    records = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    if not records:
        raise ImportFailed([f"{name}: the file is empty (expected a header row: {', '.join(FIELDS)})"])
    at = find_header(records)
    (header_row, header), rows = records[at], records[at + 1 :]
    if len(rows) > MAX_ROWS:
        raise ImportFailed([f"{name}: more than {MAX_ROWS} rows; split the file"])
    if not rows:
        raise ImportFailed([f"{name}: no rows below the header (row {header_row})"])
    table = Table(name, header, rows, header_row=header_row)
    if at:
        above = "; ".join(quote(" ".join(c.strip() for c in cells if c.strip()), 60) for _, cells in records[:at])
        table.notes.append(f"row(s) above the header (row {header_row}) not imported: {above}")
    return table


def quote(text: str, limit: int = 40) -> str:
    """A cell's text as a problem or note shows it: on one line, shortened, in quotes."""
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
