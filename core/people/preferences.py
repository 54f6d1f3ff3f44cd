"""What the bot keeps about the people it writes to, whoever they are (officers and door
staff need not be participants): their language (a participant's own choice, else the
account's preference) and whether they blocked the bot. Written in the caller's unit of work."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock, utc_now
from core.models import Participant, UserPref


async def languages(session: AsyncSession, telegram_ids: Iterable[int]) -> dict[int, str | None]:
    ids = list(telegram_ids)
    prefs = await session.execute(
        select(col(UserPref.telegram_id), col(UserPref.language)).where(col(UserPref.telegram_id).in_(ids))
    )
    found: dict[int, str | None] = {int(tg): lang for tg, lang in prefs.all()}
    rows = await session.execute(
        select(col(Participant.telegram_id), col(Participant.language)).where(col(Participant.telegram_id).in_(ids))
    )
    found.update({int(tg): lang for tg, lang in rows.all() if lang and tg is not None})
    return {tg: found.get(tg) for tg in ids}


async def language_of(session: AsyncSession, telegram_id: int) -> tuple[str | None, bool]:
    """(stored language, whether the account has a preference row at all)."""
    participant = (
        await session.execute(select(col(Participant.language)).where(col(Participant.telegram_id) == telegram_id))
    ).scalar_one_or_none()
    pref = await session.get(UserPref, telegram_id)
    if pref is not None and pref.chosen:
        return pref.language, True
    return participant or (pref.language if pref else None), pref is not None


async def remember_language(
    session: AsyncSession, telegram_id: int, language: str, *, chosen: bool, clock: Clock = utc_now
) -> None:
    """Keep an account's language. An explicit choice (/language) always wins; the app's
    language is only recorded on first contact."""
    try:
        async with session.begin_nested():  # written at once, so a collision is caught here
            pref = await session.get(UserPref, telegram_id)
            if pref is None:
                session.add(UserPref(telegram_id=telegram_id, language=language, chosen=chosen, updated_at=clock()))
            elif chosen:
                pref.language, pref.chosen, pref.updated_at = language, True, clock()
            if chosen:
                participant = await _participant(session, telegram_id)
                if participant is not None:
                    participant.language = language
    except IntegrityError:  # two first updates of one account at once: the first one wins
        pass


async def _participant(session: AsyncSession, telegram_id: int) -> Participant | None:
    query = select(Participant).where(col(Participant.telegram_id) == telegram_id)
    return (await session.execute(query)).scalar_one_or_none()


async def mark_blocked(session: AsyncSession, telegram_id: int, *, clock: Clock = utc_now) -> None:
    """The user blocked the bot: later broadcasts skip them until they write again."""
    participant = await _participant(session, telegram_id)
    if participant is not None and participant.blocked_bot_at is None:
        participant.blocked_bot_at = clock()
    await session.flush()


async def unblock(session: AsyncSession, telegram_id: int) -> None:
    """The user writes to the bot again after blocking it."""
    participant = await _participant(session, telegram_id)
    if participant is not None:
        participant.blocked_bot_at = None
    await session.flush()
