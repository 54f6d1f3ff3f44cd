"""The real bot (aiogram Bot + Dispatcher, long polling over HTTP) against our Bot API
emulator on loopback, on the test database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_dispatcher, make_bot
from bot.emulator import BotAPIEmulator
from bot.emulator.records import BotMessage
from bot.emulator.users import FakeUser
from core.config import Settings, load_settings
from core.models import (
    Conference,
    Delegation,
    DelegationKind,
    Participant,
    Registration,
    StaffRole,
    StaffRoleName,
)
from tests.factories import make_conference, make_delegation

ADMIN = 9000
OFFICER = 9001


@dataclass
class Harness:
    emulator: BotAPIEmulator
    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    conference: Conference
    delegations: dict[str, Delegation]

    def user(self, user_id: int, first_name: str = "User", language: str = "en", **kw: Any) -> FakeUser:
        return self.emulator.user(id=user_id, first_name=first_name, language_code=language, **kw)


async def seed(session_factory: async_sessionmaker[AsyncSession]) -> tuple[Conference, dict[str, Delegation]]:
    async with session_factory() as s:
        conf = await make_conference(s)
        found = {
            "BY": await make_delegation(s, conf, "BY", name={"en": "Belarus", "ru": "Беларусь"}, quota=20),
            "HU": await make_delegation(s, conf, "HU", name={"en": "Hungary", "ru": "Венгрия"}, quota=2),
            "RU": await make_delegation(s, conf, "RU", name={"en": "Russian Federation", "ru": "Российская Федерация"}),
            "OSCE": await make_delegation(
                s, conf, "OSCE", kind=DelegationKind.ORGANISATION, name={"en": "OSCE", "ru": "ОБСЕ"}
            ),
        }
        for i in range(12):  # enough states for two pages of the picker
            code = f"S{i:02d}"
            found[code] = await make_delegation(
                s, conf, code, country="XX", name={"en": f"State {i:02d}", "ru": f"Государство {i:02d}"}
            )
        await s.commit()
        return conf, found


@pytest.fixture
async def harness(database_url: str, session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[Harness]:
    conference, delegations = await seed(session_factory)
    async with BotAPIEmulator() as emulator:
        settings = load_settings(
            _env_file=None,
            bot_token="123456:TEST",
            database_url=database_url,
            telegram_api_url=emulator.base_url,
            admin_ids=[ADMIN],
            badge_secret="s" * 40,
            redis_url=None,
            bot_username=None,
            conference=None,
        )
        bot = make_bot(settings)
        dp = build_dispatcher(settings, session_factory)
        try:
            async with emulator.polling(dp, bot):
                yield Harness(emulator, settings, session_factory, conference, delegations)
            emulator.assert_no_violations()
        finally:
            await bot.session.close()


# -- small helpers shared by the conversation tests ---------------------------------------


async def add_staff(h: Harness, telegram_id: int = OFFICER, role: StaffRoleName = StaffRoleName.ACCREDITATION) -> None:
    async with h.session_factory() as s:
        s.add(StaffRole(conference_id=h.conference.id, telegram_id=telegram_id, role=role))
        await s.commit()


async def registration_row(h: Harness, telegram_id: int) -> tuple[Registration, Participant]:
    async with h.session_factory() as s:
        row = (
            await s.execute(
                select(Registration, Participant).join(Participant).where(Participant.telegram_id == telegram_id)
            )
        ).one()
        return row[0], row[1]


async def fill_wizard(
    user: FakeUser,
    name: str = "Anna Petrova",
    *,
    delegation: str | None = "Belarus",
    category: str = "Delegate",
    position: str = "Counsellor",
    organisation: str | None = None,
    ask_delegation: bool = True,
) -> BotMessage:
    """Answer every question of the English wizard (already asking the name); returns the summary."""
    await user.expect("full name in Latin script")
    await user.send(name)
    await user.expect("own script")
    await user.press("Skip")
    if ask_delegation:
        await user.expect("Which delegation")
        if delegation is None:
            await user.press("No delegation")
        else:
            await user.send(delegation)
            await user.expect("Delegations matching")
            await user.press(delegation)
    await user.expect("Your category")
    await user.press(category)
    await user.expect("position or title")
    await user.send(position)
    await user.expect("organisation (ministry")
    if organisation is None:
        await user.press("Skip")
    else:
        await user.send(organisation)
    await user.expect("Personal data")
    await user.press("I agree")
    return await user.expect("Please check your data")


async def sign_up(user: FakeUser, name: str = "Anna Petrova", **kw: Any) -> BotMessage:
    """/start and a whole English sign-up, confirmed; returns the bot's closing message."""
    await user.start()
    await fill_wizard(user, name, **kw)
    await user.press("Confirm")
    return await user.expect("Thank you!")


async def running_today(h: Harness) -> None:
    """Move the conference to today (yesterday and today), for tests that scan at the real
    time: reports show "today" only while a conference runs."""
    from datetime import timedelta

    from core import reporting

    today = reporting.local_today(h.conference)
    async with h.session_factory() as s:
        conf = await s.get(Conference, h.conference.id)
        assert conf is not None
        conf.first_day, conf.last_day = today - timedelta(days=1), today
        await s.commit()
    h.conference.first_day, h.conference.last_day = today - timedelta(days=1), today
