"""Bring a database to the head revision (or any revision) from code.

Used by `confdesk db upgrade`, by the bot on start and by tests. The Alembic scripts ship
inside the installed package (`migrations/`), so this works outside the checkout too.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations
from core.errors import DomainError

SCRIPT_LOCATION = Path(migrations.__file__).parent


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    if database_url:
        cfg.attributes["database_url"] = database_url
    return cfg


class UnknownSchema(DomainError):
    """The database is at a schema revision this code does not have: a newer confdesk
    upgraded it (the code was rolled back, or an older copy runs beside a newer one)."""

    code = "schema_unknown"


def check_known(connection: Connection, cfg: Config) -> None:
    """UnknownSchema if the database's revision is not one of this code's migrations (Alembic
    would stop with a traceback: "Can't locate revision identified by ...")."""
    script = ScriptDirectory.from_config(cfg)
    known = {s.revision for s in script.walk_revisions()}
    unknown = sorted(r for r in MigrationContext.configure(connection).get_current_heads() if r not in known)
    if unknown:
        ours = ", ".join(script.get_heads())
        raise UnknownSchema(
            f"the database is at schema revision {', '.join(unknown)}, which this confdesk (schema {ours}) does"
            " not know: a newer confdesk upgraded it. Run that version (or newer) against it, or this version"
            " against a database made by it.",
            revision=", ".join(unknown),
            ours=ours,
        )


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        check_known(connection, cfg)
        command.upgrade(cfg, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)
