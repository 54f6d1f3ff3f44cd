"""An aiosqlite-shaped connection that runs sqlite3 calls directly on the event loop.

SQLAlchemy's aiosqlite adapter awaits the driver four times per statement (open cursor,
execute, fetch, close); aiosqlite hands each await to its worker thread and back. Measured
here: 564 µs for `SELECT 1` that way, 0.9 µs in sqlite3 itself. SQLite with one pooled
connection serialises every transaction anyway, so the thread buys nothing but latency:
this adapter makes a statement cost microseconds.

The price: a statement blocks the event loop while it runs. For the embedded default that
is fine (the bot's statements take microseconds; a report over half a million scans takes
a few hundred milliseconds). Production runs PostgreSQL, which this does not touch.
"""

from __future__ import annotations

import asyncio
import sqlite3
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from typing import Any


class InlineCursor:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._cursor = connection.cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any] | dict[str, Any]]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _Immediate:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses to set the isolation
    level: run the function now and resolve its future."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection
        self._tx = _Immediate()
        # how the open transaction began ("BEGIN IMMEDIATE", "BEGIN"; None: not by `begin`)
        # and the connection's change count then: whether it holds the write lock and has
        # written (core/reporting/export_parts: other connections then see what it sees)
        self.began: str | None = None
        self.changes_at_begin = 0

    @classmethod
    async def connect(cls, database: str, must_exist: bool = False) -> InlineConnection:
        """`must_exist`: fail (sqlite3.OperationalError) rather than create a missing file."""
        if must_exist:
            uri = "file:" + urllib.parse.quote(database) + "?mode=rw"
            return cls(sqlite3.connect(uri, uri=True, check_same_thread=False))
        return cls(sqlite3.connect(database, check_same_thread=False))

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn)

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    def begin(self, sql: str = "BEGIN") -> None:
        """Open a transaction now, e.g. `BEGIN IMMEDIATE` (core.db sets isolation_level None,
        so sqlite3 opens none itself; commit and rollback end it as usual)."""
        self._conn.execute(sql)
        self.began, self.changes_at_begin = sql, self._conn.total_changes

    def unwritten_lock(self) -> bool:
        """Whether this connection's transaction began IMMEDIATE (it holds the write lock:
        no other connection can commit) and has changed no row since: every other connection
        then reads what this one reads."""
        conn = self._conn
        return conn.in_transaction and self.began == "BEGIN IMMEDIATE" and conn.total_changes == self.changes_at_begin

    def unwritten(self) -> bool:
        """No open transaction, or one (begun by `begin`) that has changed no row."""
        conn = self._conn
        return not conn.in_transaction or (self.began is not None and conn.total_changes == self.changes_at_begin)

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The sqlite3 connection itself."""
        return self._conn

    async def commit(self) -> None:
        """The driver's end of the unit of work's commit (core.uow): COMMIT the transaction
        `begin` opened, as sqlite3's own commit does (nothing when none is open)."""
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")
        self.began = None

    async def rollback(self) -> None:
        self._conn.rollback()
        self.began = None

    async def close(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = value  # type: ignore[assignment]  # sqlite3 accepts any of its levels

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction
