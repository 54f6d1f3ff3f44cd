"""Migration 0013 fills attendance_day's copies of category and delegation for the rows it
finds (a database folded before it), on SQLite and (with CONFDESK_TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert, select, text

from core.db import make_engine, make_session_factory
from core.migrate import upgrade
from core.models import Category
from core.reporting import summary
from core.reporting.sql import enum_text
from tests.factories import make_conference, make_delegation, make_participant, make_registration
from tests.migrations.test_stairway import empty_url  # noqa: F401 (fixture)


async def test_0013_fills_the_copies_of_rows_folded_before_it(empty_url: str) -> None:  # noqa: F811
    engine = make_engine(empty_url)
    try:
        await upgrade(engine, "0012")
        day, at = date(2024, 10, 31), datetime(2024, 10, 31, 8, 0, tzinfo=UTC)
        async with make_session_factory(engine)() as session:
            conf = await make_conference(session)
            delegation = await make_delegation(session, conf, "BY")
            regs = [
                await make_registration(session, conf, await make_participant(session), delegation=delegation),
                await make_registration(session, conf, await make_participant(session), category=Category.PRESS),
            ]
            columns = summary.DAY.c
            await session.execute(  # the columns of 0012 only
                insert(summary.DAY),
                [
                    {"conference_id": conf.id, "day": day, "registration_id": r.id, "first_in": at, "last_in": at}
                    for r in regs
                ],
            )
            expected = {(regs[0].id, "delegate", delegation.id), (regs[1].id, "press", None)}
            await session.commit()
        await upgrade(engine)
        async with make_session_factory(engine)() as session:
            found = await session.execute(select(columns.registration_id, columns.category, columns.delegation_id))
            assert {(r, enum_text(c), d) for r, c, d in found} == expected
    finally:
        await engine.dispose()


async def test_the_follow_trigger_exists_at_head(empty_url: str) -> None:  # noqa: F811
    """A later migration that rebuilds registration on SQLite (batch mode: copy, drop, rename)
    drops its triggers with the old table: it must create attendance_day_follow again."""
    engine = make_engine(empty_url)
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                found = text(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'registration'::regclass AND NOT tgisinternal"
                )
            else:
                found = text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'registration'")
            assert list((await conn.execute(found)).scalars()) == ["attendance_day_follow"]
    finally:
        await engine.dispose()
