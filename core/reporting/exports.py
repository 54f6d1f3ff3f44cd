"""Exports for spreadsheets: registrations, scans, attendance, as CSV or XLSX.

What each holds and how its cells are selected: `export_tables`; how CSV and XLSX are
written (BOM, formula cells made text, column widths): `export_files` and `xlsx`. Rows are
streamed from the database in batches of plain tuples; the file is
written next to `out` and moved into place when complete, so a failed export never leaves
half a file.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, utc_now
from core.errors import InvalidInput
from core.models import Conference
from core.reporting import export_tables
from core.reporting.export_files import write_csv, write_xlsx

KINDS = ("registrations", "scans", "attendance")
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ExportResult:
    kind: str
    format: str
    rows: int
    path: Path


async def _table(session: AsyncSession, conference: Conference, kind: str, clock: Clock) -> export_tables.Table:
    if kind == "registrations":
        return await export_tables.registrations(session, conference)
    if kind == "scans":
        return await export_tables.scans(session, conference)
    return await export_tables.attendance(session, conference, clock(), clock=clock)


async def export(
    session: AsyncSession, conference: Conference, kind: str, fmt: str, out: Path, *, clock: Clock = utc_now
) -> ExportResult:
    """Write one export to `out`; returns how many data rows it has. Reads only; no commit."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown export '{kind}' (expected {', '.join(KINDS)})", code="invalid_input")
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format '{fmt}' (expected csv or xlsx)", code="invalid_input")
    table = await _table(session, conference, kind, clock)
    out = Path(out)
    partial = out.with_name(f".{out.name}.partial")
    try:
        if fmt == "csv":
            count = await write_csv(partial, table, session)
        else:
            count = await write_xlsx(partial, kind, table, session)
        os.replace(partial, out)
    except OSError as exc:  # name the user's file, not our temporary one
        raise OSError(exc.errno, exc.strerror, str(out)) from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return ExportResult(kind, fmt, count, out)
