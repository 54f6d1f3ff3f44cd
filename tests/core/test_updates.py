from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core import seen_updates as updates
from core.models import ProcessedUpdate

T0 = datetime(2024, 10, 31, 8, 0, tzinfo=UTC)
BOT = 123456
OTHER = 654321


async def test_an_update_id_counts_once_and_is_forgotten_after_a_day(session):
    assert await updates.record(session, BOT, [7], clock=lambda: T0) == {7}
    await session.commit()
    assert await updates.record(session, BOT, [7], clock=lambda: T0 + timedelta(minutes=1)) == set()
    assert await updates.record(session, BOT, [8], clock=lambda: T0 + timedelta(hours=23)) == {8}
    await session.commit()
    assert await updates.prune(session, clock=lambda: T0 + timedelta(days=1, minutes=1)) == 1
    kept = (await session.execute(select(ProcessedUpdate.update_id))).scalars().all()
    assert kept == [8]


async def test_a_batch_records_its_new_ids_once_each(session):
    await updates.record(session, BOT, [1, 2], clock=lambda: T0)
    await session.commit()
    assert await updates.record(session, BOT, [2, 3, 3, 4, 1], clock=lambda: T0) == {3, 4}
    await session.commit()
    assert await updates.record(session, BOT, [], clock=lambda: T0) == set()
    rows = (await session.execute(select(ProcessedUpdate.update_id).order_by(ProcessedUpdate.update_id))).scalars()
    assert list(rows) == [1, 2, 3, 4]


async def test_update_ids_are_per_bot(session):
    """Two bots (or a new token) on one database: the same ids are different updates."""
    assert await updates.record(session, BOT, [1, 2, 3], clock=lambda: T0) == {1, 2, 3}
    await session.commit()
    assert await updates.record(session, OTHER, [2, 3, 4], clock=lambda: T0) == {2, 3, 4}
    await session.commit()
    assert await updates.record(session, OTHER, [3, 4, 5], clock=lambda: T0) == {5}
    assert await updates.record(session, BOT, [3, 4], clock=lambda: T0) == {4}
    await session.commit()


async def test_rows_from_before_bot_ids_are_adopted_by_the_bot_that_starts(session):
    session.add_all(
        [ProcessedUpdate(bot_id=updates.UNATTRIBUTED, update_id=i, seen_at=T0) for i in (10, 11, 12)]
        + [ProcessedUpdate(bot_id=BOT, update_id=12, seen_at=T0)]  # cannot happen, must not break it
    )
    await session.commit()
    assert await updates.adopt_unattributed(session, BOT) == 2
    assert await updates.record(session, BOT, [10, 11, 12, 13], clock=lambda: T0) == {13}  # the redelivered batch
    await session.commit()
    assert await updates.adopt_unattributed(session, BOT) == 0
