"""PostgreSQL: SQLAlchemy Core statements compiled once for asyncpg and sent on a pooled
connection's asyncpg connection (core.uow.autocommit), as prepared statements (asyncpg's
statement cache): the kiosk's scan (core.checkin.scanning `scan_alone`), whose every
statement is one of a few fixed ones, run hundreds of times a minute.

What SQLAlchemy does per execution and this does once: compile (a cache look-up), build the
parameters, set up a result with its processors, and hop into a greenlet and back. Per
execution what is left is the parameters put in order and passed through the same bind
processors SQLAlchemy would apply (aware datetimes checked, enums to their values), and the
row as asyncpg returns it: timestamps aware in UTC (as UTCDateTime gives them), JSON decoded
(the codec the dialect sets on each connection), enum columns as their string values.

The statements are the same SQL SQLAlchemy would send (the same compiler); the connection
comes from the engine's pool and goes back to it. Nothing here may run inside a transaction
SQLAlchemy began (asyncpg would run it there, unseen by the unit of work's bookkeeping): it
is for `core.uow.autocommit` connections.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from typing import Any, cast

from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql import ClauseElement, Select
from sqlalchemy.sql.compiler import SQLCompiler

_DIALECT = asyncpg_dialect()
_GIVEN = object()  # a parameter given per execution (not a column's fixed default)

Driver = Any  # asyncpg.Connection (asyncpg is imported by the dialect only where it is used)


class Prepared:
    """One statement, compiled for asyncpg: `fetchrow(driver, params)` sends it with the
    named parameters `params` (as for `AsyncConnection.execute`) and returns the first row,
    for a SELECT a named tuple of its columns (`row.inside`, as a SQLAlchemy Row), else
    asyncpg's record (`row[0]`); None if there is no row."""

    __slots__ = ("_order", "_row", "sql")

    def __init__(self, statement: ClauseElement) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=_DIALECT))
        assert compiled.positiontup is not None  # asyncpg's paramstyle is positional ($1, $2 …)
        self.sql = compiled.string
        fixed = _defaults(compiled)
        order: list[tuple[str, Callable[[Any], Any] | None, Any]] = []
        for name in compiled.positiontup:
            process = compiled.binds[name].type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
            if name in fixed:  # a column's scalar default, the same every time
                order.append((name, None, fixed[name] if process is None else process(fixed[name])))
            else:
                order.append((name, process, _GIVEN))
        self._order = tuple(order)
        selected = statement.selected_columns if isinstance(statement, Select) else ()
        self._row: Any = namedtuple("Row", [c.key for c in selected]) if selected else None  # type: ignore[misc]

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        return [
            fixed if fixed is not _GIVEN else params[name] if process is None else process(params[name])
            for name, process, fixed in self._order
        ]

    async def fetchrow(self, driver: Driver, params: Mapping[str, Any]) -> Any:
        record = await driver.fetchrow(self.sql, *self.args(params))
        if record is None or self._row is None:
            return record
        return self._row._make(record)


def _defaults(compiled: SQLCompiler) -> dict[str, Any]:
    """The values SQLAlchemy fills in at each execution for columns an INSERT or UPDATE does
    not name (`Scan.offline`'s False): scalar defaults only."""
    fixed = {}
    for column in compiled.insert_prefetch:
        default = column.default
        if default is None or not default.is_scalar:
            raise ValueError(f"{column}: only a scalar default can be filled in once")
        fixed[column.key] = default.arg  # type: ignore[attr-defined]  # a ScalarElementColumnDefault
    if compiled.update_prefetch:
        raise ValueError("an UPDATE's onupdate values are not filled in here")
    return fixed
