"""Async engine and session factory from DATABASE_URL.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a single pooled
connection: every transaction holds that one connection until it commits, so transactions
are serialised in-process. Across processes (the bot and kiosks `confdesk scan` on one
file) every transaction starts with `BEGIN IMMEDIATE`: it takes the write lock before its
first read, so a read-then-write (a check-in: is the badge inside? then enter) is atomic
against other processes too, and a waiting writer waits (busy_timeout) instead of failing on
a lock upgrade. sqlite3 itself opens no transactions (isolation_level None); the dialect's
`do_begin` does (`_sqlite_begin`). Read-only work may use `make_engine(url, read_only=True)`:
a plain deferred BEGIN that neither waits for nor blocks a writer; so does the next
transaction of a unit of work on a writing engine that says it only reads from then on
(`core.uow.checkpoint(session, reads_only=True)`: the attendance export, once its fold is
committed, streams its file without holding the write lock). Statements run on the
event loop itself (core.sqlite_inline): ~600x cheaper than a thread hand-off each.
PostgreSQL (asyncpg) uses a normal pool and row locks (`SELECT … FOR UPDATE`) where
services need them. A pooled connection is pinged before use only if it has been idle for
PING_AFTER_IDLE seconds (a dead one is replaced, as SQLAlchemy's pre-ping does): asyncpg's
ping is three round trips (BEGIN, `;`, ROLLBACK), as many as a whole check-in's statements,
and a connection given back a moment ago by a committed transaction is alive. Should the
server go away within that moment, the next unit of work fails as a disconnect (the kiosk's
"database unavailable, scan again"), which drops the pool's connections for fresh ones.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import partial
from pathlib import Path
from time import monotonic
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool, StaticPool

from core.sqlite_inline import InlineConnection

PING_AFTER_IDLE = 5.0  # seconds a pooled PostgreSQL connection may rest and be used unpinged
_IDLE_SINCE = "confdesk_idle_since"

# Set by core.uow for a unit of work's transaction that only reads: SQLite begins it deferred
# (no write lock), as a read-only engine's. Read where the transaction begins (the dialect's
# `do_begin`, on the event loop in the unit of work's task: core.sqlite_inline).
begin_deferred: ContextVar[bool] = ContextVar("confdesk_begin_deferred", default=False)


def _sqlite_pragmas(busy_timeout_ms: int, dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # no implicit BEGIN: _sqlite_begin emits it
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.close()


def _sqlite_begin(sql: str, dbapi_connection: Any) -> None:
    """The dialect's `do_begin` (a no-op for sqlite3): `BEGIN IMMEDIATE` takes the write lock
    as the transaction starts, waiting up to busy_timeout for another process to commit.
    SQLAlchemy wraps a failure as usual (OperationalError "database is locked"). Sent to
    sqlite3 directly: a `begin` event with `exec_driver_sql` cost ~10% of a check-in's CPU.
    A transaction that only reads (`begin_deferred`) begins deferred."""
    dbapi_connection.driver_connection.begin("BEGIN" if begin_deferred.get() else sql)


def make_engine(url: str, *, echo: bool = False, read_only: bool = False, must_exist: bool = False) -> AsyncEngine:
    """The engine for DATABASE_URL. `read_only` (SQLite; ignored for PostgreSQL): for work
    that only reads (reports, exports), its transactions begin deferred, so it neither waits
    for nor blocks a kiosk or the bot writing to the same file. Writing through it works but
    loses the cross-process atomicity above. `must_exist` (SQLite): a missing file (or folder)
    is an error when connecting, never created (a kiosk whose database went away)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        memory = database in ("", ":memory:") or "mode=memory" in str(parsed)
        if not memory and not must_exist:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            echo=echo,
            async_creator=partial(InlineConnection.connect, database or ":memory:", must_exist and not memory),
            poolclass=StaticPool if memory else AsyncAdaptedQueuePool,
            **({} if memory else {"pool_size": 1, "max_overflow": 0, "pool_timeout": 120}),
        )
        # how long to wait for another process's write lock: `?timeout=` seconds as for
        # SQLAlchemy's pysqlite URLs, 30 by default
        busy_timeout_ms = round(float(parsed.query.get("timeout", 30)) * 1000)  # type: ignore[arg-type]
        event.listen(engine.sync_engine, "connect", partial(_sqlite_pragmas, busy_timeout_ms))
        engine.sync_engine.dialect.do_begin = partial(  # type: ignore[method-assign]
            _sqlite_begin, "BEGIN" if read_only else "BEGIN IMMEDIATE"
        )
        return engine
    engine = create_async_engine(url, echo=echo, pool_size=10, max_overflow=10)
    dialect = engine.sync_engine.dialect
    event.listen(engine.sync_engine, "connect", _rested)
    event.listen(engine.sync_engine, "checkin", _rested)
    event.listen(engine.sync_engine, "checkout", partial(_ping_if_idle, dialect))
    return engine


def _rested(_dbapi_connection: Any, record: Any) -> None:
    record.info[_IDLE_SINCE] = monotonic()


def _ping_if_idle(dialect: Any, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A pool `checkout` listener: ping a connection idle for PING_AFTER_IDLE or longer; a
    dead one makes the pool drop its connections and connect afresh (InvalidatePoolError)."""
    if monotonic() - record.info.get(_IDLE_SINCE, 0.0) < PING_AFTER_IDLE:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as err:
        if dialect.is_disconnect(err, dbapi_connection, None):
            raise exc.InvalidatePoolError() from err
        raise


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database or another backend."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or "mode=memory" in str(parsed):
        return None
    return Path(database).expanduser()


def redacted(url: str) -> str:
    """The URL as it can be shown: no password."""
    return make_url(url).render_as_string(hide_password=True)


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def is_sqlite(session_or_engine: AsyncSession | AsyncEngine) -> bool:
    bind = session_or_engine.bind if isinstance(session_or_engine, AsyncSession) else session_or_engine
    return bind is not None and bind.dialect.name == "sqlite"


async def ping(session: AsyncSession) -> None:
    """One round trip to the database (raises what the driver raises): for health checks."""
    await session.execute(text("SELECT 1"))
