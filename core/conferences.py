"""Which conference is current, and loading it with a lock when rules need one."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from core.errors import NotFound
from core.models import Conference

M = TypeVar("M", bound=SQLModel)


async def current_conference(session: AsyncSession, slug: str | None = None) -> Conference:
    """The conference named by `slug` (settings CONFERENCE), else the latest by first day."""
    query = select(Conference)
    if slug:
        query = query.where(Conference.slug == slug)  # type: ignore[arg-type]
    else:
        query = query.order_by(Conference.first_day.desc(), Conference.id.desc())  # type: ignore[attr-defined, union-attr]
    conference = (await session.execute(query.limit(1))).scalar_one_or_none()
    if conference is None:
        if slug:
            raise NotFound(
                f"no conference '{slug}' (load one with `confdesk program load`)", code="no_conference", slug=slug
            )
        raise NotFound("no conference loaded yet (use `confdesk program load FILE.yaml`)", code="no_conference")
    return conference


async def get_locked(session: AsyncSession, model: type[M], ident: int, *, no_key: bool = False) -> M:
    """Load one row with `SELECT … FOR UPDATE` (PostgreSQL); on SQLite the transaction
    already holds the write lock (BEGIN IMMEDIATE, core.db), and the clause is not rendered.
    `no_key`: `FOR NO KEY UPDATE`, for a change of columns other than the key: it still
    serialises with every other lock and change of the row, but rows that reference it may be
    inserted meanwhile (their foreign key check takes KEY SHARE), so a writer of those that
    holds a lock this transaction waits for is not waited for in turn (a registration's edit
    of its category and a fold of the attendance summary: migration 0013's trigger)."""
    pk = model.__table__.primary_key.columns.values()[0]  # type: ignore[attr-defined]
    row = (
        await session.execute(
            select(model).where(pk == ident).with_for_update(key_share=no_key).execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"{model.__name__} {ident} not found", code="not_found", entity=model.__name__, id=ident)
    return row
