"""Writing an export's rows as CSV or XLSX.

- CSV is UTF-8 with a BOM (Excel then opens Cyrillic correctly), comma-separated, CRLF.
  Cells that a spreadsheet would run as a formula (text starting with = + - @ TAB CR) get a
  leading apostrophe (CSV/formula injection): CSV has no other way to say "text".
- XLSX is written with openpyxl in write-only mode (constant memory: rows are spooled to a
  temporary file while the column widths are measured). Such cells are text cells
  (`t="inlineStr"`, never a formula) marked "quote prefix", as Excel does when one types
  an apostrophe: they show as written and stay text if edited. The header row is bold,
  frozen and has a filter; each column is as wide as its longest value (capped).
"""

from __future__ import annotations

import csv
import pickle
import tempfile
import unicodedata
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from core.reporting.export_tables import Cell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MIN_WIDTH, MAX_WIDTH = 8, 60


def safe(value: Any) -> Any:
    """A text cell that a spreadsheet would evaluate gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv_value(value: Cell) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else safe(value)


async def write_csv(path: Path, headers: list[str], rows: AsyncIterator[Sequence[Cell]]) -> int:
    """Write the rows to `path`; returns how many."""
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(headers)
        async for row in rows:
            writer.writerow([_csv_value(v) for v in row])
            count += 1
    return count


def _width(value: Cell) -> int:
    """Characters a value takes on screen (wide East Asian characters count twice)."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19  # 2024-10-31 12:00:00
    if isinstance(value, date):
        return 10
    text = str(value)
    if text.isascii() and text.isprintable():  # one line of narrow characters (most cells)
        return len(text)
    return max(
        (sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in text.splitlines()),
        default=0,
    )


async def write_xlsx(path: Path, title: str, headers: list[str], rows: AsyncIterator[Sequence[Cell]]) -> int:
    """Write the rows to `path` as one sheet named `title`; returns how many."""
    count = 0
    widths = [_width(h) + 2 for h in headers]  # + the filter button
    with tempfile.TemporaryFile() as spool:
        async for row in rows:
            pickle.dump(list(row), spool)
            widths = [max(w, _width(v)) for w, v in zip(widths, row, strict=True)]
            count += 1
        spool.seek(0)
        with path.open("wb") as target:  # fails cleanly before any sheet is started
            _write_sheet(target, title, headers, spool, count, widths)
    return count


def _write_sheet(
    path: Path | BinaryIO, title: str, headers: list[str], spool: Any, count: int, widths: list[int]
) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for i, width in enumerate(widths, start=1):  # columns must be set before the first row
        sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH + 2)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for _ in range(count):
        sheet.append([_xlsx_value(sheet, v) for v in pickle.load(spool)])
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    book.save(path)


def _xlsx_value(sheet: Any, value: Cell) -> Any:
    """Formula-looking text as a text cell with Excel's quote prefix; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    return value
