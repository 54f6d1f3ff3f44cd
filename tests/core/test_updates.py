from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.models import ProcessedUpdate
from core.services import updates

T0 = datetime(2024, 10, 31, 8, 0, tzinfo=UTC)


async def test_an_update_id_counts_once_and_is_forgotten_after_a_day(session):
    assert await updates.record(session, [7], clock=lambda: T0) == {7}
    await session.commit()
    assert await updates.record(session, [7], clock=lambda: T0 + timedelta(minutes=1)) == set()
    assert await updates.record(session, [8], clock=lambda: T0 + timedelta(hours=23)) == {8}
    await session.commit()
    assert await updates.prune(session, clock=lambda: T0 + timedelta(days=1, minutes=1)) == 1
    kept = (await session.execute(select(ProcessedUpdate.update_id))).scalars().all()
    assert kept == [8]


async def test_a_batch_records_its_new_ids_once_each(session):
    await updates.record(session, [1, 2], clock=lambda: T0)
    await session.commit()
    assert await updates.record(session, [2, 3, 3, 4, 1], clock=lambda: T0) == {3, 4}
    await session.commit()
    assert await updates.record(session, [], clock=lambda: T0) == set()
    rows = (await session.execute(select(ProcessedUpdate.update_id).order_by(ProcessedUpdate.update_id))).scalars()
    assert list(rows) == [1, 2, 3, 4]
