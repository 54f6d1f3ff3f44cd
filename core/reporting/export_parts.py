"""The scans export as CSV, read in parts at the same time, one per core (issue 17).

The scans are cut by their time into ranges of about as many rows each (`bounds`: the
times at row n/k, 2n/k, ... in the session's view; any cut gives every row once). Each
range is one statement on a connection of its own, all reading the same snapshot, run at
once; the first range is written to the file as it comes, the others into
unnamed temporary files next to it (disk, not memory) and appended in order afterwards. So
the file has the same bytes, rows in the same order, as one statement gives.

- SQLite: the parts are read by processes (`sqlite_part.py`, standard library only), not
  threads: sqlite3 lets go of the GIL for each row it steps, and two threads handing it back
  and forth per row spent 0.6 s of CPU more than one thread alone. Each row comes as its CSV
  line (export_tables `_scan_lines`). The same snapshot: if the session's transaction holds
  the write lock (BEGIN IMMEDIATE) and has written nothing, nobody can commit meanwhile;
  otherwise a connection takes the write lock (doors wait for it, a few milliseconds) while
  every part begins its read. The local-time offsets are read in that snapshot too.
- PostgreSQL: one COPY per range, each on a pooled connection in a REPEATABLE READ
  transaction importing the session's snapshot (`pg_export_snapshot`), each without
  parallel workers (the parts are the parallelism: the plan's gather and sort are then
  split as well).

Read in one statement as before (the caller's way) when the session's transaction has
written something (other connections would not see it), for an in-memory database, with
fewer than PARALLEL_FROM scans, or on a single core.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.db import sqlite_file
from core.errors import ExportFailed
from core.reporting.export_files import BATCH, MMAP, _batches, _compiled, _driver, _LineEnds
from core.reporting.export_tables import Bound, Parts, span_values
from core.reporting.sql import SCAN

PARALLEL_FROM = 50_000  # scans; fewer are read in one statement (starting parts costs more)
MAX_PARTS = 4
WORKER = str(Path(__file__).with_name("sqlite_part.py"))


def default_parts() -> int:
    """One part per core the process may use (at most MAX_PARTS); 1 where a worker cannot
    be handed its file (pass_fds: POSIX only)."""
    if os.name != "posix":
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_PARTS, cores))


PARTS = default_parts()


async def bounds(conn: AsyncConnection, parts: Parts, n: int) -> list[Bound]:
    """The times where parts 2..n begin: the scans' times at n/k, 2n/k, ... of them in the
    session's view (read from ix_scan_conference_at alone); fewer if times repeat; none (read
    in one) if the scans are few."""
    where = SCAN.c.conference_id == parts.conference_id
    total = (await conn.execute(select(func.count()).select_from(SCAN).where(where))).scalar_one()
    if n < 2 or total < max(PARALLEL_FROM, n):
        return []
    at = type_coerce(SCAN.c.scanned_at, String) if conn.dialect.name == "sqlite" else SCAN.c.scanned_at
    found: list[Bound] = []
    for i in range(1, n):
        stmt = select(at).where(where).order_by(SCAN.c.scanned_at).offset(total * i // n).limit(1)
        time = (await conn.execute(stmt)).scalar()
        if time is not None and (not found or time > found[-1]):
            found.append(time)
    return found


def _ranges(cuts: Sequence[Bound]) -> list[tuple[Bound | None, Bound | None]]:
    return list(zip([None, *cuts], [*cuts, None], strict=True))


def _append(spools: Sequence[IO[bytes]], target: IO[bytes]) -> None:
    for spool in spools:
        spool.flush()
        spool.seek(0)
        shutil.copyfileobj(spool, target, 1 << 20)


# SQLite ----------------------------------------------------------------------------------


async def sqlite_csv(session: AsyncSession, parts: Parts, handle: IO[str], spool_dir: Path) -> int:
    """The scans' CSV lines after the header in `handle`; returns how many rows."""
    conn = await session.connection()
    inline = await _driver(conn)
    database = sqlite_file(conn.engine.url.render_as_string(hide_password=False))
    cuts = await bounds(conn, parts, PARTS) if database is not None and inline.unwritten() else []
    if not cuts:  # one statement on the session's connection, as the other exports
        count = 0
        async with contextlib.aclosing(_batches(session, parts.lines(None, None, None))) as batches:
            async for batch in batches:
                handle.write("".join([str(row[0]) for row in batch]))
                count += len(batch)
        return count
    assert database is not None
    busy_ms = int(inline.sqlite.execute("PRAGMA busy_timeout").fetchone()[0])
    try:
        return await _sqlite_parts(
            conn, parts, str(database), busy_ms, inline.unwritten_lock(), cuts, handle, spool_dir
        )
    except sqlite3.Error as exc:  # our own connections' (the session's are SQLAlchemy's errors)
        raise ExportFailed(f"scans export: {type(exc).__name__}: {exc}", code="export_failed") from exc


class _Worker:
    """A part read by `sqlite_part.py` in a process of its own, into `spool`."""

    def __init__(self, number: int, of: int, proc: asyncio.subprocess.Process, spool: IO[bytes]) -> None:
        self.number, self.of, self.proc, self.spool = number, of, proc, spool

    async def send(self, message: Any) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write((message if isinstance(message, str) else json.dumps(message)).encode() + b"\n")
            await self.proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):  # it ended: say why
            await self.expect()
            raise

    async def expect(self) -> str:
        assert self.proc.stdout is not None and self.proc.stderr is not None
        line = (await self.proc.stdout.readline()).decode().strip()
        if not line:  # it ended: its stderr says why
            why = (await self.proc.stderr.read()).decode(errors="replace").strip().splitlines()
            await self.proc.wait()
            raise ExportFailed(
                f"scans export: part {self.number} of {self.of} failed: "
                f"{why[-1] if why else f'exit status {self.proc.returncode}'}",
                code="export_failed",
            )
        return line

    async def stop(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


async def _sqlite_parts(
    conn: AsyncConnection,
    parts: Parts,
    database: str,
    busy_ms: int,
    locked: bool,
    cuts: list[Bound],
    handle: IO[str],
    spool_dir: Path,
) -> int:
    ranges = _ranges(cuts)
    workers: list[_Worker] = []
    own: sqlite3.Connection | None = None
    try:
        for number in range(2, len(ranges) + 1):
            spool = tempfile.TemporaryFile(dir=spool_dir)
            try:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-I",
                    "-S",
                    WORKER,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                    pass_fds=(spool.fileno(),),
                )
            except BaseException:
                spool.close()
                raise
            workers.append(_Worker(number, len(ranges), proc, spool))
        for worker in workers:
            await worker.send({"database": database, "busy_ms": busy_ms, "mmap": MMAP, "fd": worker.spool.fileno()})
        for worker in workers:
            await worker.expect()  # connected
        own = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        own.execute(f"PRAGMA busy_timeout = {busy_ms}")
        own.execute(f"PRAGMA mmap_size = {MMAP}")
        # every part begins its read while nobody can commit: the same snapshot for all
        gate = None if locked else sqlite3.connect(database, isolation_level=None, timeout=busy_ms / 1000)
        try:
            if gate is not None:
                gate.execute("BEGIN IMMEDIATE")
            own.execute("BEGIN")
            own.execute("SELECT count(*) FROM sqlite_master").fetchone()
            for worker in workers:
                await worker.send("begin")
            for worker in workers:
                await worker.expect()  # ready
        finally:
            if gate is not None:
                gate.close()  # rolls back: the write lock goes
        sql, params = _compiled(conn, parts.spans())
        spans = span_values(own.execute(sql, params).fetchone())
        statements = [_compiled(conn, parts.lines(spans, lo, hi)) for lo, hi in ranges]
        for worker, (sql, params) in zip(workers, statements[1:], strict=True):
            await worker.send({"sql": sql, "params": params})
        cursor = own.execute(*statements[0])
        count = 0
        while batch := cursor.fetchmany(BATCH):
            handle.write("".join([row[0] for row in batch]))
            count += len(batch)
        for worker in workers:
            count += json.loads(await worker.expect())["rows"]
            await worker.proc.wait()
        handle.flush()
        _append([w.spool for w in workers], handle.buffer)  # type: ignore[attr-defined]
        return count
    finally:
        if own is not None:
            own.close()
        for worker in workers:
            await worker.stop()
            worker.spool.close()


# PostgreSQL ------------------------------------------------------------------------------


async def pg_csv(session: AsyncSession, parts: Parts, target: IO[bytes], spool_dir: Path) -> int | None:
    """The scans' CSV after the header in `target` (COPY, CRLF row ends), read in parts;
    None (nothing written) when they are to be read in one statement. A part that fails
    (asyncpg's error on its own connection) ends it with ExportFailed, as on SQLite."""
    conn = await session.connection()
    driver = await _driver(conn)
    if not driver.is_in_transaction():
        await conn.execute(select(1))  # SQLAlchemy begins
    if await driver.fetchval("SELECT txid_current_if_assigned() IS NOT NULL"):
        return None  # it wrote: others would not see that
    cuts = await bounds(conn, parts, PARTS)
    if not cuts:
        return None
    snapshot = await driver.fetchval("SELECT pg_export_snapshot()")
    ranges = _ranges(cuts)
    spools = [tempfile.TemporaryFile(dir=spool_dir) for _ in ranges[1:]]
    tasks = [
        asyncio.ensure_future(_pg_part(conn, parts, snapshot, lo, hi, out))
        for (lo, hi), out in zip(ranges, [target, *spools], strict=True)
    ]
    try:
        try:
            counts = await asyncio.gather(*tasks)
        except BaseException as exc:  # the first failure: the other parts are stopped, then it goes on
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if type(exc).__module__.split(".")[0] == "asyncpg":  # our own connections' (as on SQLite)
                raise ExportFailed(f"scans export: {type(exc).__name__}: {exc}", code="export_failed") from exc
            raise
        _append(spools, target)
        return sum(counts)
    finally:
        for spool in spools:
            spool.close()


async def _pg_part(
    conn: AsyncConnection, parts: Parts, snapshot: str, lo: Bound | None, hi: Bound | None, out: IO[bytes]
) -> int:
    async with conn.engine.connect() as own:
        driver = await _driver(own)
        await driver.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            await driver.execute("SET TRANSACTION SNAPSHOT " + _quoted(snapshot))  # before any query
            await driver.execute("SELECT set_config('jit', 'off', true)")  # see export_files._copy_csv
            await driver.execute("SELECT set_config('max_parallel_workers_per_gather', '0', true)")
            sql, params = _compiled(own, parts.rows(lo, hi))
            lines = _LineEnds(out)
            await driver.copy_from_query(sql, *params, output=lines.write, format="csv")
            return lines.rows
        finally:
            with contextlib.suppress(Exception):
                await driver.execute("ROLLBACK")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
