"""The unit of work: the one place where a transaction ends.

Every entry point opens one around each piece of work: the bot around each update
(`bot/middlewares/database.py`), each CLI command, the outbox sender around each step, the
scheduler, the kiosk around each scan. Services inside take the session and never commit or
roll back: on success the unit of work commits, on an exception it rolls back.

    async with unit_of_work(factory) as session:
        verdict = await checkin.scan(session, ...)

`after_commit(fn)` runs `fn` once what is done so far is committed (at the end of the unit
of work or at a checkpoint), never if it rolls back: for work started in the background
that reads what this one wrote (another connection would not see it before the commit;
on SQLite it would only wait for the write lock, on PostgreSQL it reads nothing).

`checkpoint()` commits what is done so far, for work that must then wait on something slow:
the bot calls it before every Bot API request, so that a transaction (and SQLite's single
writer) is never held through a network round trip, and what the user is about to be told
is already durable. `checkpoint(session, reads_only=True)` also says that the next
transaction only reads (until the next commit): on SQLite it begins deferred, so a file
streamed from it (the attendance export, after its fold) holds no write lock and kiosks
keep scanning; a WAL reader blocks no writer.

What SQLite needs is handled in one place too: `core/db.py` starts every transaction of a
writing engine with `BEGIN IMMEDIATE` (the write lock at the start, so a read-then-write is
atomic across processes); read-only engines start a deferred one.

`autocommit(factory)` is the other kind of unit of work: no transaction at all, each
statement commits by itself (PostgreSQL), for work whose every write is one statement that
checks what was read before it (a compare-and-set): a kiosk's scan
(core.checkin.scanning.scan_alone), whose statements go to the driver's connection directly
(core.checkin.prepared). There is nothing to end: the connection goes back to the pool.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.util import greenlet_spawn

from core.db import begin_deferred

# The unit of work the current task runs in, for code that must reach it without having it
# passed (the Bot API client's checkpoint before a request).
current: ContextVar[UnitOfWork | None] = ContextVar("current_unit_of_work", default=None)


class UnitOfWork:
    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self.session = factory()
        self._token = None
        self._after_commit: list[Callable[[], None]] = []
        self._reads_only: Token[bool] | None = None  # the next transaction only reads (core.db)
        self._writes: Token[bool] | None = None

    async def __aenter__(self) -> AsyncSession:
        self._token = current.set(self)  # type: ignore[assignment]
        # this unit of work's transactions write (SQLite: IMMEDIATE) until it says otherwise,
        # even if it is opened while another one's transaction only reads (`checkpoint`)
        self._writes = begin_deferred.set(False)
        return self.session

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token is not None:
            current.reset(self._token)
        self._reads_done()
        if self._writes is not None:
            begin_deferred.reset(self._writes)
            self._writes = None
        session = self.session
        if not session.in_transaction():  # never touched the database: no connection to give back
            if exc_type is None:
                self._committed()
            return
        if exc_type is None:
            try:
                await session.commit()
            finally:
                await session.close()
            self._committed()
            return
        self._after_commit.clear()
        try:  # the work failed: undo it; a connection that cannot even roll back is dropped
            await session.rollback()
            await session.close()
        except Exception:
            with contextlib.suppress(Exception):
                await session.invalidate()

    async def checkpoint(self, *, reads_only: bool = False) -> None:
        """Commit the work so far (the unit of work goes on, in a new transaction if needed);
        `reads_only`: that transaction only reads (SQLite: begins deferred, no write lock)."""
        if self.session.in_transaction():
            await self.session.commit()
        self._reads_done()
        if reads_only:
            self._reads_only = begin_deferred.set(True)
        self._committed()

    def _reads_done(self) -> None:
        if self._reads_only is not None:
            begin_deferred.reset(self._reads_only)
            self._reads_only = None

    def after_commit(self, fn: Callable[[], None]) -> None:
        self._after_commit.append(fn)

    def _committed(self) -> None:
        """Run what waited for the commit outside this unit of work (a task it starts must not
        take it for its own: the Bot API client would checkpoint it), nor its next
        transaction's `reads_only` (a task it starts would begin its writes deferred on SQLite:
        not atomic across processes)."""
        done, self._after_commit = self._after_commit, []
        token, deferred = current.set(None), begin_deferred.set(False)
        try:
            for fn in done:
                fn()
        finally:
            begin_deferred.reset(deferred)
            current.reset(token)


def unit_of_work(factory: async_sessionmaker[AsyncSession]) -> UnitOfWork:
    return UnitOfWork(factory)


async def checkpoint(session: AsyncSession, *, reads_only: bool = False) -> None:
    """Commit the unit of work `session` is the session of, so far (`UnitOfWork.checkpoint`),
    for a service that then hands its caller slow work (core.badges.printing.iter_badges: a
    batch to draw), so that no transaction, and no SQLite write lock, is held meanwhile.
    `reads_only`: what follows until the next commit only reads (a file streamed from the
    database): on SQLite it begins deferred, without the write lock. A session that is not
    the current unit of work's (a test's own) is left to its owner."""
    work = current.get()
    if work is not None and work.session is session:
        await work.checkpoint(reads_only=reads_only)


def after_commit(fn: Callable[[], None]) -> None:
    """Run `fn` when the current unit of work's writes so far are committed (at once when
    there is no unit of work: nothing is pending)."""
    work = current.get()
    if work is None:
        fn()
    else:
        work.after_commit(fn)


def _engine(factory: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    return factory.kw["bind"]  # type: ignore[no-any-return]


def is_postgres(factory: async_sessionmaker[AsyncSession]) -> bool:
    return _engine(factory).dialect.name == "postgresql"


@contextlib.asynccontextmanager
async def autocommit(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[Any]:
    """A connection of `factory`'s engine's pool on which every statement commits by itself,
    as the driver's own connection (PostgreSQL: asyncpg's, outside any transaction: no BEGIN,
    no COMMIT), for statements sent with core.checkin.prepared. Each write must be atomic and
    check its own premise: what was read before it may have changed in between. Taken from
    and given back to the pool as SQLAlchemy does (its checkout ping and return listeners
    run; nothing is open to roll back); one that failed closed (the server went away) is
    dropped, as SQLAlchemy drops one whose statement failed on a disconnect."""
    engine = _engine(factory)
    try:
        pooled = await engine.raw_connection()
    except Exception as exc:  # wrapped as Engine.connect() wraps it (a DBAPIError: "database unavailable")
        dbapi_error = engine.dialect.loaded_dbapi.Error
        if not isinstance(exc, dbapi_error):
            raise
        gone = engine.dialect.is_disconnect(exc, None, None)
        raise DBAPIError.instance(
            None, None, exc, dbapi_error, connection_invalidated=gone, dialect=engine.dialect
        ) from exc
    driver = pooled.driver_connection
    try:
        yield driver
    except BaseException as exc:
        if getattr(driver, "is_closed", lambda: False)():
            await greenlet_spawn(pooled.invalidate, exc)  # and back to the pool, without it
            raise
        await greenlet_spawn(pooled.close)
        raise
    await greenlet_spawn(pooled.close)
