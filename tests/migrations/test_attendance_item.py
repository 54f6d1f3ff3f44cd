"""Migration 0015 (the by-session report's people per item, folded): a database folded
before it gets its summary rebuilt by the next fold, these tables included (its fold rows are
deleted), and the by-session report is right before and after that fold; a registration
deleted lowers its items' counts (the trigger). SQLite and (with CONFDESK_TEST_DATABASE_URL)
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, text

from core import reporting
from core.db import make_engine, make_session_factory
from core.migrate import upgrade
from core.models import Registration
from core.reporting import summary
from tests.factories import make_conference, make_item, make_participant, make_registration
from tests.migrations.test_stairway import empty_url  # noqa: F401 (fixture)


async def test_0015_rebuilds_what_was_folded_before_it(empty_url: str) -> None:  # noqa: F811
    engine = make_engine(empty_url)
    at = datetime(2024, 10, 31, 8, 0, tzinfo=UTC)
    try:
        await upgrade(engine, "0014")
        async with make_session_factory(engine)() as session:
            conf = await make_conference(session)
            item = await make_item(session, conf, "i1")
            regs = [await make_registration(session, conf, await make_participant(session)) for _ in range(3)]
            scan = {"conference_id": conf.id, "agenda_item_id": item.id, "scanned_at": at, "gate": "Main"}
            entries = [{**scan, "registration_id": r.id, "result": "ok", "direction": "in", "raw": ""} for r in regs]
            await session.execute(insert(summary.SCAN), [*entries, entries[0]])
            await session.execute(  # a fold of 0014's tables up to here
                insert(summary.FOLD).values(conference_id=conf.id, scan_id=4, timezone=conf.timezone, pending=[])
            )
            await session.commit()
        await upgrade(engine)
        async with make_session_factory(engine)() as session:
            assert (await session.execute(select(summary.FOLD))).first() is None
            [line] = await reporting.by_item(session, conf)
            assert line.scanned == 3
            await summary.refresh(session, conf)
            counts = await session.execute(select(summary.ITEM_PEOPLE.c.agenda_item_id, summary.ITEM_PEOPLE.c.people))
            assert list(counts) == [(item.id, 3)]
            [line] = await reporting.by_item(session, conf)
            assert line.scanned == 3
            await session.execute(delete(Registration).where(Registration.id == regs[0].id))
            counts = await session.execute(select(summary.ITEM_PEOPLE.c.people))
            assert list(counts.scalars()) == [2]
            [line] = await reporting.by_item(session, conf)
            assert line.scanned == 2
            await session.commit()
    finally:
        await engine.dispose()


async def test_the_count_trigger_exists_at_head(empty_url: str) -> None:  # noqa: F811
    """A later migration that rebuilds attendance_item_person on SQLite (batch mode) drops
    its triggers with the old table: it must create attendance_item_person_gone again."""
    engine = make_engine(empty_url)
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                found = text(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'attendance_item_person'::regclass"
                    " AND NOT tgisinternal"
                )
            else:
                found = text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'attendance_item_person'"
                )
            assert list((await conn.execute(found)).scalars()) == ["attendance_item_person_gone"]
    finally:
        await engine.dispose()
