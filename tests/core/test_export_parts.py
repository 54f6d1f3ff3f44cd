"""The scans CSV read in parts at once (core/reporting/export_parts.py): the same bytes as
one statement and as csv.writer over the same cells, whatever the cuts; a part that fails
is reported and leaves nothing behind; work the session has not committed is exported."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, literal_column, select, update

from core import reporting
from core.db import make_engine, make_session_factory
from core.errors import ExportFailed
from core.models import Participant, Scan, ScanDirection, ScanResult
from core.people.erasure import forget
from core.reporting import export_parts
from core.reporting.export_files import safe
from core.uow import unit_of_work
from tests.factories import make_conference, make_delegation, make_item, make_participant, make_registration

NAMES = [
    ("Plain Name", None),
    ('Say "hi", then\nleave', "line\r\nbreak"),
    ("=cmd|' /C calc'!A0", "+7 900"),
    ("  spaced out  ", " lead"),
    ("Ёлкин, Иван", "Ёлкин"),
    ("𝔘𝔫𝔦 😀 王毅", None),
    ("-minus", "@at"),
    ("", None),
]
GATES = ["Main", '=Gate, "North"', " side ", "back\ndoor", "", "\tTab", "plain"]


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
async def many(session):
    """A conference in a zone with summer time, scans on both sides of the change, many at
    the same instants (the cuts fall among them), awkward names, gates and place codes,
    scans of nobody, and a person renamed after their scans."""
    conf = await make_conference(session, slug="parts")
    conf.timezone = "Europe/Berlin"
    deleg = await make_delegation(session, conf, "D,E")
    odd = await make_delegation(session, conf, "=EV")
    items = [await make_item(session, conf, code) for code in ("i1", '=x,"y"', "hall\n2")]
    regs = []
    for i, (full, native) in enumerate(NAMES):
        person = await make_participant(session, full_name=full, native_name=native, telegram_id=50_000 + i)
        regs.append(await make_registration(session, conf, person, delegation=[None, deleg, odd][i % 3]))
    change = datetime(2024, 3, 31, 1, 0, tzinfo=UTC)  # 03:00 CEST
    instants = [change - timedelta(hours=1), change - timedelta(seconds=1), change, change + timedelta(hours=5)]
    n = 0
    for at in instants:
        for k in range(15):  # 15 scans at each instant
            n += 1
            session.add(
                Scan(
                    conference_id=conf.id,
                    registration_id=None if k == 7 else regs[(n + k) % len(regs)].id,
                    agenda_item_id=None if k % 4 == 0 else items[k % 3].id,
                    direction=ScanDirection.OUT if k % 5 == 0 else ScanDirection.IN,
                    result=ScanResult.DUPLICATE if k % 6 == 0 else ScanResult.OK,
                    scanned_at=at + timedelta(microseconds=k * 1000 if k % 2 else 0),
                    gate=GATES[k % len(GATES)],
                    staff_telegram_id=None if k % 3 else 777_000 + k,
                    badge_version=None if k == 5 else 1 + k % 2,
                )
            )
    await session.commit()
    await session.execute(update(Participant).where(Participant.full_name == "Plain Name").values(full_name="Renamed"))
    await session.commit()
    return conf


def _csv_bytes(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode()


def _cell_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else safe(value)


async def _reference(session: Any, conf: Any, folder: Path) -> bytes:
    """csv.writer over the XLSX's cells (XLSX is read in one statement, by the driver)."""
    out = folder / "reference.xlsx"
    await reporting.export(session, conf, "scans", "xlsx", out)
    values = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    return _csv_bytes([list(values[0])] + [[_cell_text(v) for v in row] for row in values[1:]])


def _parts(monkeypatch: Any, n: int) -> list[int]:
    """Read in `n` parts from the first scan on; returns how many rows each part read."""
    monkeypatch.setattr(export_parts, "PARALLEL_FROM", 1)
    monkeypatch.setattr(export_parts, "PARTS", n)
    cuts: list[int] = []
    real = export_parts.bounds

    async def counted(*args: Any) -> Any:
        found = await real(*args)
        cuts.append(len(found))
        return found

    monkeypatch.setattr(export_parts, "bounds", counted)
    return cuts


@pytest.mark.parametrize("n", [2, 3, 7])
async def test_parts_are_the_same_bytes_as_one_statement(session, many, out_dir, monkeypatch, n):
    """Cut into 2, 3 or 7 parts (cuts among scans of the same instant, across the change of
    offset): the bytes csv.writer makes of the same cells, and those of one statement."""
    expected = await _reference(session, many, out_dir)
    monkeypatch.setattr(export_parts, "PARTS", 1)
    one = out_dir / "one.csv"
    assert (await reporting.export(session, many, "scans", "csv", one)).rows == 60
    assert one.read_bytes() == expected
    cuts = _parts(monkeypatch, n)
    out = out_dir / "parts.csv"
    assert (await reporting.export(session, many, "scans", "csv", out)).rows == 60
    assert cuts == [n - 1]
    assert out.read_bytes() == expected
    assert sorted(p.name for p in out_dir.iterdir()) == ["one.csv", "parts.csv", "reference.xlsx"]


async def test_an_empty_part_adds_nothing(session, many, out_dir, monkeypatch):
    """Cuts in a stretch without scans (and before the first, after the last) make empty
    parts; the file is the same."""
    expected = await _reference(session, many, out_dir)
    _parts(monkeypatch, 2)
    first = (await session.execute(select(func.min(Scan.scanned_at)))).scalar()
    text = session.bind.dialect.name == "sqlite"

    async def gaps(*args: Any) -> list[Any]:
        at = [first - timedelta(days=1), first + timedelta(minutes=10), first + timedelta(minutes=20)]
        return [t.strftime("%Y-%m-%d %H:%M:%S.%f") for t in at] if text else at

    monkeypatch.setattr(export_parts, "bounds", gaps)
    out = out_dir / "gaps.csv"
    assert (await reporting.export(session, many, "scans", "csv", out)).rows == 60
    assert out.read_bytes() == expected


async def test_a_failed_part_is_reported_and_leaves_nothing(session, many, out_dir, monkeypatch):
    """A part that fails (here: its statement) ends the export with a message naming it
    (ExportFailed on both databases: the command line shows it as one line); no file, no
    part's temporary file left; the session goes on."""
    _parts(monkeypatch, 3)
    from core.reporting import export_tables

    real = export_tables.scans

    async def broken(*args: Any) -> Any:
        table = await real(*args)
        parts = table.parts
        assert parts is not None

        def lines(spans: Any, lo: Any, hi: Any) -> Any:
            return parts.lines(spans, lo, hi) if lo is None else select(func.json_extract("not json", "$"))

        def rows(lo: Any, hi: Any) -> Any:
            return parts.rows(lo, hi) if lo is None else select(literal_column("1 / 0"))

        return export_tables.SqlTable(
            table.headers,
            table.kinds,
            table.statement,
            export_tables.Parts(parts.conference_id, rows, lines, parts.spans),
        )

    monkeypatch.setattr(export_tables, "scans", broken)
    out = out_dir / "scans.csv"
    with pytest.raises(ExportFailed) as failed:  # PostgreSQL too: a message, not asyncpg's traceback
        await reporting.export(session, many, "scans", "csv", out)
    if session.bind.dialect.name == "sqlite":
        assert "scans export: part 2 of 3 failed" in failed.value.message
        assert "malformed JSON" in failed.value.message
    else:
        assert failed.value.message == "scans export: DivisionByZeroError: division by zero"
    assert list(out_dir.iterdir()) == []
    await session.rollback()
    assert len((await session.execute(select(Scan.id))).all()) == 60


async def test_what_the_session_has_not_committed_is_exported(session, many, out_dir, monkeypatch):
    """A session that wrote (here: erased a person, /forget) reads in one statement: the
    other connections would not see its writes. Once committed, the parts show them."""
    cuts = _parts(monkeypatch, 2)
    await forget(session, 50_001)  # 'Say "hi", then\nleave'
    out = out_dir / "scans.csv"
    await reporting.export(session, many, "scans", "csv", out)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    assert cuts == []  # one statement
    names = {r[3] for r in rows[1:]}
    assert 'Say "hi", then\nleave' not in names and "Renamed" in names and "" in names
    expected = await _reference(session, many, out_dir)
    assert out.read_bytes() == expected
    await session.commit()
    await reporting.export(session, many, "scans", "csv", out)
    assert cuts == [1]
    assert out.read_bytes() == expected


async def test_a_reader_takes_the_same_snapshot_in_every_part(database_url, session, many, out_dir, monkeypatch):
    """From a session that only reads (a read-only engine: SQLite's deferred BEGIN, no write
    lock), the parts still read one snapshot (a connection holds the write lock while they
    begin); and a unit of work's export, as `confdesk export scans` runs it."""
    expected = await _reference(session, many, out_dir)
    await session.commit()
    cuts = _parts(monkeypatch, 3)
    engine = make_engine(database_url, read_only=True)
    try:
        async with unit_of_work(make_session_factory(engine)) as reader:
            out = out_dir / "read.csv"
            await reporting.export(reader, many, "scans", "csv", out)
            assert out.read_bytes() == expected
    finally:
        await engine.dispose()
    assert cuts == [2]


async def test_the_sqlite_connection_knows_whether_it_wrote(session):
    """core.sqlite_inline: how the transaction began and whether it changed rows since."""
    conn = await session.connection()
    if conn.dialect.name != "sqlite":
        pytest.skip("SQLite's driver")
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver.unwritten_lock() and driver.unwritten()  # BEGIN IMMEDIATE, nothing written
    await make_participant(session)
    assert not driver.unwritten_lock() and not driver.unwritten()
    await session.commit()
    assert not driver.unwritten_lock() and driver.unwritten()  # no transaction


async def test_a_writer_holding_the_lock_too_long_is_reported(database_url, session, many, out_dir, monkeypatch):
    """SQLite, from a session that only reads: the parts begin while a connection holds the
    write lock; a writer that keeps it longer than the busy timeout ends the export with a
    message (not a traceback), and nothing is left behind."""
    import sqlite3

    from core.db import sqlite_file

    if session.bind.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    await session.commit()
    _parts(monkeypatch, 2)
    writer = sqlite3.connect(str(sqlite_file(database_url)), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    engine = make_engine(database_url + "?timeout=0.2", read_only=True)
    try:
        async with unit_of_work(make_session_factory(engine)) as reader:
            with pytest.raises(ExportFailed, match="scans export: OperationalError: database is locked"):
                await reporting.export(reader, many, "scans", "csv", out_dir / "scans.csv")
    finally:
        writer.rollback()
        writer.close()
        await engine.dispose()
    assert list(out_dir.iterdir()) == []


async def test_a_part_process_that_ends_is_reported(session, many, out_dir, tmp_path, monkeypatch):
    """SQLite: a part's process that ends before its rows (killed, out of memory, a broken
    install) ends the export with what it said, and nothing is left behind."""
    if session.bind.dialect.name != "sqlite":
        pytest.skip("SQLite's part processes")
    _parts(monkeypatch, 2)
    script = tmp_path / "dies.py"
    script.write_text("import sys\nsys.stderr.write('MemoryError: no room\\n')\nsys.exit(1)\n")
    monkeypatch.setattr(export_parts, "WORKER", str(script))
    with pytest.raises(ExportFailed, match=r"scans export: part 2 of 2 failed: MemoryError: no room"):
        await reporting.export(session, many, "scans", "csv", out_dir / "scans.csv")
    assert list(out_dir.iterdir()) == []
    await session.rollback()
    assert len((await session.execute(select(Scan.id))).all()) == 60


async def _cells_through_csv_writer(session: Any, conf: Any) -> bytes:
    """The old way: the cells statement's rows through csv.writer."""
    from core.reporting import export_tables

    table = await export_tables.scans(session, conf)
    rows = [list(r) for r in (await session.execute(table.statement(True))).all()]
    return _csv_bytes([table.headers, *rows])


async def test_text_with_a_nul_is_written_whole(session, many, out_dir, monkeypatch):
    """SQLite keeps a NUL character in text (PostgreSQL refuses it); csv.writer writes it,
    and quotes by the rest of the text. `printf` and GLOB stop at a NUL, so such rows are
    joined another way: nothing after the NUL is cut, quotes as csv.writer puts them."""
    if session.bind.dialect.name != "sqlite":
        pytest.skip("PostgreSQL stores no NUL in text")
    person = await make_participant(session, full_name="Nul\x00, Name", telegram_id=60_000)
    deleg = await make_delegation(session, many, "N\x00L")
    reg = await make_registration(session, many, person, delegation=deleg)
    item = await make_item(session, many, "c\x00de")
    at = datetime(2024, 3, 31, 2, 0, tzinfo=UTC)
    for gate, place in (("a\x00b", None), ('x\x00,"y"', item.id), ("=\x00", None), ("\x00", item.id)):
        session.add(
            Scan(
                conference_id=many.id,
                registration_id=reg.id,
                agenda_item_id=place,
                direction=ScanDirection.IN,
                result=ScanResult.OK,
                scanned_at=at,
                gate=gate,
            )
        )
    await session.commit()
    expected = await _cells_through_csv_writer(session, many)
    assert b"a\x00b" in expected and b'"x\x00,""y"""' in expected and b'"Nul\x00, Name",N\x00L' in expected
    monkeypatch.setattr(export_parts, "PARTS", 1)
    await reporting.export(session, many, "scans", "csv", out_dir / "one.csv")
    assert (out_dir / "one.csv").read_bytes() == expected
    cuts = _parts(monkeypatch, 3)
    await reporting.export(session, many, "scans", "csv", out_dir / "parts.csv")
    assert cuts == [2]
    assert (out_dir / "parts.csv").read_bytes() == expected


async def test_a_failed_copy_is_reported(session, many, out_dir, monkeypatch):
    """PostgreSQL: an export read in one COPY (here the registrations) that fails ends with a
    message (ExportFailed: the command line shows one line), not asyncpg's own error; no file."""
    if session.bind.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's; SQLite's rows go through csv.writer")
    from core.reporting import export_tables

    real = export_tables.registrations

    async def broken(*args: Any) -> Any:
        table = await real(*args)
        return export_tables.SqlTable(table.headers, table.kinds, lambda _csv: select(literal_column("1 / 0")))

    monkeypatch.setattr(export_tables, "registrations", broken)
    out = out_dir / "registrations.csv"
    with pytest.raises(ExportFailed) as failed:
        await reporting.export(session, many, "registrations", "csv", out)
    assert failed.value.message == "export: DivisionByZeroError: division by zero"
    assert list(out_dir.iterdir()) == []
