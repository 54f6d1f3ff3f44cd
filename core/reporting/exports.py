"""Exports for spreadsheets: registrations, scans, attendance, as CSV or XLSX.

- CSV is UTF-8 with a BOM (Excel then opens Cyrillic correctly), comma-separated, CRLF.
  Cells that a spreadsheet would run as a formula (text starting with = + - @ TAB CR) get a
  leading apostrophe (CSV/formula injection): CSV has no other way to say "text".
- XLSX is written with openpyxl in write-only mode (constant memory: rows are spooled to a
  temporary file while the column widths are measured). Such cells are text cells
  (`t="inlineStr"`, never a formula) marked "quote prefix", as Excel does when one types
  an apostrophe: they show as written and stay text if edited. The header row is bold,
  frozen and has a filter; each column is as wide as its longest value (capped).
- Times are conference-local, without offset (spreadsheets have no time zones); the header
  says which zone.
Rows are streamed from the database; the file is written next to `out` and moved into
place when complete, so a failed export never leaves half a file.
"""

from __future__ import annotations

import contextlib
import csv
import os
import pickle
import tempfile
import unicodedata
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, utc_now
from core.errors import InvalidInput
from core.models import (
    AgendaItem,
    Conference,
    Delegation,
    Participant,
    Presence,
    Registration,
    RegistrationStatus,
    Scan,
    pick,
)
from core.reporting import reports

KINDS = ("registrations", "scans", "attendance")
FORMATS = ("csv", "xlsx")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_reg = Registration.__table__  # type: ignore[attr-defined]
_part = Participant.__table__  # type: ignore[attr-defined]
_deleg = Delegation.__table__  # type: ignore[attr-defined]
_scan = Scan.__table__  # type: ignore[attr-defined]
_item = AgendaItem.__table__  # type: ignore[attr-defined]
_presence = Presence.__table__  # type: ignore[attr-defined]

Cell = str | int | float | datetime | date | None


def safe(value: Any) -> Any:
    """A text cell that a spreadsheet would evaluate gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class ExportResult:
    kind: str
    format: str
    rows: int
    path: Path


def _enum(value: Any) -> str:
    return str(getattr(value, "value", value))


class _Local:
    def __init__(self, conference: Conference) -> None:
        self.tz = reports.zone(conference)

    def __call__(self, moment: datetime | None) -> datetime | None:
        return moment.astimezone(self.tz).replace(tzinfo=None, microsecond=0) if moment else None


async def _stream(session: AsyncSession, stmt: Any) -> AsyncIterator[Any]:
    result = await session.stream(stmt.execution_options(yield_per=2000))
    async for row in result:
        yield row


async def _registrations(
    session: AsyncSession, conference: Conference
) -> tuple[list[str], AsyncIterator[Sequence[Cell]]]:
    local = _Local(conference)
    headers = [
        "registration_id",
        "full_name",
        "native_name",
        "delegation_code",
        "delegation",
        "category",
        "status",
        "position",
        "organisation",
        "email",
        "telegram_username",
        "source",
        "badge_version",
        "badge_print_count",
        f"registered_at ({conference.timezone})",
        f"decided_at ({conference.timezone})",
    ]
    stmt = (
        select(
            _reg.c.id,
            _part.c.full_name,
            _part.c.native_name,
            _deleg.c.code,
            _deleg.c.name,
            _reg.c.category,
            _reg.c.status,
            _part.c.position,
            _part.c.organisation,
            _part.c.email,
            _part.c.telegram_username,
            _reg.c.source,
            _reg.c.badge_version,
            _reg.c.badge_print_count,
            _reg.c.created_at,
            _reg.c.decided_at,
        )
        .select_from(
            _reg.join(_part, _part.c.id == _reg.c.participant_id).outerjoin(_deleg, _deleg.c.id == _reg.c.delegation_id)
        )
        .where(_reg.c.conference_id == conference.id)
        .order_by(_reg.c.id)
    )

    async def rows() -> AsyncIterator[Sequence[Cell]]:
        async for r in _stream(session, stmt):
            yield [
                r[0],
                r[1],
                r[2],
                r[3],
                pick(r[4], "en") if r[4] else None,
                _enum(r[5]),
                _enum(r[6]),
                r[7],
                r[8],
                r[9],
                r[10],
                r[11],
                r[12],
                r[13],
                local(r[14]),
                local(r[15]),
            ]

    return headers, rows()


async def _scans(session: AsyncSession, conference: Conference) -> tuple[list[str], AsyncIterator[Sequence[Cell]]]:
    local = _Local(conference)
    headers = [
        "scan_id",
        f"scanned_at ({conference.timezone})",
        "registration_id",
        "full_name",
        "delegation_code",
        "direction",
        "result",
        "place",
        "gate",
        "staff_telegram_id",
        "badge_version",
    ]
    stmt = (
        select(
            _scan.c.id,
            _scan.c.scanned_at,
            _scan.c.registration_id,
            _part.c.full_name,
            _deleg.c.code,
            _scan.c.direction,
            _scan.c.result,
            _item.c.code,
            _scan.c.gate,
            _scan.c.staff_telegram_id,
            _scan.c.badge_version,
        )
        .select_from(
            _scan.outerjoin(_reg, _reg.c.id == _scan.c.registration_id)
            .outerjoin(_part, _part.c.id == _reg.c.participant_id)
            .outerjoin(_deleg, _deleg.c.id == _reg.c.delegation_id)
            .outerjoin(_item, _item.c.id == _scan.c.agenda_item_id)
        )
        .where(_scan.c.conference_id == conference.id)
        .order_by(_scan.c.scanned_at, _scan.c.id)
    )

    async def rows() -> AsyncIterator[Sequence[Cell]]:
        async for r in _stream(session, stmt):
            yield [r[0], local(r[1]), r[2], r[3], r[4], _enum(r[5]), _enum(r[6]), r[7] or "venue", r[8], r[9], r[10]]

    return headers, rows()


async def _attendance(
    session: AsyncSession, conference: Conference, now: datetime
) -> tuple[list[str], AsyncIterator[Sequence[Cell]]]:
    """One row per approved registration: present on each conference day, first and last entry."""
    assert conference.id is not None
    cid = conference.id
    local = _Local(conference)
    days = reports.conference_days(conference)
    conn = await session.connection()
    present: list[set[int]] = []
    for day in days:
        start, end = reports.day_bounds(conference, day)
        ids = (await conn.execute(reports.present_ids(cid, start, end).distinct())).scalars().all()
        present.append({int(i) for i in ids})
    span = {
        int(r[0]): (r[1], r[2])
        for r in (
            await conn.execute(
                select(_scan.c.registration_id, func.min(_scan.c.scanned_at), func.max(_scan.c.scanned_at))
                .where(*reports.entry_conditions(cid), _scan.c.registration_id.is_not(None))
                .group_by(_scan.c.registration_id)
            )
        ).all()
    }
    today_start, _ = reports.day_bounds(conference, now.astimezone(reports.zone(conference)).date())
    headers = [
        "registration_id",
        "full_name",
        "native_name",
        "delegation_code",
        "delegation",
        "category",
        *[f"present {d.isoformat()}" for d in days],
        "days_present",
        f"first_entry ({conference.timezone})",
        f"last_entry ({conference.timezone})",
        "inside_now",
    ]
    stmt = (
        select(
            _reg.c.id,
            _part.c.full_name,
            _part.c.native_name,
            _deleg.c.code,
            _deleg.c.name,
            _reg.c.category,
            _presence.c.inside,
            _presence.c.since,
        )
        .select_from(
            _reg.join(_part, _part.c.id == _reg.c.participant_id)
            .outerjoin(_deleg, _deleg.c.id == _reg.c.delegation_id)
            .outerjoin(_presence, _presence.c.registration_id == _reg.c.id)
        )
        .where(_reg.c.conference_id == cid, _reg.c.status == RegistrationStatus.APPROVED.value)
        .order_by(_reg.c.id)
    )

    async def rows() -> AsyncIterator[Sequence[Cell]]:
        async for r in _stream(session, stmt):
            marks = ["yes" if r[0] in seen else "" for seen in present]
            first, last = span.get(r[0], (None, None))
            inside = bool(r[6]) and r[7] is not None and r[7] >= today_start
            yield [
                r[0],
                r[1],
                r[2],
                r[3],
                pick(r[4], "en") if r[4] else None,
                _enum(r[5]),
                *marks,
                sum(1 for m in marks if m),
                local(first),
                local(last),
                "yes" if inside else "",
            ]

    return headers, rows()


MIN_WIDTH, MAX_WIDTH = 8, 60


def _width(value: Cell) -> int:
    """Characters a value takes on screen (wide East Asian characters count twice)."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19  # 2024-10-31 12:00:00
    if isinstance(value, date):
        return 10
    text = str(value)
    return max(
        (sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in text.splitlines()),
        default=0,
    )


def _write_xlsx(
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


def _csv_value(value: Cell) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else safe(value)


async def export(
    session: AsyncSession, conference: Conference, kind: str, fmt: str, out: Path, *, clock: Clock = utc_now
) -> ExportResult:
    """Write one export to `out`; returns how many data rows it has. Commits (read-only)."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown export '{kind}' (expected {', '.join(KINDS)})", code="invalid_input")
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format '{fmt}' (expected csv or xlsx)", code="invalid_input")
    if kind == "registrations":
        headers, rows = await _registrations(session, conference)
    elif kind == "scans":
        headers, rows = await _scans(session, conference)
    else:
        headers, rows = await _attendance(session, conference, clock())
    out = Path(out)
    partial = out.with_name(f".{out.name}.partial")
    count = 0
    try:
        if fmt == "csv":
            with partial.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\r\n")
                writer.writerow(headers)
                async for row in rows:
                    writer.writerow([_csv_value(v) for v in row])
                    count += 1
        else:
            widths = [_width(h) + 2 for h in headers]  # + the filter button
            with tempfile.TemporaryFile() as spool:
                async for row in rows:
                    pickle.dump(list(row), spool)
                    widths = [max(w, _width(v)) for w, v in zip(widths, row, strict=True)]
                    count += 1
                spool.seek(0)
                with partial.open("wb") as target:  # fails cleanly before any sheet is started
                    _write_xlsx(target, kind, headers, spool, count, widths)
        await session.commit()
        os.replace(partial, out)
    except OSError as exc:  # name the user's file, not our temporary one
        raise OSError(exc.errno, exc.strerror, str(out)) from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return ExportResult(kind, fmt, count, out)
