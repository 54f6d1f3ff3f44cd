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
from core.db import make_engine, make_session_factory, redacted, sqlite_file
from core.errors import DomainError

T = TypeVar("T")


class CliConsole(Console):
    """Wraps long lines at words on a terminal; piped or redirected, prints whole lines
    (rich would otherwise break them at 80 columns). Whether it is a terminal and how wide
    are read when printing (TTY_COMPATIBLE=1 and COLUMNS=60 make a 60-column terminal).
    Tables go through `bot.cli.output`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if "width" not in kwargs:
            self._width = None  # not COLUMNS at import time: the size is read at each print
        if "height" not in kwargs:
            self._height = None

    def print(self, *objects: Any, soft_wrap: bool | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        super().print(*objects, soft_wrap=not self.is_terminal if soft_wrap is None else soft_wrap, **kwargs)


console = CliConsole()
err_console = CliConsole(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        fail(str(exc))


class DatabaseUnavailable(Exception):
    """The configured database cannot be opened; the message names DATABASE_URL."""


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine; domain, config and database errors become one line, exit 1."""
    try:
        return asyncio.run(coro)
    except DomainError as exc:
        fail(exc.message)
    except (ConfigError, DatabaseUnavailable) as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"database error: {type(exc).__name__}: {_first_line(exc)}")
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:300]


async def with_database(
    work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]],
    *,
    migrate: bool = True,
    create: bool = False,
    reads_only: bool = False,
) -> T:
    """Open the configured database, bring it to head, run `work`, dispose.

    Only commands that set a conference up (`db upgrade`, `program load`) pass
    `create=True`; every other command needs a database that exists, so a mistyped SQLite
    path is an error naming DATABASE_URL rather than a new empty file (and folder).
    `reads_only`: work that never writes (reports, exports) runs on a read-only engine,
    which neither waits for nor blocks a kiosk or the bot writing to the same SQLite file."""
    from core.migrate import upgrade

    url = settings().database_url
    path = sqlite_file(url)
    if path is not None and not create and not path.exists():
        raise DatabaseUnavailable(
            f"no database at {path} (DATABASE_URL): load a programme first (confdesk program load FILE.yaml)"
            " or check the path"
        )
    engine = make_engine(url)
    try:
        try:
            async with engine.connect():
                pass
        except (OSError, SQLAlchemyError) as exc:
            raise DatabaseUnavailable(
                f"cannot open the database at DATABASE_URL ({redacted(url)}): {_first_line(exc)}"
            ) from None
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
