"""Test databases: a migrated SQLite template copied per test, or one PostgreSQL database
per test run truncated between tests. `CONFDESK_TEST_DATABASE_URL=postgresql+asyncpg://…`
selects PostgreSQL (the server's database named there is used only to create our own)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from core.db import make_engine
from core.migrate import upgrade
from core.models import metadata

PG_URL = os.environ.get("CONFDESK_TEST_DATABASE_URL", "")
USE_PG = PG_URL.startswith("postgresql")


def backend() -> str:
    return "postgresql" if USE_PG else "sqlite"


async def create_pg_database(name: str) -> str:
    """Create an empty PostgreSQL database `name` on the test server; return its URL."""
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


async def drop_pg_database(name: str) -> None:
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def fresh_name() -> str:
    return f"confdesk_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


class TemplateDatabase:
    """Migrated once per test run; `checkout()` gives an empty database at head."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.pg_name: str | None = None
        self.pg_url = ""
        self.template = workdir / "template.db"

    def prepare(self) -> None:
        if USE_PG:
            self.pg_name = fresh_name()
            self.pg_url = asyncio.run(create_pg_database(self.pg_name))
            asyncio.run(_migrate(self.pg_url))
        else:
            asyncio.run(_migrate(f"sqlite+aiosqlite:///{self.template}"))

    def close(self) -> None:
        if self.pg_name:
            asyncio.run(drop_pg_database(self.pg_name))

    async def checkout(self, tmp_path: Path) -> str:
        if USE_PG:
            engine = make_engine(self.pg_url)
            tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            try:
                async with engine.begin() as conn:
                    await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            finally:
                await engine.dispose()
            return self.pg_url
        target = tmp_path / "confdesk.db"
        shutil.copyfile(self.template, target)
        return f"sqlite+aiosqlite:///{target}"
