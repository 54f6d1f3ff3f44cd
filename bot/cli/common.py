"""What every CLI command shares: settings, a migrated database, one-line errors."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import ConfigError, Settings, get_settings
from core.db import make_engine, make_session_factory
from core.errors import DomainError

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        fail(str(exc))


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine; domain, config and database errors become one line, exit 1."""
    try:
        return asyncio.run(coro)
    except DomainError as exc:
        fail(exc.message)
    except ConfigError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"database error: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))


async def with_database(
    work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]], *, migrate: bool = True, reads_only: bool = False
) -> T:
    """Open the configured database, bring it to head, run `work`, dispose. `reads_only`:
    work that never writes (reports, exports) runs on a read-only engine, which neither
    waits for nor blocks a kiosk or the bot writing to the same SQLite file."""
    from core.migrate import upgrade

    url = settings().database_url
    engine = make_engine(url)
    try:
        if migrate:
            await upgrade(engine)
        if reads_only:
            await engine.dispose()
            engine = make_engine(url, read_only=True)
        return await work(make_session_factory(engine))
    finally:
        await engine.dispose()


def run_app(app: typer.Typer) -> None:
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
