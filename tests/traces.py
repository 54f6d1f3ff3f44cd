"""Looking for a person everywhere: every column of every table, every Redis key and value.

Used by the /forget tests: after erasure none of the person's identifiers may be found.
Tables come from the models' metadata (a table added later is searched too); values are
read as Python objects and turned into text, JSON without escapes, so a Cyrillic name
stored as "\\u0410..." is still found."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import metadata


@dataclass(frozen=True)
class Trace:
    where: str  # "table.column #pk" or "redis key"
    needle: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}: {self.needle!r} in {self.text[:200]!r}"


def as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)


def _found(text: str, needles: list[str]) -> list[str]:
    folded = text.casefold()
    return [n for n in needles if n.casefold() in folded]


async def traces_in_database(session: AsyncSession, needles: list[str]) -> list[Trace]:
    """Every (table, column, row) whose value contains one of `needles`, case-insensitively."""
    needles = [n for n in needles if n]
    found: list[Trace] = []
    for table in metadata.sorted_tables:
        rows = (await session.execute(select(*table.columns))).all()
        pk = [c.name for c in table.primary_key.columns]
        for row in rows:
            values = row._mapping
            ident = ",".join(str(values[c]) for c in pk)
            for column in table.columns:
                text = as_text(values[column.name])
                for needle in _found(text, needles):
                    found.append(Trace(f"{table.name}.{column.name} #{ident}", needle, text))
    await session.commit()
    return found


async def redis_items(client: Any) -> list[tuple[str, str]]:
    """(key, value as text) of every key in the client's database."""
    items: list[tuple[str, str]] = []
    async for raw in client.scan_iter(count=1000):
        key = as_text(raw)
        kind = as_text(await client.type(raw))
        value: Any
        if kind == "string":
            value = await client.get(raw)
        elif kind == "hash":
            value = {as_text(k): as_text(v) for k, v in (await client.hgetall(raw)).items()}
        elif kind == "list":
            value = [as_text(v) for v in await client.lrange(raw, 0, -1)]
        elif kind == "set":
            value = sorted(as_text(v) for v in await client.smembers(raw))
        elif kind == "zset":
            value = [as_text(v) for v in await client.zrange(raw, 0, -1)]
        else:  # gone meanwhile ("none"), or a stream: the key name is still searched
            value = ""
        items.append((key, as_text(value)))
    return items


async def traces_in_redis(client: Any, needles: list[str]) -> list[Trace]:
    needles = [n for n in needles if n]
    found: list[Trace] = []
    for key, value in await redis_items(client):
        for needle in _found(key, needles):
            found.append(Trace(f"redis key {key}", needle, key))
        for needle in _found(value, needles):
            found.append(Trace(f"redis value of {key}", needle, value))
    return found
