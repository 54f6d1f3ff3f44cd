"""The export writers against what they replaced, on awkward values.

XLSX: our streaming writer (core.reporting.xlsx) against openpyxl's write-only workbook, the
writer every export used before (kept here as the reference): the same cells, types, styles,
widths, frozen and filtered header. CSV: the database-written cells (SQLite's driver rows,
PostgreSQL's COPY) against csv.writer over the same values, byte for byte.
"""

from __future__ import annotations

import csv
import html
import io
import random
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from core import reporting
from core.errors import InvalidInput
from core.models import Registration, RegistrationStatus, Scan, ScanDirection, ScanResult
from core.reporting import xlsx
from core.reporting.days import conference_days, day_bounds, zone
from core.reporting.export_files import safe
from tests.factories import make_conference, make_delegation, make_item, make_participant, make_registration

HEADERS = ["id", "name", "note", "at ({tz})", "code"]
KINDS = ["number", "text", "text", "time", "text"]
ROWS: list[tuple[Any, ...]] = [
    (1, "007", "=SUM(A1:A2)", "2024-10-31 09:00:01", "+7 900"),
    (2, "line1\nline2", "a & b < c > d \"q\" 's'", None, "-2"),
    (3, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀", "مرحبا بالعالم", "2024-03-31 02:30:00", "@x"),
    (4, "王毅 習近平", None, "1900-02-28 23:59:59", "ok"),
    (5, "x" * 32_767, " lead and trail ", "2024-10-31 00:00:00", "\tTab"),
    (None, "Ёлкин", "CR\r\nLF", "2030-12-31 23:59:59", "\rCR"),
    (7, "   ", "<b>not bold</b>", "2024-01-01 12:00:00", 'quote"'),
    (12345678901234, "tail ", None, None, None),
]


def _openpyxl_reference(path: Path, title: str, headers: list[str], rows: list[tuple[Any, ...]]) -> None:
    """The writer before: openpyxl write-only (main until this change, export_files.py)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    widths = [xlsx.width(h) + 2 for h in headers]
    for row in rows:
        widths = [max(w, 19 if isinstance(v, datetime) else xlsx.width(v)) for w, v in zip(widths, row, strict=True)]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 62)
    sheet.freeze_panes = "A2"
    head = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        head.append(cell)
    sheet.append(head)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str) and value.startswith(xlsx.FORMULA_START):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cell.quotePrefix = True
                value = cell
            cells.append(value)
        sheet.append(cells)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    book.save(path)


def _ours(path: Path, title: str, headers: list[str], kinds: list[str], rows: list[tuple[Any, ...]]) -> None:
    with xlsx.Workbook(title, headers, kinds) as book:
        book.sheet.add(rows[:3])
        book.sheet.add(rows[3:])
        book.save(path, datetime(2024, 10, 31, tzinfo=UTC))


def _as_datetimes(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [
        tuple(datetime.fromisoformat(v) if k == "time" and v else v for v, k in zip(r, KINDS, strict=True))
        for r in rows
    ]


def _xml_newlines(value: Any) -> Any:
    """What openpyxl's files gave back of a CR: it wrote CRs as they are, and XML reads
    them as LF; ours are written as &#13; and read back as written."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def _numbers(path: Path) -> list[tuple[str, str]]:
    """Each number cell's reference and text as stored (dates are numbers too)."""
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    return re.findall(r'<c r="(\w+)"[^>]*t="n"><v>([^<]*)</v>', sheet)


def _sheet(path: Path) -> Any:
    return openpyxl.load_workbook(path).active


def test_xlsx_matches_what_openpyxl_wrote(tmp_path):
    old, new = tmp_path / "old.xlsx", tmp_path / "new.xlsx"
    _openpyxl_reference(old, "scans", HEADERS, _as_datetimes(ROWS))
    _ours(new, "scans", HEADERS, KINDS, ROWS)
    a, b = _sheet(old), _sheet(new)
    assert b.title == a.title == "scans"
    assert (b.freeze_panes, b.auto_filter.ref) == (a.freeze_panes, a.auto_filter.ref) == ("A2", "A1:E9")
    assert b.max_row == a.max_row == len(ROWS) + 1 and b.max_column == a.max_column
    for row_a, row_b in zip(a.iter_rows(), b.iter_rows(), strict=True):
        for ca, cb in zip(row_a, row_b, strict=True):
            seen = (_xml_newlines(cb.value), cb.data_type, cb.quotePrefix, cb.font.b, cb.is_date)
            assert seen == (ca.value, ca.data_type, ca.quotePrefix, ca.font.b, ca.is_date), ca.coordinate
    for letter in "ABCDE":
        assert b.column_dimensions[letter].width == a.column_dimensions[letter].width, letter
    assert _numbers(new) == _numbers(old)  # the same serials, to the digit
    assert b["B6"].value == "x" * 32_767  # as much as a cell holds
    assert (b["C7"].value, b["E7"].value) == ("CR\r\nLF", "\rCR")  # openpyxl's CRs were lost
    assert b["E2"].quotePrefix and b["E2"].data_type == "s" and b["A9"].value == 12345678901234
    assert b["D2"].value == datetime(2024, 10, 31, 9, 0, 1) and b["D2"].number_format == "yyyy-mm-dd h:mm:ss"


def _same_cells(old: Path, new: Path) -> None:
    a, b = _sheet(old), _sheet(new)
    assert (b.freeze_panes, b.auto_filter.ref) == (a.freeze_panes, a.auto_filter.ref)
    assert b.max_row == a.max_row and b.max_column == a.max_column
    for row_a, row_b in zip(a.iter_rows(), b.iter_rows(), strict=True):
        for ca, cb in zip(row_a, row_b, strict=True):
            seen = (_xml_newlines(cb.value), cb.data_type, cb.quotePrefix, cb.font.b, cb.is_date)
            assert seen == (ca.value, ca.data_type, ca.quotePrefix, ca.font.b, ca.is_date), ca.coordinate
    for i in range(1, a.max_column + 1):
        letter = openpyxl.utils.get_column_letter(i)
        assert b.column_dimensions[letter].width == a.column_dimensions[letter].width, letter
    assert _numbers(new) == _numbers(old)
    assert _preserved(new) == _preserved(old)


def _preserved(path: Path) -> set[str]:
    """The texts written with their spaces kept (xml:space="preserve": else Excel strips
    them); but for text of spaces only, which openpyxl wrote without (we keep those too)."""
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    found = {_xml_newlines(html.unescape(t)) for t in re.findall(r'<t xml:space="preserve">([^<]*)</t>', sheet)}
    return {t for t in found if t.strip()}


# kinds of text a column may hold: a batch of one kind takes the writer's quick way (control
# characters and a literal _xHHHH_, which openpyxl refused or wrote differently: above)
TEXTS = {
    "plain": ["Anna Petrova", "x", "O'Brien", 'say "hi"', "a;b,c", "#1", "50%", "x" * 70],
    "cyrillic": ["Ёлкин Иван", "Müller-Lüdenscheid", "Ελένη", "שלום", "ąčę"],
    "markup": ["a & b", "<b>", "x > y", "AT&T"],
    "wide": ["王毅", "習近平 😀", "ｆｕｌｌ", "한국어"],
    "formula": ["=1+1", "+7 900", "-", "@x", "\tT", "\rR"],
    "leading": [" lead", "\u00a0nbsp", "\u2003em"],
    "trailing": ["trail ", "tab\t", "ok\u3000", "nl\n"],
    "awkward": ["snake_xcase", "line\nbreak", "CR\r\nLF", "\x85next", "\u2028ls", "\x7fdel", "soft\xadhyphen"],
    "empty": [None, ""],
}
TIMES = [
    "2024-10-31 09:00:01",
    "1989-09-16 23:59:59",
    "1989-09-17 00:00:00",
    "2079-06-04 23:59:59",
    "2079-06-05 00:00:00",
    "1900-02-28 12:00:00",
    "1900-03-01 00:00:01",
    "1899-12-30 00:00:00",
    "1850-01-01 06:30:00",
    "9999-12-31 23:59:59",
    "2024-03-31 02:59:59",
]


def _batches_of_kinds(seed: int) -> tuple[list[str], list[list[tuple[Any, ...]]]]:
    """Batches where each text column holds one or two kinds of text, numbers with or without
    gaps, times with or without gaps: every way the writer takes, in one sheet."""
    rng = random.Random(seed)
    kinds = ["number", "text", "text", "text", "time", "number", "text"]
    batches = []
    for _ in range(12):
        pools = []
        for kind in kinds:
            if kind == "text":
                chosen = rng.sample(sorted(TEXTS), rng.choice([1, 1, 2]))
                pools.append([t for k in chosen for t in TEXTS[k]])
            elif kind == "number":
                pools.append([0, 1, -5, 12345678901234, *([None] if rng.random() < 0.5 else [])])
            else:
                pools.append(TIMES + ([None] if rng.random() < 0.5 else []))
        batches.append([tuple(rng.choice(pool) for pool in pools) for _ in range(rng.randint(0, 30))])
    return kinds, batches


@pytest.mark.parametrize("seed", range(8))
def test_xlsx_batches_of_every_kind_match_what_openpyxl_wrote(tmp_path, seed):
    kinds, batches = _batches_of_kinds(seed)
    headers = [f"h{i}" for i in range(len(kinds))]
    rows = [r for batch in batches for r in batch]
    old, new = tmp_path / "old.xlsx", tmp_path / "new.xlsx"

    def reference(value: Any, kind: str) -> Any:  # "" is an empty cell (openpyxl wrote an empty text)
        if kind == "time" and value:
            return datetime.fromisoformat(value)
        return None if value == "" else value

    as_datetimes = [tuple(reference(v, k) for v, k in zip(r, kinds, strict=True)) for r in rows]
    _openpyxl_reference(old, "t", headers, as_datetimes)
    with xlsx.Workbook("t", headers, kinds) as book:
        for batch in batches:
            book.sheet.add(batch)
        book.save(new, datetime(2024, 10, 31, tzinfo=UTC))
    _same_cells(old, new)


def test_time_serials_are_openpyxls_digits():
    """The remembered halves (a date's text, a time of day's fraction) give the digits of
    day + seconds / 86400 on every day they are used for, and around them."""
    serials = xlsx._Serials()

    def expected(text: str) -> str:
        day = (datetime.fromisoformat(text[:10]) - xlsx.EPOCH).days
        day -= 1 if 0 < day <= 60 else 0
        seconds = int(text[11:13]) * 3600 + int(text[14:16]) * 60 + int(text[17:19])
        return f"{day + seconds / 86400:.16g}"

    first = datetime(1989, 9, 16)
    for days in range(0, 32_770, 1):  # every day from before 1989-09-17 to after 2079-06-04
        at = first + timedelta(days=days, seconds=(days * 7919) % 86_400)
        text = at.strftime("%Y-%m-%d %H:%M:%S")
        assert serials(text) == expected(text), text
    for second in range(0, 86_400, 7):  # the times of day, on the first and last day remembered
        for day in (datetime(1989, 9, 17), datetime(2079, 6, 4), datetime(1900, 2, 28)):
            text = (day + timedelta(seconds=second)).strftime("%Y-%m-%d %H:%M:%S")
            assert serials(text) == expected(text), text


def test_more_rows_than_a_sheet_holds_are_refused_not_cut(tmp_path, monkeypatch):
    """Excel reads 1,048,576 rows a sheet; openpyxl wrote more (a file Excel cuts or refuses)."""
    monkeypatch.setattr(xlsx, "MAX_ROWS", 5)
    with xlsx.Workbook("scans", ["id"], ["number"]) as book:
        book.sheet.add([(1,), (2,), (3,)])
        book.sheet.add([(4,)])  # 5 rows with the header: as many as the sheet holds
        with pytest.raises(InvalidInput, match="more than 4 rows, more than an XLSX sheet holds; export it as CSV"):
            book.sheet.add([(5,)])


def test_xlsx_is_a_valid_package_and_keeps_what_xml_cannot_carry(tmp_path):
    """Control characters (openpyxl refused them: IllegalCharacterError) are written as
    Excel's _xHHHH_, and a literal _xHHHH_ is escaped so Excel shows it as typed."""
    out = tmp_path / "ctl.xlsx"
    _ours(out, "registrations", ["a", "b"], ["text", "text"], [("bell\x07 and \x00", "_x0041_ stays")])
    with zipfile.ZipFile(out) as book:
        assert book.testzip() is None
        names = set(book.namelist())
        assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/styles.xml"} <= names
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "bell_x0007_ and _x0000_" in sheet and "_x005F_x0041_ stays" in sheet
    assert _sheet(out)["A2"].value == "bell_x0007_ and _x0000_"  # openpyxl does not decode _xHHHH_ (Excel does)


def test_text_longer_than_a_cell_is_refused_not_cut(tmp_path):
    """openpyxl cut such text to 32,767 characters without a word."""
    with pytest.raises(InvalidInput, match="note, row 3: 32,768 characters"):
        _ours(tmp_path / "long.xlsx", "scans", ["id", "note"], ["number", "text"], [(1, "ok"), (2, "y" * 32_768)])


def test_an_empty_xlsx_has_its_header(tmp_path):
    out = tmp_path / "empty.xlsx"
    _ours(out, "scans", HEADERS, KINDS, [])
    sheet = _sheet(out)
    assert [c.value for c in sheet[1]] == HEADERS and sheet.max_row == 1 and sheet.auto_filter.ref == "A1:E1"


def _csv_bytes(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode()


def _cell_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else safe(value)


@pytest.fixture
async def awkward(session):
    """A conference in a zone with summer time, people with awkward names, and times on both
    sides of a change of offset (and a microsecond before a full second)."""
    conf = await make_conference(session, slug="berlin")
    conf.timezone = "Europe/Berlin"
    russian = await make_delegation(session, conf, "D,E", name={"ru": "Только по-русски"})
    evil = await make_delegation(session, conf, "EV", name={"en": '=HYPERLINK("x"), "Inc"'})
    item = await make_item(session, conf, "=i1")
    names = [
        ("007", "=cmd|' /C calc'!A0", ""),
        ('Say "hi", then\nleave', "line\r\nbreak", "+7 900"),
        ("𝔘𝔫𝔦 😀 王毅", "مرحبا", "@here"),
        ("Ёлкин, Иван", None, "-"),
    ]
    changes = datetime(2024, 3, 31, 1, 0, tzinfo=UTC)  # 03:00 CEST, a second after 01:59:59 CET
    times = [
        changes - timedelta(seconds=1),
        changes,
        changes + timedelta(microseconds=999_999),
        changes + timedelta(days=210),
    ]
    for i, ((full, native, position), when) in enumerate(zip(names, times, strict=True)):
        person = await make_participant(session, full_name=full, native_name=native, position=position, organisation="")
        reg = await make_registration(session, conf, person, delegation=[None, russian, None, evil][i])
        reg.created_at = when
        for place in (None, item.id):
            session.add(
                Scan(
                    conference_id=conf.id,
                    registration_id=reg.id,
                    agenda_item_id=place,
                    direction=ScanDirection.IN,
                    result=ScanResult.OK,
                    scanned_at=when + timedelta(minutes=1 if place else 0),
                    gate='=Gate, "North"' if i == 1 else "Main",
                )
            )
    await session.commit()
    return conf


@pytest.mark.parametrize("kind", ["registrations", "scans", "attendance"])
async def test_csv_is_csv_writer_of_the_xlsx_values(session, awkward, tmp_path, kind):
    """The CSV the database writes is what csv.writer makes of the same cells (formula text
    with its apostrophe, local times as text): quoting, CRLF, BOM, empty fields."""
    xlsx_out, csv_out = tmp_path / f"{kind}.xlsx", tmp_path / f"{kind}.csv"
    rows_x = (await reporting.export(session, awkward, kind, "xlsx", xlsx_out)).rows
    rows_c = (await reporting.export(session, awkward, kind, "csv", csv_out)).rows
    values = list(_sheet(xlsx_out).iter_rows(values_only=True))
    assert rows_x == rows_c == len(values) - 1 == (8 if kind == "scans" else 4)
    expected = [list(values[0])] + [[_cell_text(v) for v in row] for row in values[1:]]
    assert csv_out.read_bytes() == _csv_bytes(expected)


async def test_local_times_follow_summer_time_and_cut_seconds(session, awkward, tmp_path):
    out = tmp_path / "r.csv"
    await reporting.export(session, awkward, "registrations", "csv", out)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    header = rows[0]
    at = header.index("registered_at (Europe/Berlin)")
    assert [r[at] for r in rows[1:]] == [
        "2024-03-31 01:59:59",  # CET, +1
        "2024-03-31 03:00:00",  # CEST, +2
        "2024-03-31 03:00:00",  # .999999 is cut, not rounded
        "2024-10-27 02:00:00",  # CET again: summer time ended at 01:00 UTC that day
    ]
    delegations = [r[header.index("delegation")] for r in rows[1:]]
    assert delegations == ["", "Только по-русски", "", '\'=HYPERLINK("x"), "Inc"']
    assert rows[1][header.index("position")] == "" and rows[1][header.index("native_name")] == "'=cmd|' /C calc'!A0"


def _attendance_from_scans(conf: Any, regs: list[Any], scans: list[Scan]) -> list[list[Any]]:
    """The attendance export's rows as they were computed before the summary (export_tables
    `_entries`, main f0feb14): accepted entries ("in", ok, with a registration) straight from
    the scans, cut into conference-local days by day_bounds; first and last over every day."""
    days = conference_days(conf)
    tz = zone(conf)
    entries = [
        s
        for s in scans
        if s.conference_id == conf.id
        and s.result == ScanResult.OK
        and s.direction == ScanDirection.IN
        and s.registration_id is not None
    ]
    rows = []
    for reg in regs:
        mine = [s.scanned_at for s in entries if s.registration_id == reg.id]
        marks = []
        for d in days:
            start, end = day_bounds(conf, d)
            marks.append("yes" if any(start <= at < end for at in mine) else None)
        first, last = (min(mine), max(mine)) if mine else (None, None)
        local = [t.astimezone(tz).replace(tzinfo=None, microsecond=0) if t else None for t in (first, last)]
        rows.append([*marks, marks.count("yes"), *local])
    return rows


async def test_attendance_is_the_scans_entries_rule(session, awkward, tmp_path):
    """Days present, days_present, first and last entry read from the attendance summary are
    what the scans give by the rule the export used before (refused, exits, scans without a
    registration or of another conference never count; days cut at local midnight across a
    change of offset; entries before and after the conference count for first and last
    only), on the first fold and after scans added since (folded by the export itself)."""
    awkward.first_day, awkward.last_day = date(2024, 3, 30), date(2024, 3, 31)
    other = await make_conference(session, slug="other")
    regs = list((await session.execute(select(Registration).where(Registration.conference_id == awkward.id))).scalars())
    midnight = datetime(2024, 3, 30, 23, tzinfo=UTC)  # 00:00 CET, the 31st in Berlin
    added = [
        (regs[0].id, ScanResult.OK, ScanDirection.IN, midnight - timedelta(microseconds=1), awkward.id),
        (regs[0].id, ScanResult.OK, ScanDirection.IN, midnight, awkward.id),
        (regs[1].id, ScanResult.OK, ScanDirection.OUT, midnight - timedelta(hours=3), awkward.id),
        (regs[1].id, ScanResult.DUPLICATE, ScanDirection.IN, midnight - timedelta(hours=2), awkward.id),
        (regs[2].id, ScanResult.OK, ScanDirection.IN, datetime(2024, 3, 25, 8, tzinfo=UTC), awkward.id),
        (regs[2].id, ScanResult.OK, ScanDirection.IN, midnight - timedelta(hours=5), other.id),
        (None, ScanResult.OK, ScanDirection.IN, midnight - timedelta(hours=4), awkward.id),
    ]
    now = datetime(2024, 3, 31, 10, tzinfo=UTC)
    regs.append(await make_registration(session, awkward))  # never scanned: no row in the summary

    async def check(name: str) -> None:
        out = tmp_path / f"{name}.xlsx"
        await reporting.export(session, awkward, "attendance", "xlsx", out, clock=lambda: now)
        got = [list(r[6:-1]) for r in list(_sheet(out).iter_rows(values_only=True))[1:]]
        scans = list((await session.execute(select(Scan))).scalars())
        approved = [r for r in sorted(regs, key=lambda r: r.id) if r.status == RegistrationStatus.APPROVED]
        assert got == _attendance_from_scans(awkward, approved, scans)
        assert got[-1] == [None, None, 0, None, None]

    await check("first")
    for i, (reg_id, result, direction, at, conf_id) in enumerate(added):
        session.add(
            Scan(
                conference_id=conf_id,
                registration_id=reg_id,
                direction=direction,
                result=result,
                scanned_at=at,
                gate="Main",
            )
        )
        if i in (1, 4):  # folded in three steps
            await session.commit()
            await check(f"after{i}")
    await session.commit()
    await check("last")


async def test_a_csv_export_leaves_the_session_settings_as_they_were(session, awkward, tmp_path):
    """PostgreSQL's COPY runs without JIT (export_files._copy_csv); the unit of work goes on
    with the setting it had."""
    conn = await session.connection()
    if conn.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    for before in ("on", "off"):
        await conn.exec_driver_sql(f"SET LOCAL jit = {before}")
        await reporting.export(session, awkward, "scans", "csv", tmp_path / "s.csv")
        assert (await conn.exec_driver_sql("SELECT current_setting('jit')")).scalar() == before


async def test_an_export_leaves_sqlites_mapping_as_it_was(session, awkward, tmp_path):
    """SQLite exports read the file memory-mapped (export_files._batches); the connection
    goes on with the setting it had."""
    conn = await session.connection()
    if conn.dialect.name != "sqlite":
        pytest.skip("an SQLite setting")
    for before in (0, 4096):
        await conn.exec_driver_sql(f"PRAGMA mmap_size = {before}")
        for fmt in ("csv", "xlsx"):
            await reporting.export(session, awkward, "scans", fmt, tmp_path / f"s.{fmt}")
            assert (await conn.exec_driver_sql("PRAGMA mmap_size")).scalar() == before


async def test_a_refused_xlsx_leaves_the_connection_usable(session, awkward, tmp_path, monkeypatch):
    """A refusal in the middle of the rows (here: more rows than the sheet holds) reaches
    the caller as it is, and the unit of work can still roll back and go on: no read of
    the next batch is left running on the connection (PostgreSQL asks for it ahead)."""
    from core.reporting import export_files

    monkeypatch.setattr(export_files, "BATCH", 2)
    monkeypatch.setattr(xlsx, "MAX_ROWS", 4)
    with pytest.raises(InvalidInput, match="more than 3 rows"):
        await reporting.export(session, awkward, "scans", "xlsx", tmp_path / "s.xlsx")
    assert not (tmp_path / "s.xlsx").exists()
    await session.rollback()
    assert (await session.execute(select(Scan.id))).scalars().all()


async def test_a_failed_export_leaves_sqlites_mapping_as_it_was(session, awkward, tmp_path, monkeypatch):
    """The mapping is put back on every way out: a write that fails in the middle of the
    rows (a full disk) and a statement that fails at its first row alike, before the
    failure reaches the unit of work (which would give the connection back to the pool)."""
    import errno

    from core.reporting import export_files

    conn = await session.connection()
    if conn.dialect.name != "sqlite":
        pytest.skip("an SQLite setting")
    before = (await conn.exec_driver_sql("PRAGMA mmap_size")).scalar()
    monkeypatch.setattr(export_files, "BATCH", 2)
    real_writer = export_files.csv.writer

    class FullDisk:
        def __init__(self, handle: Any, **kw: Any) -> None:
            self.writer, self.batches = real_writer(handle, **kw), 0

        def writerow(self, row: Any) -> None:
            self.writer.writerow(row)

        def writerows(self, rows: Any) -> None:
            self.batches += 1
            if self.batches == 2:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.writer.writerows(rows)

    monkeypatch.setattr(export_files.csv, "writer", FullDisk)
    with pytest.raises(OSError, match="No space left"):  # (scans CSV: lines from SQLite, no csv.writer)
        await reporting.export(session, awkward, "registrations", "csv", tmp_path / "s.csv")
    assert (await conn.exec_driver_sql("PRAGMA mmap_size")).scalar() == before
    monkeypatch.setattr(export_files.csv, "writer", real_writer)

    from sqlalchemy import func as sql_func

    class Failing:
        headers, kinds, parts = ["x"], ["text"], None

        def statement(self, for_csv: bool) -> Any:  # fails at its first row
            return select(sql_func.json_extract("not json", "$"))

    for write in (
        lambda: export_files.write_csv(tmp_path / "f.csv", Failing(), session),  # type: ignore[arg-type]
        lambda: export_files.write_xlsx(tmp_path / "f.xlsx", "f", Failing(), session),  # type: ignore[arg-type]
    ):
        with pytest.raises(Exception, match="malformed JSON"):
            await write()
        assert (await conn.exec_driver_sql("PRAGMA mmap_size")).scalar() == before
