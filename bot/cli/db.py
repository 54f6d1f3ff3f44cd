from __future__ import annotations

import typer

from bot.cli.common import console, run, settings, with_database

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd() -> None:
    """Bring the database to the newest schema (the bot and CLI also do it on start)."""

    async def work(_: object) -> None:
        return None

    run(with_database(work, create=True))
    console.print(f"database is at the newest schema ({_where()})")


def _where() -> str:
    url = settings().database_url
    if url.startswith("sqlite"):
        return url.split("///", 1)[-1]
    return url.split("@")[-1]  # never print credentials
