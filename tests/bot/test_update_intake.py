"""Group commit of the per-update bookkeeping (bot.update_intake): a burst shares a few
transactions, each update still gets its own answer, and a failure reaches every update
of its batch without wedging the next."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.update_intake import UpdateIntake
from core.models import UserPref
from tests.factories import make_conference

BOT = 123456


class Counting:
    """A session factory that counts the sessions opened (one per flush) and can fail."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self.factory = factory
        self.opened = 0
        self.fail = False

    def __call__(self) -> AsyncSession:
        self.opened += 1
        if self.fail:
            raise ConnectionError("database down")
        return self.factory()


@pytest.fixture
async def counting(session_factory):  # type: ignore[no-untyped-def]
    async with session_factory() as session:
        await make_conference(session)
        session.add(UserPref(telegram_id=7, language="ru", chosen=True))
        await session.commit()
    return Counting(session_factory)


async def test_a_burst_of_updates_shares_one_transaction(counting) -> None:  # type: ignore[no-untyped-def]
    intake = UpdateIntake(counting, conference_slug=None, admin_ids=[9])  # type: ignore[arg-type]
    results = await asyncio.gather(*(intake.receive(BOT, 1000 + i, 7 if i % 2 else 9) for i in range(100)))
    assert counting.opened == 1
    assert not any(r.repeat for r in results)
    assert {r.who.language for r in results[1::2]} == {"ru"}  # type: ignore[union-attr]
    assert all(r.who.roles and r.who.conference for r in results[::2])  # type: ignore[union-attr]


async def test_repeats_are_told_apart_within_a_batch_and_across_batches(counting) -> None:  # type: ignore[no-untyped-def]
    intake = UpdateIntake(counting, conference_slug=None, admin_ids=[])  # type: ignore[arg-type]
    first, again = await asyncio.gather(intake.receive(BOT, 5, 7), intake.receive(BOT, 5, 7))
    assert (first.repeat, again.repeat) == (False, True)
    assert (await intake.receive(BOT, 5, 7)).repeat
    alone = await intake.receive(BOT, None, None)  # no id to record, no human sender
    assert not alone.repeat and alone.who is None


async def test_the_same_update_id_of_two_bots_is_two_updates(counting) -> None:  # type: ignore[no-untyped-def]
    intake = UpdateIntake(counting, conference_slug=None, admin_ids=[])  # type: ignore[arg-type]
    ours, theirs, again = await asyncio.gather(
        intake.receive(BOT, 5, 7), intake.receive(BOT + 1, 5, 7), intake.receive(BOT + 1, 5, 7)
    )
    assert (ours.repeat, theirs.repeat, again.repeat) == (False, False, True)
    assert counting.opened == 1  # still one transaction for the batch


async def test_a_failed_flush_fails_its_batch_and_the_next_one_works(counting) -> None:  # type: ignore[no-untyped-def]
    intake = UpdateIntake(counting, conference_slug=None, admin_ids=[])  # type: ignore[arg-type]
    counting.fail = True
    results = await asyncio.gather(*(intake.receive(BOT, i, 7) for i in range(3)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    counting.fail = False
    assert not (await intake.receive(BOT, 1, 7)).repeat  # nothing was recorded by the failed batch


async def test_a_cancelled_update_leaves_the_rest_of_its_batch_alone(counting) -> None:  # type: ignore[no-untyped-def]
    intake = UpdateIntake(counting, conference_slug=None, admin_ids=[])  # type: ignore[arg-type]
    doomed = asyncio.create_task(intake.receive(BOT, 1, 7))
    kept = asyncio.create_task(intake.receive(BOT, 2, 7))
    await asyncio.sleep(0)
    doomed.cancel()
    assert not (await kept).repeat
    with pytest.raises(asyncio.CancelledError):
        await doomed


async def test_a_flush_cancelled_at_shutdown_cancels_its_waiters(counting) -> None:  # type: ignore[no-untyped-def]
    intake = UpdateIntake(counting, conference_slug=None, admin_ids=[])  # type: ignore[arg-type]
    waiting = asyncio.create_task(intake.receive(BOT, 1, 7))
    await asyncio.sleep(0)  # the flusher is scheduled
    assert intake._flusher is not None
    intake._flusher.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(waiting, 1)
    assert not (await intake.receive(BOT, 2, 7)).repeat  # the next update gets a fresh flush
