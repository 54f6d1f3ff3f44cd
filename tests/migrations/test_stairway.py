"""Stairway: every revision upgrades, downgrades and upgrades again, on SQLite and (with
CONFDESK_TEST_DATABASE_URL) PostgreSQL; and the models match the migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from core.db import make_engine
from core.migrate import alembic_config, downgrade, upgrade
from core.models import metadata
from tests.dbutil import USE_PG, create_pg_database, drop_pg_database, fresh_name

REVISIONS = list(reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions())))


@pytest.fixture
async def empty_url(tmp_path: Path) -> AsyncIterator[str]:
    if USE_PG:
        name = fresh_name()
        yield await create_pg_database(name)
        await drop_pg_database(name)
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'stairway.db'}"


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


@pytest.mark.parametrize("revision", REVISIONS, ids=lambda r: r.revision)
async def test_stairway(empty_url: str, revision) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(empty_url)
    try:
        down_to = revision.down_revision or "base"
        await upgrade(engine, revision.revision)
        async with engine.connect() as conn:
            after_up = await conn.run_sync(_tables)
        await downgrade(engine, down_to)
        await upgrade(engine, revision.revision)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == after_up
    finally:
        await engine.dispose()


async def test_models_match_migrations(empty_url: str) -> None:
    """The same check as `alembic check`: no drift between models and migrations."""
    engine = make_engine(empty_url)
    try:
        await upgrade(engine)

        def diff(connection: Connection) -> list[object]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))

        async with engine.connect() as conn:
            assert await conn.run_sync(diff) == []
        await downgrade(engine, "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()
    finally:
        await engine.dispose()
