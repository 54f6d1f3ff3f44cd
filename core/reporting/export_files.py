"""Writing an export's rows as CSV or XLSX, fetched from the database in big batches.

- CSV is UTF-8 with a BOM (Excel then opens Cyrillic correctly), comma-separated, CRLF,
  quoted where needed (Python's csv.writer). Cells that a spreadsheet would run as a formula
  (text starting with = + - @ TAB CR) get a leading apostrophe (CSV/formula injection): CSV
  has no other way to say "text". Every table is one statement (export_tables), and the
  database writes its cells: SQLite's rows go from the driver to csv.writer in batches;
  PostgreSQL writes the CSV itself (COPY ... TO STDOUT), the same bytes but for its LF line
  ends, which become CRLF here.
- XLSX: `core.reporting.xlsx` (text cells for text, never a formula; bold, frozen, filtered
  header; widths from the content).

Rows never pass through ORM objects or SQLAlchemy's type conversions: at 500,000 scans those
cost seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from typing import IO, Any

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.clock import utc_now
from core.errors import ExportFailed
from core.reporting.export_tables import FORMULA_START, Cell, Table
from core.reporting.xlsx import Workbook

BATCH = 5000
MMAP = 1 << 30  # bytes of an SQLite file mapped while an export reads it


def safe(value: Any) -> Any:
    """A text cell that a spreadsheet would evaluate gets a leading apostrophe (the rule
    export_tables.formula_safe puts into SQL; tests check one against the other)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _compiled(conn: AsyncConnection, stmt: Any) -> tuple[str, list[Any]]:
    """The statement's SQL for the driver, and its parameters in order."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    return str(compiled), [params[name] for name in compiled.positiontup or []]


async def _driver(conn: AsyncConnection) -> Any:
    """The driver's own connection (sqlite_inline's, or asyncpg's) under `conn`."""
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    return driver


async def _batches(session: AsyncSession, stmt: Any) -> AsyncGenerator[list[Sequence[Cell]], None]:
    """The rows of `stmt`, BATCH at a time, as the driver gives them: sqlite3's cursor
    directly (core.sqlite_inline runs it on the loop); asyncpg's (a server-side cursor, as
    SQLAlchemy's stream used, without its Row objects: 0.2-0.3 s of 50,000 rows)."""
    conn = await session.connection()
    if conn.dialect.name == "sqlite":
        sql, params = _compiled(conn, stmt)
        driver = await _driver(conn)
        # the file memory-mapped for this statement: pages are read where they lie, not
        # copied through the 2 MB page cache (scans read in time order but stored in another,
        # as the bench's 500,000: rows all over the table, 2.7 s of CPU that way, 2.1 s
        # mapped; stored in time order it makes no difference); then the setting is put back
        # (put back on every way out: a statement failing at its first row too; the writers
        # close this generator at once when they fail, write_csv and write_xlsx alike)
        mapped = (await (await driver.execute("PRAGMA mmap_size")).fetchone())[0]
        await driver.execute(f"PRAGMA mmap_size = {max(mapped, MMAP)}")
        try:
            cursor = await driver.execute(sql, params)
            try:
                while batch := await cursor.fetchmany(BATCH):
                    yield batch
            finally:
                await cursor.close()
        finally:
            await driver.execute(f"PRAGMA mmap_size = {int(mapped)}")
        return
    sql, params = _compiled(conn, stmt)  # asyncpg's cursor: its Records index as tuples do
    driver = await _driver(conn)
    if not driver.is_in_transaction():  # SQLAlchemy begins on its first statement; a cursor needs one
        await conn.execute(select(literal(1)))
    cursor = await driver.cursor(sql, *params)
    batch = await cursor.fetch(BATCH)
    while batch:
        # the next batch is asked for before this one is written: the server makes it
        # meanwhile (a process of its own), instead of waiting for the writer
        ahead = asyncio.ensure_future(cursor.fetch(BATCH))
        await asyncio.sleep(0)  # the request goes out
        try:
            yield batch
        except BaseException:  # the writer stopped (closed with aclosing): the read ends first,
            with contextlib.suppress(Exception):  # so the connection is free for the rollback
                await ahead
            raise
        batch = await ahead


def _rows(table: Table, session: AsyncSession, for_csv: bool) -> AsyncGenerator[list[Sequence[Cell]], None]:
    return _batches(session, table.statement(for_csv))


async def write_csv(path: Path, table: Table, session: AsyncSession) -> int:
    """Write the table to `path`; returns how many data rows."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(table.headers)
        conn = await session.connection()
        if table.parts is not None:  # the scans: in parts read at once (export_parts)
            from core.reporting import export_parts

            if conn.dialect.name == "sqlite":
                return await export_parts.sqlite_csv(session, table.parts, handle, path.parent)
            handle.flush()
            count = await export_parts.pg_csv(session, table.parts, handle.buffer, path.parent)  # type: ignore[arg-type]
            if count is not None:
                return count
        if conn.dialect.name == "postgresql":
            handle.flush()
            return await _copy_csv(conn, table.statement(True), handle.buffer)  # type: ignore[arg-type]
        count = 0
        async with contextlib.aclosing(_rows(table, session, True)) as batches:  # closed as soon as a write fails
            async for batch in batches:
                writer.writerows(batch)
                count += len(batch)
    return count


async def _copy_csv(conn: AsyncConnection, stmt: Any, target: IO[bytes]) -> int:
    """PostgreSQL writes the rows as CSV (COPY); LF row ends become CRLF as csv.writer's.
    Quoting is the same as csv.writer's (fields with a comma, quote, CR or LF), and so is
    NULL (an empty field); COPY would quote an empty string, so text cells are NULL when
    empty (export_tables, for CSV)."""
    sql, params = _compiled(conn, stmt)
    lines = _LineEnds(target)
    driver = await _driver(conn)
    # without JIT compilation: 0.1-0.2 s of the 500,000 scans' 1.3 s that it never won back
    # (its cost estimate crosses jit_above_cost; the rows are cheap expressions each)
    # (for this statement; a failed COPY ends the transaction, and the setting with it)
    jit = await driver.fetchval("SELECT current_setting('jit')")
    await driver.execute("SELECT set_config('jit', 'off', true)")
    try:
        await driver.copy_from_query(sql, *params, output=lines.write, format="csv")
    except Exception as exc:  # asyncpg's own (SQLAlchemy does not wrap the driver's COPY): a message
        if type(exc).__module__.split(".")[0] != "asyncpg":
            raise
        raise ExportFailed(f"export: {type(exc).__name__}: {exc}", code="export_failed") from exc
    await driver.fetchval("SELECT set_config('jit', $1, true)", jit)
    return lines.rows


class _LineEnds:
    """COPY's CSV with CRLF row ends: a LF outside quotes ends a row; one inside a quoted
    field is the field's own (csv.writer keeps it too). Quotes inside a quoted field are
    doubled, so the parity of the quotes seen says whether a LF is inside one."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target, self.quoted, self.rows = target, False, 0

    async def write(self, chunk: bytes) -> None:
        if not self.quoted and b'"' not in chunk:
            self.rows += chunk.count(b"\n")
            self.target.write(chunk.replace(b"\n", b"\r\n"))
            return
        parts = chunk.split(b'"')
        for i, part in enumerate(parts):
            if i:
                self.quoted = not self.quoted
            if not self.quoted:
                self.rows += part.count(b"\n")
                parts[i] = part.replace(b"\n", b"\r\n")
        self.target.write(b'"'.join(parts))


async def write_xlsx(path: Path, title: str, table: Table, session: AsyncSession) -> int:
    """Write the table to `path` as one sheet named `title`; returns how many data rows."""
    with Workbook(title, table.headers, table.kinds) as book:
        async with contextlib.aclosing(_rows(table, session, False)) as batches:  # closed as soon as refused
            async for batch in batches:
                book.sheet.add(batch)
        with path.open("wb") as target:  # fails cleanly before any sheet is started
            book.save(target, utc_now())
        return book.sheet.count
