"""Async engine and session factory from DATABASE_URL.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a single pooled
connection: every transaction holds that one connection until it commits, so writers are
serialised in-process and never fail with "database is locked". Statements run on the
event loop itself (core.sqlite_inline): ~600x cheaper than a thread hand-off each. PostgreSQL (asyncpg) uses a
normal pool and row locks (`SELECT … FOR UPDATE`) where services need them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool, StaticPool

from core.sqlite_inline import InlineConnection


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        memory = database in ("", ":memory:") or "mode=memory" in str(parsed)
        if not memory:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            echo=echo,
            async_creator=partial(InlineConnection.connect, database or ":memory:"),
            poolclass=StaticPool if memory else AsyncAdaptedQueuePool,
            **({} if memory else {"pool_size": 1, "max_overflow": 0, "pool_timeout": 120}),
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)


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


@asynccontextmanager
async def open_session(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One session, rolled back if the block fails; services commit themselves."""
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
