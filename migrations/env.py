"""Alembic environment: async engine, batch mode on SQLite, the models' metadata."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel.sql.sqltypes import AutoString

from core.db import make_engine
from core.models import metadata
from core.models.types import UTCDateTime

config = context.config


def _url() -> str:
    explicit = config.attributes.get("database_url")
    if explicit:
        return str(explicit)
    return os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url") or ""


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Migrations must not import app types: an aware datetime is a plain DateTime(tz) column.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = make_engine(_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # called from core.migrate inside a running loop
        _run(connection)
        return
    asyncio.run(_run_async())


if context.is_offline_mode():
    context.configure(
        url=_url(), target_metadata=metadata, render_as_batch=True, literal_binds=True, render_item=_render_item
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
