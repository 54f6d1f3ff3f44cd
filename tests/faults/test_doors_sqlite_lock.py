"""SQLite transactions take the write lock when they begin (issue 11, item 1), so a read
followed by a write is atomic against other processes; read-only engines do not.

Another process is stood in for by a plain sqlite3 connection to the same file."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from core.db import make_engine, make_session_factory
from core.models import Conference
from tests.dbutil import USE_PG

pytestmark = pytest.mark.skipif(USE_PG, reason="SQLite's file lock")


def other_process(database_url: str) -> sqlite3.Connection:
    return sqlite3.connect(make_url(database_url).database or "", timeout=0, isolation_level=None)


async def test_a_transaction_that_has_only_read_holds_the_write_lock(database_url):
    engine = make_engine(database_url)
    other = other_process(database_url)
    try:
        async with make_session_factory(engine)() as session:
            await session.execute(select(Conference))  # a check-in's first step: a read
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            await session.commit()
        other.execute("BEGIN IMMEDIATE")  # free again once committed
        other.execute("ROLLBACK")
    finally:
        other.close()
        await engine.dispose()


async def test_read_only_work_neither_waits_for_nor_blocks_a_writer(database_url):
    reader = make_engine(database_url + "?timeout=0.5", read_only=True)  # fail fast, not in 30 s
    writer = make_engine(database_url + "?timeout=0.5")
    other = other_process(database_url)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process is writing
        async with make_session_factory(reader)() as session:
            assert (await session.execute(text("SELECT count(*) FROM conference"))).scalar_one() == 0
            other.execute("INSERT INTO app_setting (key, value, updated_at) VALUES ('k', 'v', '2024-01-01')")
            other.execute("COMMIT")
            await session.commit()
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError, match="database is locked"):  # a writer waits, then gives up
            async with make_session_factory(writer)() as session:
                await session.execute(text("SELECT 1"))
        other.execute("ROLLBACK")
        async with make_session_factory(writer)() as session:
            assert (await session.execute(text("SELECT value FROM app_setting WHERE key = 'k'"))).scalar_one() == "v"
            await session.commit()
    finally:
        other.close()
        await reader.dispose()
        await writer.dispose()
