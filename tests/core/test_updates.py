from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.models import ProcessedUpdate
from core.services import updates

T0 = datetime(2024, 10, 31, 8, 0, tzinfo=UTC)


async def test_an_update_id_counts_once_and_is_forgotten_after_a_day(session):
    assert await updates.record(session, 7, clock=lambda: T0)
    await session.commit()
    assert not await updates.record(session, 7, clock=lambda: T0 + timedelta(minutes=1))
    assert await updates.record(session, 8, clock=lambda: T0 + timedelta(hours=23))
    await session.commit()
    assert await updates.prune(session, clock=lambda: T0 + timedelta(days=1, minutes=1)) == 1
    kept = (await session.execute(select(ProcessedUpdate.update_id))).scalars().all()
    assert kept == [8]
